import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startHomeserver, type Homeserver } from '../../../src/devserver/homeserver.ts';
import { call, register } from '../../support/devserver.ts';

const C = '/_matrix/client/v3';

describe('dev homeserver: media, profiles, directory, rate limits', () => {
  let hs: Homeserver;
  let alice: { userId: string; token: string };
  let bob: { userId: string; token: string };
  before(async () => {
    hs = await startHomeserver({ rateLimit: { perSecond: 1, burst: 3 } });
    alice = await register(hs, 'alice');
    bob = await register(hs, 'bob');
  });
  after(async () => {
    await hs.close();
  });

  it('stores uploads and serves them through authenticated and legacy download', async () => {
    const data = randomBytes(300_000);
    const up = await fetch(
      `${hs.url}/_matrix/media/v3/upload?filename=${encodeURIComponent('a b.bin')}`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${alice.token}`,
          'content-type': 'application/octet-stream',
        },
        body: data,
      },
    );
    const { content_uri: uri } = (await up.json()) as { content_uri: string };
    assert.match(uri, /^mxc:\/\/localhost\/[\w-]+$/);
    const path = uri.slice('mxc://'.length);
    const authed = await fetch(`${hs.url}/_matrix/client/v1/media/download/${path}`, {
      headers: { authorization: `Bearer ${bob.token}` },
    });
    assert.equal(authed.status, 200);
    assert.deepEqual(Buffer.from(await authed.arrayBuffer()), data);
    assert.match(
      authed.headers.get('content-disposition') ?? '',
      /^attachment; filename\*=utf-8''a%20b\.bin$/,
    );
    const anonymous = await fetch(`${hs.url}/_matrix/client/v1/media/download/${path}`);
    assert.equal(anonymous.status, 401);
    const legacy = await fetch(`${hs.url}/_matrix/media/v3/download/${path}`);
    assert.equal(legacy.status, 200);
    // The r0 prefix of the spec before 1.1 (matrix-nio downloads through it).
    const r0 = await fetch(`${hs.url}/_matrix/media/r0/download/${path}`);
    assert.deepEqual(Buffer.from(await r0.arrayBuffer()), data);
    const missing = await fetch(`${hs.url}/_matrix/media/v3/download/localhost/nope`);
    assert.equal(missing.status, 404);
  });

  it('keeps profiles, lets only the owner change them, and finds users in the directory', async () => {
    const user = encodeURIComponent(alice.userId);
    assert.equal(
      (
        await call(
          hs,
          'PUT',
          `${C}/profile/${user}/displayname`,
          { displayname: 'Alice Agent' },
          alice.token,
        )
      ).status,
      200,
    );
    assert.equal(
      (
        await call(
          hs,
          'PUT',
          `${C}/profile/${user}/displayname`,
          { displayname: 'Mallory' },
          bob.token,
        )
      ).status,
      403,
    );
    assert.deepEqual((await call(hs, 'GET', `${C}/profile/${user}`)).body, {
      displayname: 'Alice Agent',
    });
    assert.equal(
      (await call(hs, 'GET', `${C}/profile/${encodeURIComponent('@nobody:localhost')}`)).status,
      404,
    );
    const found = await call(
      hs,
      'POST',
      `${C}/user_directory/search`,
      { search_term: 'agent' },
      bob.token,
    );
    assert.deepEqual(found.body, {
      results: [{ user_id: alice.userId, display_name: 'Alice Agent' }],
      limited: false,
    });
  });

  it('rate-limits sends with 429 M_LIMIT_EXCEEDED and a retry_after_ms', async () => {
    const roomId = encodeURIComponent(
      String((await call(hs, 'POST', `${C}/createRoom`, {}, bob.token)).body.room_id),
    );
    const results = [];
    for (let i = 0; i < 5; i++)
      results.push(
        await call(
          hs,
          'PUT',
          `${C}/rooms/${roomId}/send/m.room.message/r${String(i)}`,
          { msgtype: 'm.text', body: 'x' },
          bob.token,
        ),
      );
    const limited = results.find((r) => r.status === 429);
    assert.ok(limited, 'some send was limited');
    assert.equal(limited.body.errcode, 'M_LIMIT_EXCEEDED');
    assert.ok(Number(limited.body.retry_after_ms) > 0);
    const rules = await call(hs, 'GET', `${C}/pushrules/`, undefined, alice.token);
    assert.deepEqual(Object.keys(rules.body.global as object).sort(), [
      'content',
      'override',
      'room',
      'sender',
      'underride',
    ]);
  });
});
