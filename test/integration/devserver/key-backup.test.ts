import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHomeserver, type Homeserver } from '../../../src/devserver/homeserver.ts';
import { call, register } from '../../support/devserver.ts';

const C = '/_matrix/client/v3';
const data = (index: number, verified = false) => ({
  first_message_index: index,
  forwarded_count: 0,
  is_verified: verified,
  session_data: { ciphertext: `c${String(index)}`, ephemeral: 'e', mac: 'm' },
});

describe('dev homeserver: server-side key backup', () => {
  let hs: Homeserver;
  let token = '';
  before(async () => {
    hs = await startHomeserver();
    token = (await register(hs, 'backup')).token;
  });
  after(async () => {
    await hs.close();
  });

  it('creates versions, stores the better key per session, and refuses a stale version', async () => {
    const none = await call(hs, 'GET', `${C}/room_keys/version`, undefined, token);
    assert.deepEqual([none.status, none.body.errcode], [404, 'M_NOT_FOUND']);
    const algorithm = 'm.megolm_backup.v1.curve25519-aes-sha2';
    const v1 = await call(
      hs,
      'POST',
      `${C}/room_keys/version`,
      { algorithm, auth_data: { public_key: 'k1' } },
      token,
    );
    const first = String(v1.body.version);
    const put = await call(
      hs,
      'PUT',
      `${C}/room_keys/keys?version=${first}`,
      { rooms: { '!r:localhost': { sessions: { s1: data(5), s2: data(0) } } } },
      token,
    );
    assert.deepEqual([put.status, put.body.count], [200, 2]);
    // A worse key (later first index) does not replace; a better one (earlier) does.
    const room = encodeURIComponent('!r:localhost');
    await call(hs, 'PUT', `${C}/room_keys/keys/${room}/s1?version=${first}`, data(9), token);
    let s1 = await call(
      hs,
      'GET',
      `${C}/room_keys/keys/${room}/s1?version=${first}`,
      undefined,
      token,
    );
    assert.equal(s1.body.first_message_index, 5);
    await call(hs, 'PUT', `${C}/room_keys/keys/${room}/s1?version=${first}`, data(2), token);
    s1 = await call(hs, 'GET', `${C}/room_keys/keys/${room}/s1?version=${first}`, undefined, token);
    assert.equal(s1.body.first_message_index, 2);
    const current = await call(hs, 'GET', `${C}/room_keys/version`, undefined, token);
    assert.deepEqual(
      [current.body.version, current.body.count, current.body.auth_data],
      [first, 2, { public_key: 'k1' }],
    );
    const v2 = String(
      (
        await call(
          hs,
          'POST',
          `${C}/room_keys/version`,
          { algorithm, auth_data: { public_key: 'k2' } },
          token,
        )
      ).body.version,
    );
    const stale = await call(
      hs,
      'PUT',
      `${C}/room_keys/keys/${room}/s3?version=${first}`,
      data(0),
      token,
    );
    assert.deepEqual(
      [stale.status, stale.body.errcode, stale.body.current_version],
      [403, 'M_WRONG_ROOM_KEYS_VERSION', v2],
    );
    const all = await call(hs, 'GET', `${C}/room_keys/keys?version=${first}`, undefined, token);
    assert.deepEqual(
      Object.keys(
        (all.body.rooms as Record<string, { sessions: object }>)['!r:localhost']?.sessions ?? {},
      ).sort(),
      ['s1', 's2'],
    );
    const bad = await call(
      hs,
      'PUT',
      `${C}/room_keys/keys/${room}/s4?version=${v2}`,
      { first_message_index: 'x' },
      token,
    );
    assert.deepEqual([bad.status, bad.body.errcode], [400, 'M_BAD_JSON']);
    assert.equal(
      (await call(hs, 'DELETE', `${C}/room_keys/version/${v2}`, undefined, token)).status,
      200,
    );
    const after = await call(hs, 'GET', `${C}/room_keys/version`, undefined, token);
    assert.equal(after.body.version, first);
  });
});
