import { runGit } from './git-command.ts';
import { scrubText } from './scrub-text.ts';
import { tagRedactions, type WithheldEntry } from './withheld.ts';

/**
 * Which remote a receiver should fetch the base commit from: the URL of the branch's upstream
 * remote, or of `origin`. Credentials are taken off before it goes anywhere.
 */

// RFC 3986 §3: scheme "://" authority, where the authority may start with userinfo "@". The
// userinfo runs to the last "@" before the path, so a password with a raw "@" goes whole.
const URL_WITH_USERINFO = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/?#]*)@/;

// ssh:// URLs name a login ("git@"), never a password; http(s) URLs carry tokens as user names.
const SSH_SCHEMES = new Set(['ssh://', 'git+ssh://', 'ssh+git://']);

/**
 * `url` without its credentials: all userinfo of an http(s) or other URL (tokens travel as the
 * user name: `https://ghp_…@github.com/…`), a password of an ssh URL. scp-like `git@host:path`
 * is left alone: it names a login and cannot carry a password.
 */
export function stripCredentials(url: string): { url: string; stripped: boolean } {
  const match = URL_WITH_USERINFO.exec(url);
  if (match === null) return { url, stripped: false };
  const scheme = match[1] ?? '';
  const userinfo = match[2] ?? '';
  const rest = url.slice(match[0].length);
  if (SSH_SCHEMES.has(scheme.toLowerCase()) && !userinfo.includes(':'))
    return { url, stripped: false };
  const kept = SSH_SCHEMES.has(scheme.toLowerCase()) ? `${userinfo.split(':')[0] ?? ''}@` : '';
  return { url: `${scheme}${kept}${rest}`, stripped: true };
}

/** The name of the remote the branch tracks, or `origin`. */
async function remoteName(root: string, branch: string | undefined): Promise<string> {
  if (branch === undefined) return 'origin';
  const { stdout, code } = await runGit(['config', '--get', `branch.${branch}.remote`], {
    cwd: root,
    accept: [1],
  });
  const name = stdout.toString('utf8').trim();
  // "." means the upstream is a local branch: no remote to fetch from.
  return code === 0 && name !== '' && name !== '.' ? name : 'origin';
}

/**
 * The remote URL to put in a git snapshot, without credentials (recorded as withheld) and
 * scrubbed; nothing when the repository has no such remote.
 */
export async function sharedRemote(
  root: string,
  branch: string | undefined,
): Promise<{ remote?: string; withheld: WithheldEntry[] }> {
  const name = await remoteName(root, branch);
  const { stdout, code } = await runGit(['remote', 'get-url', name], {
    cwd: root,
    accept: [1, 2, 128],
  });
  const raw = stdout.toString('utf8').trim();
  if (code !== 0 || raw === '') return { withheld: [] };
  const { url, stripped } = stripCredentials(raw);
  const scrubbed = scrubText(url);
  const withheld: WithheldEntry[] = [];
  if (stripped) withheld.push({ type: 'stripped-credentials', source: 'git' });
  withheld.push(...tagRedactions(scrubbed.redactions, 'git', 'remote'));
  return { remote: scrubbed.text, withheld };
}
