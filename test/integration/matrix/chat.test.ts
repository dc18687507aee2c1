/**
 * The chat features of the transport on Matrix (specs/protocol.md §10.2), between two of our
 * transports and with a plain matrix-js-sdk client as the other side: edits, mentions (and
 * pills), reactions, typing, the confirmation field, and media events fetched with getBlob.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { encryptAttachment } from '../../../src/transport/matrix/attachments.ts';
import type {
  InboundMessage,
  ReactionEvent,
  Target,
  TransportEvent,
} from '../../../src/transport/transport.ts';
import type { EventRecorder } from '../../support/event-recorder.ts';
import { MatrixTestbed } from '../../support/matrix-peers.ts';
import { startSdkPeer, type SdkPeer } from './sdk-peer.ts';

type Text = InboundMessage & { type: 'text' };
const isText = (e: TransportEvent): e is Text => e.type === 'text';
const isReaction = (e: TransportEvent): e is ReactionEvent => e.type === 'reaction';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const textsOf = (r: EventRecorder): Text[] => r.events.filter(isText);
const waitText = (r: EventRecorder, match: (e: Text) => boolean): Promise<Text> =>
  r.waitFor((e): e is Text => isText(e) && match(e));
const waitReaction = (r: EventRecorder, match: (e: ReactionEvent) => boolean) =>
  r.waitFor((e): e is ReactionEvent => isReaction(e) && match(e));

/** An HTTP proxy to the homeserver that notes every request with a JSON body. */
async function recordingProxy(upstream: string) {
  const requests: { method: string; path: string; body: unknown }[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks);
      const path = (req.url ?? '').replace(/\?.*$/, '');
      if (req.headers['content-type']?.includes('json') && body.length > 0) {
        requests.push({ method: req.method ?? '', path, body: JSON.parse(body.toString()) });
      }
      const headers = { ...req.headers } as Record<string, string>;
      delete headers.host;
      delete headers['content-length'];
      const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
      const answer = await fetch(`${upstream}${req.url ?? ''}`, {
        method: req.method ?? 'GET',
        headers,
        ...(hasBody ? { body } : {}),
      });
      const out = Buffer.from(await answer.arrayBuffer());
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? '' });
      res.end(out);
    })().catch(() => {
      res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${String(port)}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

describe('matrix transport: chat features', () => {
  let bed: MatrixTestbed;
  const peers: SdkPeer[] = [];

  before(async () => {
    bed = await MatrixTestbed.start();
  });
  after(async () => {
    for (const peer of peers) peer.stop();
    await bed.dispose();
  });

  /** Two transports in one new workspace. */
  const pair = async () => {
    const a = await bed.connect(await bed.account('alice'));
    const b = await bed.connect(await bed.account('bob'));
    const workspace = bed.workspace();
    await a.t.joinWorkspace(workspace);
    await b.t.joinWorkspace(workspace, { nick: 'ignored on Matrix' });
    return { a, b, workspace };
  };

  /** One transport and an SDK peer in one new workspace. */
  const withSdkPeer = async () => {
    const alice = await bed.account('alice');
    const a = await bed.connect(alice);
    const workspace = bed.workspace();
    await a.t.joinWorkspace(workspace);
    const peer = await startSdkPeer(bed.url, await bed.account('carol'));
    peers.push(peer);
    const roomId = await peer.join(workspace);
    return { a, alice, workspace, peer, roomId };
  };

  it('an edit arrives with replaces = the id the peer saw for the original, directly and in a workspace', async () => {
    const { a, b, workspace } = await pair();
    const targets: [Target, Target][] = [
      [
        { kind: 'direct', address: b.t.address },
        { kind: 'direct', address: a.t.address },
      ],
      [
        { kind: 'workspace', workspace },
        { kind: 'workspace', workspace },
      ],
    ];
    for (const [toBob, fromAlice] of targets) {
      const original = await a.t.send(toBob, { type: 'text', text: `typo in ${toBob.kind}` });
      assert.doesNotMatch(original.id, /#/, 'text is never batched: a plain event id');
      const seen = await waitText(b.r, (e) => e.text === `typo in ${toBob.kind}`);
      assert.equal(seen.id, original.id);
      await a.t.send(toBob, {
        type: 'text',
        text: `fixed in ${toBob.kind}`,
        replaces: original.id,
      });
      const edit = await waitText(b.r, (e) => e.text === `fixed in ${toBob.kind}`);
      assert.deepEqual(
        { replaces: edit.replaces, target: edit.target, from: edit.from },
        { replaces: seen.id, target: fromAlice, from: a.t.address },
      );
    }
    await sleep(300);
    assert.deepEqual(
      textsOf(b.r).map((e) => [e.text, e.replaces]),
      [
        ['typo in direct', undefined],
        ['fixed in direct', textsOf(b.r)[0]?.id],
        ['typo in workspace', undefined],
        ['fixed in workspace', textsOf(b.r)[2]?.id],
      ],
      'no "* fixed" fallback delivered as text of its own',
    );
    assert.equal(
      a.r.events.some((e) => isText(e)),
      false,
      'our own events are never delivered to us',
    );
  });

  it('a direct message sent again with the same id after a restart is one message, in the same room, and its edit applies to it', async () => {
    const alice = await bed.account('alice');
    const first = await bed.connect(alice);
    const b = await bed.connect(await bed.account('bob'));
    const toBob: Target = { kind: 'direct', address: b.t.address };
    const id = 'answer-to-stanza-1';
    const sent = await first.t.send(toBob, { type: 'text', text: 'the answer …', id });
    const seen = await waitText(b.r, (e) => e.text === 'the answer …');
    // What a serve agent killed after answering, and started again, does.
    await first.t.close();
    const again = await bed.connect(alice);
    const resent = await again.t.send(toBob, { type: 'text', text: 'the answer …', id });
    assert.equal(resent.id, sent.id, 'the homeserver knows the transaction');
    await again.t.send(toBob, { type: 'text', text: 'the answer', replaces: resent.id });
    const edit = await waitText(b.r, (e) => e.text === 'the answer');
    assert.equal(edit.replaces, seen.id);
    await sleep(300);
    assert.equal(textsOf(b.r).filter((e) => e.text === 'the answer …').length, 1);
  });

  it('mentions and reactions round trip, with reactsTo = the id the reacting peer saw', async () => {
    const { a, b, workspace } = await pair();
    const where = { kind: 'workspace', workspace } as const;
    await a.t.send(where, { type: 'text', text: 'bob, look', mentions: [b.t.address] });
    const mention = await waitText(b.r, (e) => e.text === 'bob, look');
    assert.deepEqual(mention.mentions, [b.t.address]);
    // Bob reacts to the message as he saw it; alice learns which of hers it was.
    const sent = await a.t.send(
      { kind: 'direct', address: b.t.address },
      { type: 'text', text: 'react to me' },
    );
    const seen = await waitText(b.r, (e) => e.text === 'react to me');
    await b.t.react({ kind: 'direct', address: a.t.address }, seen.id, '👍');
    await b.t.react(where, mention.id, '🎉');
    const direct = await waitReaction(a.r, (e) => e.emojis[0] === '👍');
    assert.deepEqual(
      { ...direct, id: typeof direct.id, timestamp: typeof direct.timestamp },
      {
        type: 'reaction',
        id: 'string',
        from: b.t.address,
        target: { kind: 'direct', address: b.t.address },
        reactsTo: sent.id,
        emojis: ['👍'],
        timestamp: 'number',
        // Reactions travel in plaintext: the homeserver could have made this one up.
        forgeable: true,
      },
    );
    const inRoom = await waitReaction(a.r, (e) => e.emojis[0] === '🎉');
    assert.deepEqual(inRoom.target, where);
    assert.equal(inRoom.reactsTo, mention.id);
    await sleep(300);
    assert.equal(a.r.events.filter(isText).length, 0, 'a reaction is never text');
  });

  it('typing notices go to the room of the target, with a 30 s timeout', async () => {
    // The dev homeserver accepts typing without relaying it: watch the requests instead.
    const proxy = await recordingProxy(bed.url);
    try {
      const alice = await bed.account('alice');
      const a = await bed.connect(alice, { homeserver: proxy.url });
      const b = await bed.connect(await bed.account('bob'));
      const workspace = bed.workspace();
      await a.t.joinWorkspace(workspace);
      const roomId = await bed.roomIdOf(workspace);
      await a.t.send({ kind: 'direct', address: b.t.address }, { type: 'text', text: 'hi' });
      await waitText(b.r, (e) => e.text === 'hi');
      // Nobody to show it to yet: no DM room is made for a typing notice.
      await a.t.setTyping({ kind: 'direct', address: '@nobody:localhost' }, true);
      await a.t.setTyping({ kind: 'workspace', workspace }, true);
      await a.t.setTyping({ kind: 'direct', address: b.t.address }, true);
      await a.t.setTyping({ kind: 'workspace', workspace }, false);
      const typing = proxy.requests.filter((r) => r.path.includes('/typing/'));
      const path = (room: string) =>
        `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/typing/${encodeURIComponent(alice.userId)}`;
      assert.equal(typing.length, 3);
      assert.deepEqual(typing[0], {
        method: 'PUT',
        path: path(roomId),
        body: { typing: true, timeout: 30_000 },
      });
      assert.notEqual(typing[1]?.path, path(roomId), 'the DM room, not the workspace');
      assert.deepEqual(typing[1]?.body, { typing: true, timeout: 30_000 });
      assert.deepEqual(typing[2], { method: 'PUT', path: path(roomId), body: { typing: false } });
      await a.t.close();
    } finally {
      await proxy.close();
    }
  });

  it('a plain SDK client sees the confirmation and mentions; its pills and edits are read', async () => {
    const { a, alice, workspace, peer, roomId } = await withSdkPeer();
    const where = { kind: 'workspace', workspace } as const;
    const confirm = { id: 'c-1', action: 'send-message', expires: Date.now() + 60_000 };
    const sent = await a.t.send(where, {
      type: 'text',
      text: 'may I send it?',
      confirm: { ...confirm, risk: 'medium' },
      mentions: [peer.userId],
    });
    const raw = await peer.waitEvent((e) => e.id === sent.id);
    assert.equal(raw.encrypted, true);
    assert.deepEqual(raw.content, {
      msgtype: 'm.text',
      body: 'may I send it?',
      'm.mentions': { user_ids: [peer.userId] },
      'org.mxagent.confirm': { ...confirm, risk: 'medium' },
    });

    const pill = await peer.client.sendEvent(
      roomId,
      'm.room.message' as never,
      {
        msgtype: 'm.text',
        body: 'alice: hello',
        format: 'org.matrix.custom.html',
        formatted_body: `<a href="https://matrix.to/#/${alice.userId}">alice</a>: hello`,
      } as never,
    );
    const pilled = await waitText(a.r, (e) => e.id === pill.event_id);
    assert.deepEqual(pilled.mentions, [alice.userId]);
    await peer.client.sendEvent(
      roomId,
      'm.room.message' as never,
      {
        msgtype: 'm.text',
        body: '* alice: hi',
        'm.new_content': { msgtype: 'm.text', body: 'alice: hi' },
        'm.relates_to': { rel_type: 'm.replace', event_id: pill.event_id },
      } as never,
    );
    const edited = await waitText(a.r, (e) => e.replaces === pill.event_id);
    assert.equal(edited.text, 'alice: hi');
  });

  it('media a plain SDK client sends arrive as attachments getBlob returns byte for byte', async () => {
    const { a, peer, roomId } = await withSdkPeer();
    const secret = randomBytes(3000);
    const { ciphertext, file } = encryptAttachment(secret);
    const upload = await peer.client.uploadContent(Buffer.from(ciphertext), {
      type: 'application/octet-stream',
    });
    const encrypted = await peer.client.sendEvent(
      roomId,
      'm.room.message' as never,
      {
        msgtype: 'm.file',
        body: 'report.pdf',
        file: { ...file, url: upload.content_uri },
        info: { mimetype: 'application/pdf', size: secret.byteLength },
      } as never,
    );
    const got = await waitText(a.r, (e) => e.id === encrypted.event_id);
    assert.equal(got.text, '');
    const attachment = got.attachments?.[0];
    assert.deepEqual(
      { name: attachment?.name, type: attachment?.contentType, size: attachment?.size },
      { name: 'report.pdf', type: 'application/pdf', size: secret.byteLength },
    );
    assert.ok(attachment?.ref);
    assert.deepEqual(Buffer.from(await a.t.getBlob(attachment.ref)), secret);
    // The ciphertext is checked against the hash the event carries.
    const tampered = { ...file, url: attachment.ref.uri, hashes: { sha256: 'AAAA' } } as never;
    await assert.rejects(
      a.t.getBlob({ ...attachment.ref, extra: { ...attachment.ref.extra, file: tampered } }),
      /integrity check/,
    );
    // Unencrypted media (a `url`) with a caption: checked by its size.
    const picture = randomBytes(500);
    const plainUpload = await peer.client.uploadContent(Buffer.from(picture), {
      type: 'image/png',
    });
    const image = await peer.client.sendEvent(
      roomId,
      'm.room.message' as never,
      {
        msgtype: 'm.image',
        body: 'the cat, as promised',
        filename: 'cat.png',
        url: plainUpload.content_uri,
        info: { mimetype: 'image/png', size: picture.byteLength },
      } as never,
    );
    const cat = await waitText(a.r, (e) => e.id === image.event_id);
    assert.equal(cat.text, 'the cat, as promised');
    const ref = cat.attachments?.[0]?.ref;
    assert.ok(ref);
    assert.equal(ref.name, 'cat.png');
    assert.deepEqual(Buffer.from(await a.t.getBlob(ref)), picture);
    await assert.rejects(a.t.getBlob({ ...ref, size: 499 }), /integrity check/);
  });
});
