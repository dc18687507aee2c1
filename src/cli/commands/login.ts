import { Command } from 'commander';
import type { ContextSource } from '../context.ts';

/** `mx-agent login xmpp …`: verify an account by connecting, then store it as a profile. */
export function loginCommand(context: ContextSource): Command {
  const login = new Command('login')
    .description('store an account in a profile, after checking that it works')
    .addHelpText('after', '\nExample:\n  $ mx-agent login xmpp --jid alice@example.org');
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
