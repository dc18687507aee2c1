/**
 * A throwaway Prosody on loopback for manual development (src/devserver/xmpp/prosody.ts does the
 * work). See README.md beside this file.
 *
 *   node dev/xmpp/prosody.ts start [--dir D] [--tls] [--debug]   prints JSON, runs until Ctrl-C
 *   node dev/xmpp/prosody.ts register --dir D USER PASS
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DOMAIN, registerUser, startProsody } from '../../src/devserver/xmpp/prosody.ts';

const USAGE =
  'usage: node dev/xmpp/prosody.ts start [--dir D] [--tls] [--debug]\n' +
  '       node dev/xmpp/prosody.ts register --dir D USER PASS';

// Return type inferred: parseArgs types the values from the literal options.
function parseCommandLine(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: { dir: { type: 'string' }, tls: { type: 'boolean' }, debug: { type: 'boolean' } },
  });
}

async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseCommandLine(argv);
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (command === 'start' && rest.length === 0) {
    const server = await startProsody({
      ...(values.dir === undefined ? {} : { dir: values.dir }),
      tls: values.tls === true,
      logLevel: values.debug === true ? 'debug' : 'info',
    });
    console.log(JSON.stringify(server, null, 2)); // functions are left out
    // Prosody's pipes are unref'd (tests must never hang on it); here we stay up on purpose.
    const keepAlive = setInterval(() => undefined, 1 << 30);
    const shutdown = (): void => {
      clearInterval(keepAlive);
      server.stop().catch((error: unknown) => {
        console.error(error instanceof Error ? error.message : String(error));
        process.exitCode = 1;
      });
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
    return;
  }
  const [user, password] = rest;
  if (command === 'register' && values.dir !== undefined && user && password && rest.length === 2) {
    const configFile = join(values.dir, 'prosody.cfg.lua');
    if (!existsSync(configFile)) {
      throw new Error(`no prosody.cfg.lua in ${values.dir}: run "start --dir ${values.dir}" first`);
    }
    await registerUser(configFile, user, password);
    console.log(`registered ${user}@${DOMAIN}`);
    return;
  }
  console.error(USAGE);
  process.exitCode = 2;
}

if (import.meta.main) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  });
}
