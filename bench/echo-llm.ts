/**
 * The zero-latency model of bench/serve.ts in a process of its own (so the benchmark's clients
 * and the model do not share a CPU): the scripted LLM server answering every request with the
 * newest line of the person's text. Prints its URL on stdout.
 */
import { startScriptedLlm } from '../test/support/scripted-llm.ts';

const llm = await startScriptedLlm(
  (request) => ({
    text: `echo: ${request.lastUserText.slice(request.lastUserText.lastIndexOf('\n') + 1)}`,
  }),
  { keepRequests: false },
);
process.stdout.write(`${llm.url}\n`);
process.on('SIGTERM', () => {
  void llm.close().then(() => process.exit(0));
});
