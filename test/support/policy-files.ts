/**
 * Policy files for tests: each text written as a file of its own under `root`, and an
 * assertion that loading one fails with exactly the expected message (`FILE` standing for the
 * path, since the message names the file).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../src/errors.ts';
import { loadPolicy } from '../../src/security/policy.ts';

/** Helpers bound to one directory and the PATH and home the policies resolve against. */
export function policyFiles(root: string, env: Readonly<Record<string, string>>) {
  let files = 0;
  /** Write `text` as a policy file of its own and return its path. */
  const policyFile = (text: string): string => {
    const path = join(root, `policy-${String(++files)}.toml`);
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  };
  /** Assert loading `text` fails with exactly `message`. */
  const rejects = (text: string, message: string): void => {
    const path = policyFile(text);
    assert.throws(
      () => loadPolicy(path, { env, home: root }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
        assert.equal(error.message, message.replaceAll('FILE', path));
        return true;
      },
    );
  };
  return { policyFile, rejects };
}
