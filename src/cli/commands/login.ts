import { Command } from 'commander';
import type { ContextSource } from '../context.ts';

/** `mx-agent login xmpp …`: verify an account by connecting, then store it as a profile. */
export function loginCommand(context: ContextSource): Command {
  const login = new Command('login')
    .description('store an account in a profile, after checking that it works')
    .addHelpText(
      'after',
      '\nExamples:\n  $ mx-agent login matrix --homeserver https://matrix.example.org --user @alice:example.org\n  $ mx-agent login xmpp --jid alice@example.org',
    );
  login
    .command('matrix')
    .description('log a new device in to a Matrix account (end-to-end encrypted)')
    .option('--homeserver <url>', 'Client-Server API base URL, e.g. https://matrix.example.org')
    .option('--user <id>', 'Matrix user id, e.g. @alice:example.org')
    .option('--password-stdin', 'read the password from stdin instead of prompting')
    .option('--token-stdin', 'use an existing device access token, read from stdin')
    .option('--make-default', 'make this the default profile')
    .addHelpText(
      'after',
      `
The password is never taken from the command line: it is prompted for without
echo, or read from stdin with --password-stdin. It is used once to create a
device and is not stored; the profile keeps that device's access token (0600).
The device's keys live in a private crypto store under the data directory and
stay the same across restarts. If the first sync fails, the new device is
logged out again and nothing is stored. The profile is named like
alice@example.org unless the global --profile is given.

Plain http is allowed only for a homeserver on this machine (the dev homeserver).

Examples:
  $ mx-agent login matrix --homeserver https://matrix.example.org --user @alice:example.org
  $ mx-agent --profile dev login matrix --homeserver http://127.0.0.1:8008 \\
      --user @alice:localhost --password-stdin < password.txt`,
    )
    .action(async (values: Record<string, unknown>) => {
      const { loginMatrix } = await import('./login-matrix-action.ts');
      await loginMatrix(values, context());
    });
  login
    .command('xmpp')
    .description('log in to an XMPP account, or connect an XEP-0114 component')
    .option('--jid <jid>', 'account address, e.g. alice@example.org')
    .option('--component <domain>', 'a component domain instead (needs --host and --port)')
    .option('--host <host>', 'server to connect to (default: DNS SRV, then the domain)')
    .option('--port <port>', 'server port (default: 5222; 5223 with --tls required)')
    .option(
      '--tls <mode>',
      'starttls (default): upgrade, refuse a server without it; required: TLS from the first byte; off: no TLS',
    )
    .option('--tls-insecure', 'do not verify the server certificate (development only)')
    .option('--ca-file <file>', 'also trust this PEM CA certificate (private servers)')
    .option('--resource <name>', 'bind this resource (default: the server picks one)')
    .option('--password-stdin', 'read the password from stdin instead of prompting')
    .option('--secret-stdin', 'read the component secret from stdin instead of prompting')
    .option('--make-default', 'make this the default profile')
    .addHelpText(
      'after',
      `
The password is never taken from the command line: it is prompted for without
echo, or read from stdin with --password-stdin. The account is checked by
connecting; if that fails, nothing is stored. The profile is named after the
account (bare JID or component domain) unless the global --profile is given;
the first profile becomes the default.

--tls off is allowed for a server on this machine (localhost, 127.0.0.0/8, ::1).
For any other host it also needs --tls-insecure, and everything then crosses
the network unprotected.

Examples:
  $ mx-agent login xmpp --jid alice@example.org
  $ mx-agent --profile dev login xmpp --jid alice@localhost --tls off \\
      --password-stdin < password.txt
  $ mx-agent login xmpp --component agent.example.org --host 127.0.0.1 \\
      --port 5347 --secret-stdin < secret.txt`,
    )
    .action(async (values: Record<string, unknown>) => {
      const { loginXmpp } = await import('./login-action.ts');
      await loginXmpp(values, context());
    });
  return login;
}
