import assert from 'node:assert/strict';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startHomeserver, type Homeserver } from '../../../src/devserver/homeserver.ts';
import { call, register } from '../../support/devserver.ts';

describe('dev homeserver: accounts (Client-Server API v1.11)', () => {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'mx-agent-hs-')), 'data');
  let hs: Homeserver;
  before(async () => {
    hs = await startHomeserver({ dataDir });
  });
  after(async () => {
    await hs.close();
  });

  it('answers /versions and binds loopback', async () => {
    const r = await call(hs, 'GET', '/_matrix/client/versions');
    assert.equal(r.status, 200);
    assert.ok((r.body.versions as string[]).includes('v1.11'));
    assert.match(hs.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('registers with m.login.dummy user-interactive auth', async () => {
    const first = await call(hs, 'POST', '/_matrix/client/v3/register', {
      username: 'alice',
      password: 'pw',
    });
    assert.equal(first.status, 401);
    assert.deepEqual(first.body.flows, [{ stages: ['m.login.dummy'] }]);
    assert.equal(typeof first.body.session, 'string');
    assert.equal(first.body.errcode, undefined);
    const forged = await call(hs, 'POST', '/_matrix/client/v3/register', {
      username: 'alice',
      password: 'pw',
      auth: { type: 'm.login.dummy', session: 'forged' },
    });
    assert.equal(forged.status, 401);
    assert.equal(forged.body.errcode, 'M_FORBIDDEN');
    const done = await call(hs, 'POST', '/_matrix/client/v3/register', {
      username: 'alice',
      password: 'pw',
      auth: { type: 'm.login.dummy', session: first.body.session },
    });
    assert.equal(done.status, 200);
    assert.equal(done.body.user_id, '@alice:localhost');
    assert.match(String(done.body.access_token), /^mxdev_/);
  });

  it('completes the dummy stage in a first request that carries no session', async () => {
    // Spec: the session is sent back "if one was given"; matrix-nio registers this way.
    const direct = await call(hs, 'POST', '/_matrix/client/v3/register', {
      username: 'dora',
      password: 'pw',
      auth: { type: 'm.login.dummy' },
    });
    assert.equal(direct.status, 200, JSON.stringify(direct.body));
    assert.equal(direct.body.user_id, '@dora:localhost');
    const wrongStage = await call(hs, 'POST', '/_matrix/client/v3/register', {
      username: 'erin',
      password: 'pw',
      auth: { type: 'm.login.recaptcha' },
    });
    assert.deepEqual([wrongStage.status, wrongStage.body.errcode], [401, 'M_FORBIDDEN']);
    assert.equal(typeof wrongStage.body.session, 'string', 'a failed stage restarts the flow');
  });

  it('serves the legacy r0 paths as v3 and says so in /versions', async () => {
    const versions = await call(hs, 'GET', '/_matrix/client/versions');
    assert.ok((versions.body.versions as string[]).includes('r0.6.1'));
    const { token } = await register(hs, 'frank');
    const legacy = await call(hs, 'GET', '/_matrix/client/r0/account/whoami', undefined, token);
    const current = await call(hs, 'GET', '/_matrix/client/v3/account/whoami', undefined, token);
    assert.equal(legacy.status, 200);
    assert.deepEqual(legacy.body, current.body);
    const unknown = await call(hs, 'GET', '/_matrix/client/r0/frobnicate');
    assert.deepEqual([unknown.status, unknown.body.errcode], [404, 'M_UNRECOGNIZED']);
    const notLegacy = await call(hs, 'GET', '/_matrix/client/r01/account/whoami', undefined, token);
    assert.equal(notLegacy.status, 404, 'only the exact r0 prefix is legacy');
  });

  it('refuses taken and invalid user names with the spec error codes', async () => {
    const taken = await call(hs, 'POST', '/_matrix/client/v3/register', {
      username: 'alice',
      password: 'pw',
    });
    assert.deepEqual([taken.status, taken.body.errcode], [400, 'M_USER_IN_USE']);
    const invalid = await call(hs, 'POST', '/_matrix/client/v3/register', {
      username: 'Bad Name!',
      password: 'pw',
    });
    assert.deepEqual([invalid.status, invalid.body.errcode], [400, 'M_INVALID_USERNAME']);
    const available = await call(hs, 'GET', '/_matrix/client/v3/register/available?username=alice');
    assert.deepEqual([available.status, available.body.errcode], [400, 'M_USER_IN_USE']);
  });

  it('logs in with a password, says who the token is, and logs out', async () => {
    await register(hs, 'bob', 'bobpw');
    const wrong = await call(hs, 'POST', '/_matrix/client/v3/login', {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: 'bob' },
      password: 'nope',
    });
    assert.deepEqual([wrong.status, wrong.body.errcode], [403, 'M_FORBIDDEN']);
    const ok = await call(hs, 'POST', '/_matrix/client/v3/login', {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: '@bob:localhost' },
      password: 'bobpw',
      device_id: 'LAPTOP',
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.device_id, 'LAPTOP');
    const token = String(ok.body.access_token);
    const who = await call(hs, 'GET', '/_matrix/client/v3/account/whoami', undefined, token);
    assert.deepEqual(who.body, { user_id: '@bob:localhost', device_id: 'LAPTOP', is_guest: false });
    assert.equal((await call(hs, 'POST', '/_matrix/client/v3/logout', {}, token)).status, 200);
    const after = await call(hs, 'GET', '/_matrix/client/v3/account/whoami', undefined, token);
    assert.deepEqual([after.status, after.body.errcode], [401, 'M_UNKNOWN_TOKEN']);
    const missing = await call(hs, 'GET', '/_matrix/client/v3/account/whoami');
    assert.deepEqual([missing.status, missing.body.errcode], [401, 'M_MISSING_TOKEN']);
  });

  it('lets browser clients in: CORS headers on every answer, and preflights answered', async () => {
    const preflight = await fetch(`${hs.url}/_matrix/client/v3/sync`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'GET' },
    });
    assert.equal(preflight.status, 200);
    assert.equal(preflight.headers.get('access-control-allow-origin'), '*');
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /Authorization/);
    assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /\bPUT\b/);
    for (const path of ['/_matrix/client/versions', '/_matrix/client/v3/account/whoami']) {
      const response = await fetch(`${hs.url}${path}`);
      assert.equal(response.headers.get('access-control-allow-origin'), '*', path);
    }
  });

  it('answers malformed requests and unknown endpoints with the spec errors', async () => {
    const notJson = await call(hs, 'POST', '/_matrix/client/v3/login', '{nope');
    assert.deepEqual([notJson.status, notJson.body.errcode], [400, 'M_NOT_JSON']);
    const unknown = await call(hs, 'GET', '/_matrix/client/v3/frobnicate');
    assert.deepEqual([unknown.status, unknown.body.errcode], [404, 'M_UNRECOGNIZED']);
    const method = await call(hs, 'DELETE', '/_matrix/client/v3/login');
    assert.deepEqual([method.status, method.body.errcode], [405, 'M_UNRECOGNIZED']);
  });

  it('keeps accounts and tokens across a restart, in a 0600 database', async () => {
    const carol = await register(hs, 'carol', 'carolpw');
    await hs.close();
    hs = await startHomeserver({ dataDir });
    const who = await call(hs, 'GET', '/_matrix/client/v3/account/whoami', undefined, carol.token);
    assert.equal(who.body.user_id, '@carol:localhost');
    assert.equal(statSync(join(dataDir, 'homeserver.sqlite')).mode & 0o777, 0o600);
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
  });
});
