import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { UsageError, quote } from '../../errors.ts';
import {
  parseProfileName,
  type Profile,
  type TlsMode,
  type XmppClientAccount,
  type XmppComponentAccount,
} from '../../config/profile.ts';
import { parseXmppAddress } from '../../transport/xmpp/address.ts';
import type { CliContext, ContextSource } from '../context.ts';

interface LoginXmppOptions {
  jid?: string;
  component?: string;
  host?: string;
  port?: string;
  tls: TlsMode;
  tlsInsecure?: boolean;
  caFile?: string;
  passwordStdin?: boolean;
  secretStdin?: boolean;
  default?: boolean;
}

/** `mx-agent login xmpp …`: verify an account by connecting, then store it. */
export function loginCommand(context: ContextSource): Command {
  const login = new Command('login').description(
    'store an account in a profile, after checking that it works',
  );
  login
    .command('xmpp')
    .description('log in to an XMPP account, or register an XEP-0114 component')
    .option('--jid <jid>', 'account address, e.g. alice@example.org')
    .option('--component <domain>', 'component domain instead of an account (needs --host, --port)')
    .option('--host <host>', 'server to connect to (default: DNS SRV, then the domain)')
    .option('--port <port>', 'server port (default 5222; 5223 with --tls required)')
    .addOption(
      new Option(
        '--tls <mode>',
        'starttls: upgrade and refuse servers without it; required: TLS from the first byte; off: no TLS (loopback servers only)',
      )
        .choices(['starttls', 'required', 'off'])
        .default('starttls'),
    )
    .option('--tls-insecure', 'do not verify the server certificate (development only)')
    .option(
      '--ca-file <file>',
      'also trust this PEM CA certificate (private or self-signed servers)',
    )
    .option('--password-stdin', 'read the password from stdin instead of prompting')
    .option('--secret-stdin', 'read the component secret from stdin instead of prompting')
    .option('--default', 'make this the default profile')
    .addHelpText(
      'after',
      `
The password is never taken from the command line. The account is checked by connecting;
if that fails, nothing is stored. The profile is named after the account unless --profile is given.

Examples:
  $ mx-agent login xmpp --jid alice@example.org
  $ echo "$PASS" | mx-agent --profile dev login xmpp --jid alice@localhost --host 127.0.0.1 --tls off --password-stdin
  $ mx-agent login xmpp --component agent.example.org --host xmpp.example.org --port 5347 --secret-stdin < secret.txt`,
    )
    .action(async (options: LoginXmppOptions) => {
      await loginXmpp(options, context());
    });
  return login;
}

async function loginXmpp(options: LoginXmppOptions, context: CliContext): Promise<void> {
  const account = parseAccount(options);
  const id = account.mode === 'client' ? account.jid : account.domain;
  const name = parseProfileName(context.profile ?? id);
  if (account.mode === 'client' && account.tlsInsecure)
    context.output.warn(
      '--tls-insecure: the server certificate will not be checked; use it only for development',
    );
  const { readSecretFromStdin, promptSecret } = await import('../prompt.ts');
  const secretName = account.mode === 'client' ? 'password' : 'component secret';
  const fromStdin = account.mode === 'client' ? options.passwordStdin : options.secretStdin;
  const secret = fromStdin
    ? await readSecretFromStdin(secretName)
    : await promptSecret(`${secretName} for ${id}: `);
  const { createTransport, loadProfiles, xmppOptions } = await import('../connect.ts');
  const transport = await createTransport(xmppOptions(account, secret, context));
  try {
    await transport.connect({ signal: context.signal });
  } finally {
    await transport.close();
  }
  const profile: Profile = { name, network: 'xmpp', account, createdAt: new Date().toISOString() };
  const { isDefault } = (await loadProfiles()).save(profile, secret, options.default === true);
  context.output.result(
    { profile: name, network: 'xmpp', address: transport.address, default: isDefault },
    (r) => `logged in as ${r.address} (profile "${r.profile}"${r.default ? ', default' : ''})`,
  );
}

function parseAccount(options: LoginXmppOptions): XmppClientAccount | XmppComponentAccount {
  const port = options.port === undefined ? undefined : parsePort(options.port);
  if (options.component !== undefined) {
    if (options.jid !== undefined)
      throw new UsageError('give either --jid (an account) or --component (a component), not both');
    const domain = parseXmppAddress(options.component);
    if (domain.includes('@') || domain.includes('/'))
      throw new UsageError(
        `expected a component domain like agent.example.org, got ${quote(options.component)}`,
      );
    if (options.host === undefined || port === undefined)
      throw new UsageError(
        "a component needs the server's --host and component --port (often 5347)",
      );
    return { mode: 'component', domain, host: options.host, port };
  }
  if (options.jid === undefined)
    throw new UsageError('expected --jid alice@example.org (or --component DOMAIN)');
  const jid = bareJid(options.jid);
  const host = options.host ?? jid.split('@')[1] ?? '';
  if (options.tls === 'off' && !isLoopback(host)) {
    throw new UsageError(
      `--tls off sends everything unencrypted; it is only allowed for a server on this machine (127.0.0.1, ::1, localhost), got host ${quote(host)}`,
    );
  }
  return {
    mode: 'client',
    jid,
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(port !== undefined ? { port } : {}),
    tls: options.tls,
    ...(options.tlsInsecure ? { tlsInsecure: true } : {}),
    ...(options.caFile !== undefined ? { caFile: resolve(options.caFile) } : {}),
    resource: `mx-agent-${randomBytes(4).toString('hex')}`,
  };
}

function bareJid(input: string): string {
  let jid = '';
  try {
    jid = parseXmppAddress(input);
  } catch {
    // Reported below with the form a login expects.
  }
  if (!jid.includes('@') || jid.includes('/'))
    throw new UsageError(`expected an XMPP address like alice@example.org, got ${quote(input)}`);
  return jid;
}

function parsePort(input: string): number {
  const port = Number(input);
  if (!/^\d+$/.test(input) || port < 1 || port > 65535)
    throw new UsageError(`expected a port number from 1 to 65535, got ${quote(input)}`);
  return port;
}

function isLoopback(host: string): boolean {
  return (
    host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host)
  );
}
