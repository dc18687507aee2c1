/**
 * docs/cli.md is the --help of every command, verbatim. `npm run docs:cli` rewrites it from the
 * built CLI; test/e2e/cli-docs.test.ts fails when it is out of date.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EXIT_CODE_HELP } from '../src/cli/exit-codes.ts';

const CLI = fileURLToPath(new URL('../bin/mx-agent.js', import.meta.url));
export const CLI_DOC = fileURLToPath(new URL('../docs/cli.md', import.meta.url));

/** Every command and subcommand, in the order the reference shows them. */
export const COMMANDS: readonly string[] = [
  'demo',
  'login',
  'login matrix',
  'login xmpp',
  'whoami',
  'profiles',
  'profiles default',
  'logout',
  'send',
  'listen',
  'stream',
  'stream attach',
  'stream list',
  'stream export',
  'stream replay',
  'stream allow',
  'stream revoke',
  'workspace',
  'workspace create',
  'workspace join',
  'workspace invite',
  'workspace grant',
  'workspace leave',
  'workspace list',
  'card',
  'card show',
  'card set',
  'discover',
  'share-context',
  'context',
  'context list',
  'context show',
  'context pull',
  'trust',
  'trust list',
  'trust add',
  'trust pair',
  'trust remove',
  'policy',
  'policy check',
  'audit',
  'audit verify',
  'approvals',
  'approvals list',
  'approvals approve',
  'approvals deny',
  'workflow',
  'workflow validate',
  'workflow run',
  'workflow status',
  'workflow logs',
  'serve',
  'verify',
  'backup',
  'backup enable',
  'backup status',
  'backup restore',
  'daemon',
  'daemon run',
  'daemon status',
  'daemon stop',
  'completion',
  'dev',
  'dev homeserver',
];

/** The help text of one command ('' for the root), as commander prints it. */
export function helpOf(command: string): string {
  const args = command ? [...command.split(' '), '--help'] : ['--help'];
  return execFileSync(process.execPath, [CLI, ...args], {
    env: { ...process.env, MX_AGENT_NO_HELP_CACHE: '1', NO_COLOR: '1' },
    encoding: 'utf8',
  });
}

/** The whole reference document. */
export function cliReference(): string {
  const sections = COMMANDS.map(
    (command) => `## mx-agent ${command}\n\n\`\`\`text\n${helpOf(command).trimEnd()}\n\`\`\`\n`,
  );
  return [
    '# mx-agent command reference',
    '',
    'Generated from `--help` by `npm run docs:cli`; a test keeps it equal to the built CLI.',
    'Global options go before the command: `mx-agent --profile work --json whoami`.',
    '',
    '## Exit codes',
    '',
    'Every failure prints one line on stderr (`mx-agent: …`; the stack trace only with `-v`) and',
    'exits with one of these codes. `listen` stopped with Ctrl-C exits 0.',
    '',
    '| code | meaning |',
    '| ---: | ------- |',
    ...EXIT_CODE_HELP.map(([code, meaning]) => `| ${String(code)} | ${meaning} |`),
    '',
    '## mx-agent',
    '',
    '```text',
    helpOf('').trimEnd(),
    '```',
    '',
    ...sections,
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = cliReference();
  const changed = readFileSync(CLI_DOC, { encoding: 'utf8', flag: 'a+' }) !== text;
  writeFileSync(CLI_DOC, text);
  console.log(changed ? `wrote ${CLI_DOC}` : `${CLI_DOC} is up to date`);
}
