import type { OptionValues } from 'commander';
import type { Profile } from '../../config/profile.ts';
import { resolvePaths } from '../../config/paths.ts';
import { STOP_TIMEOUT_MS, stopHost } from '../../session/control.ts';
import { sessionFiles } from '../../session/files.ts';
import { openProfileStore, openTransport } from '../connect.ts';
import type { CliContext } from '../context.ts';
import { promptSecret, readSecretFromStdin } from '../prompt.ts';
import { parseLoginRequest } from './login-request.ts';

/** Validate, read the secret, connect once to prove it works, and only then store the profile. */
export async function loginXmpp(values: OptionValues, context: CliContext): Promise<void> {
  const { output } = context;
  const request = parseLoginRequest(values, context.profile);
  for (const warning of request.warnings) output.warn(warning);
  const what = request.account.mode === 'client' ? 'password' : 'component secret';
  const secret = request.secretFromStdin
    ? await readSecretFromStdin(what, output.stdio)
    : await promptSecret(
        {
          question: `${what} for ${request.id}`,
          stdinFlag: request.account.mode === 'client' ? '--password-stdin' : '--secret-stdin',
        },
        output.stdio,
      );
  const profile: Profile = {
    name: request.profileName,
    network: 'xmpp',
    account: request.account,
    createdAt: new Date().toISOString(),
  };
  // A failure here (wrong password: exit 4; unreachable: exit 5) propagates before anything is stored.
  const transport = await openTransport(profile, secret, context);
  const address = transport.address;
  await transport.close();
  const store = openProfileStore();
  const replaced = store.list().find((p) => p.name === profile.name);
  // A running host of the replaced profile holds the old credentials: stop it.
  if (replaced)
    await stopHost(sessionFiles(profile.name, resolvePaths()), { timeoutMs: STOP_TIMEOUT_MS });
  const { isDefault } = store.save(profile, secret, { makeDefault: request.makeDefault });
  output.result(
    {
      profile: profile.name,
      network: profile.network,
      account: request.id,
      address,
      default: isDefault,
    },
    (r) =>
      `logged in as ${r.address} (profile "${r.profile}"${r.default ? ', default' : ''}${replaced ? ', replacing the stored one' : ''})`,
  );
}
