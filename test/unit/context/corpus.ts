/**
 * Ordinary text the scrubber must leave byte for byte as it is: code that handles credentials
 * without containing any, a lockfile and a diff of it (integrity hashes, commit ids), UUIDs,
 * base64 image data, CI and compose files that reference secrets kept elsewhere.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Draw } from './fake-secrets.ts';

/** About three hundred lines of TypeScript dealing in tokens, passwords, keys and sessions. */
export function ordinaryTypeScript(): string {
  return readFileSync(new URL('fixtures/ordinary-code.ts.txt', import.meta.url), 'utf8');
}

const NAMES = ['left-pad', 'chalk', 'debug', 'ms', 'semver', 'yaml', 'ws', 'undici', 'tslib'];

/** One package-lock v3 entry; `git` packages resolve to a commit, as npm writes them. */
function lockEntry(draw: Draw, name: string, version: string, git: boolean): object {
  const tarball = createHash('sha512').update(`${name}@${version}`).digest('base64');
  const commit = createHash('sha1').update(`${name}#${version}`).digest('hex');
  return {
    version,
    resolved: git
      ? `git+ssh://git@github.com/example/${name}.git#${commit}`
      : `https://registry.npmjs.org/${name}/-/${name}-${version}.tgz`,
    integrity: git ? undefined : `sha512-${tarball}`,
    dev: draw.int(2) === 0 ? true : undefined,
    license: 'MIT',
    dependencies: { [NAMES[draw.int(NAMES.length)] ?? 'ms']: `^${String(draw.int(9))}.0.0` },
    engines: { node: '>=18' },
  };
}

/** A package-lock.json with `count` packages, some resolved from git. */
export function packageLock(seed: number, count = 120): string {
  const draw = new Draw(seed);
  const packages: Record<string, object> = {
    '': { name: 'app', version: '1.0.0', license: 'MIT' },
  };
  for (let i = 0; i < count; i++) {
    const name = `${draw.pick(NAMES)}-${String(i)}`;
    const version = `${String(draw.int(10))}.${String(draw.int(20))}.${String(draw.int(30))}`;
    packages[`node_modules/${name}`] = lockEntry(draw, name, version, i % 17 === 0);
  }
  const lock = { name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true, packages };
  return `${JSON.stringify(lock, null, 2)}\n`;
}

/** A unified diff between two lockfiles, every changed line as `-`/`+` (one big hunk). */
export function lockfileDiff(before: string, after: string): string {
  const a = before.split('\n');
  const b = after.split('\n');
  const body: string[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] === b[i]) body.push(` ${a[i] ?? ''}`);
    else {
      if (a[i] !== undefined) body.push(`-${a[i] ?? ''}`);
      if (b[i] !== undefined) body.push(`+${b[i] ?? ''}`);
    }
  }
  const sha = (text: string) => createHash('sha1').update(text).digest('hex').slice(0, 7);
  return [
    'diff --git a/package-lock.json b/package-lock.json',
    `index ${sha(before)}..${sha(after)} 100644`,
    '--- a/package-lock.json',
    '+++ b/package-lock.json',
    `@@ -1,${String(a.length)} +1,${String(b.length)} @@`,
    ...body,
  ].join('\n');
}

/** `git log` output: commit ids, authors, trailers. */
export function gitLog(seed: number): string {
  const draw = new Draw(seed);
  const entries: string[] = [];
  for (let i = 0; i < 20; i++) {
    const id = createHash('sha1')
      .update(`commit ${String(seed)} ${String(i)}`)
      .digest('hex');
    entries.push(
      `commit ${id}\nAuthor: Jane Dev <jane@example.com>\nDate:   Mon Jan ${String(1 + draw.int(28))} 10:00:00 2024 +0000\n\n    auth: refresh the token before it expires (#${String(100 + i)})\n\n    Reviewed-by: Bob <bob@example.com>\n    Change-Id: I${id}\n`,
    );
  }
  return entries.join('\n');
}

/** Records keyed by UUIDs, as an API fixture would hold them. */
export function uuidFixture(): string {
  const rows = Array.from({ length: 40 }, (_, i) => ({
    id: randomUUID(),
    sessionId: randomUUID(),
    requestId: randomUUID().replaceAll('-', ''),
    tokenType: 'Bearer',
    index: i,
  }));
  return `${JSON.stringify(rows, null, 2)}\n`;
}

/** A test fixture holding a PNG as base64, in a data URI and as wrapped lines. */
export function base64ImageFixture(seed: number): string {
  const draw = new Draw(seed);
  const png = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    Buffer.from(Array.from({ length: 6000 }, () => draw.int(256))),
  ]).toString('base64');
  const wrapped = (png.match(/.{1,76}/g) ?? []).map((line) => `  '${line}' +`).join('\n');
  return `export const LOGO = 'data:image/png;base64,${png}';\n\nexport const ICON =\n${wrapped}\n  '';\n`;
}

/** CI, compose and shell files that reference secrets kept elsewhere, and a README. */
export const CONFIG_FILES = `name: release
on: { push: { tags: ['v*'] } }
permissions:
  contents: write
  id-token: write
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@8e5e7e5ab8b370d6c329ec480221332ada57f0ab
      - run: npm ci && npm publish --provenance
        env:
          NODE_AUTH_TOKEN: \${{ secrets.NPM_TOKEN }}
          GITHUB_TOKEN: \${{ secrets.GITHUB_TOKEN }}
---
services:
  db:
    image: postgres:16
    environment:
      POSTGRES_USER: app
      POSTGRES_PASSWORD: \${POSTGRES_PASSWORD}
      POSTGRES_PASSWORD_FILE: /run/secrets/db_password
    secrets:
      - db_password
secrets:
  db_password:
    file: ./secrets/db_password.txt
---
#!/bin/sh
set -eu
: "\${API_TOKEN:?set API_TOKEN first}"
curl -fsS -H "Authorization: Bearer $API_TOKEN" "https://api.example.com/v1/me"
TOKEN=$(gh auth token)
export GH_TOKEN="$TOKEN"
read -rs -p 'Password: ' PASSWORD
---
# Getting started

1. Create a personal access token with the \`repo\` scope.
2. Store it: \`export GITHUB_TOKEN=<your token>\`.
3. Run \`app login --token-file ~/.config/app/token\`.

The session expires after 30 minutes; the refresh token lasts 30 days. Never commit a
password or an API key: put \`API_KEY=\` in \`.env.example\` and the real value in \`.env\`.
`;
