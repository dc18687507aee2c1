// Entry point of the mx-agent command (bin/mx-agent.js imports the built copy of this file).
import { run } from './program.ts';

process.exitCode = await run(process.argv);
