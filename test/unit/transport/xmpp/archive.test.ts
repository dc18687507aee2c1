import assert from 'node:assert/strict';
import { test } from 'node:test';
import { xml, type Element } from '@xmpp/xml';
import {
  InterruptedError,
  NetworkError,
  RefusedError,
  UsageError,
} from '../../../../src/errors.ts';
import { MessageArchive } from '../../../../src/transport/xmpp/archive.ts';

const NS_MAM = 'urn:xmpp:mam:2';
const NS_RSM = 'http://jabber.org/protocol/rsm';
const ROOM = 'room@conf.example.org';
const SELF = 'me@example.org/agent';
const WORKSPACE = { kind: 'workspace', workspace: ROOM } as const;

/** What the fake server does with one query: results to send first, then the IQ answer. */
interface Answer {
  readonly results?: readonly { id: string; text: string; from?: string; sender?: string }[];
  readonly fin?: { first?: string; complete?: boolean };
  readonly error?: string;
  readonly never?: boolean;
}

/** A MessageArchive whose IQs a scripted server answers; `sent` records every query. */
function archiveWith(answer: (query: Element) => Answer): {
  archive: MessageArchive;
  sent: Element[];
  taken: Element[];
} {
  const sent: Element[] = [];
  const taken: Element[] = [];
  const archive: MessageArchive = new MessageArchive({
    request: (iq) => {
      const query = iq.getChild('query', NS_MAM);
      assert.ok(query);
      sent.push(iq);
      const plan = answer(query);
      if (plan.never) return new Promise<Element>(() => undefined);
      for (const r of plan.results ?? []) {
        const stanza = xml(
          'message',
          { from: r.from ?? iq.attrs.to, to: SELF },
          xml(
            'result',
            { xmlns: NS_MAM, queryid: query.attrs.queryid, id: r.id },
            xml(
              'forwarded',
              { xmlns: 'urn:xmpp:forward:0' },
              xml('delay', { xmlns: 'urn:xmpp:delay', stamp: '2025-01-02T03:04:05Z' }),
              xml(
                'message',
                { from: `${ROOM}/${r.sender ?? 'bob'}`, type: 'groupchat' },
                xml('body', {}, r.text),
              ),
            ),
          ),
        );
        if (archive.take(stanza)) taken.push(stanza);
      }
      if (plan.error) {
        return Promise.reject(Object.assign(new Error(plan.error), { condition: plan.error }));
      }
      const { first, complete } = plan.fin ?? {};
      const set = xml('set', { xmlns: NS_RSM }, first ? xml('first', {}, first) : undefined);
      const fin = xml('fin', { xmlns: NS_MAM, complete: complete ? 'true' : undefined }, set);
      return Promise.resolve(xml('iq', { type: 'result' }, fin));
    },
    self: () => SELF,
    nickIn: (room) => (room === ROOM ? 'me' : undefined),
    log: () => undefined,
  });
  return { archive, sent, taken };
}

const texts = (page: { messages: readonly { type: string }[] }): string[] =>
  page.messages.map((m) => ('text' in m ? String(m.text) : m.type));

test('pages run newest first, and the cursor is the <first/> of <fin/>', async () => {
  const { archive, sent } = archiveWith((query) =>
    query.getChild('set', NS_RSM)?.getChildText('before')
      ? { results: [{ id: 'A1', text: 'one' }], fin: { first: 'A1', complete: true } }
      : {
          results: [
            { id: 'A2', text: 'two' },
            { id: 'A3', text: 'three', sender: 'me' },
          ],
          fin: { first: 'A2' },
        },
  );
  const newest = await archive.history(WORKSPACE, { limit: 2 });
  assert.deepEqual(texts(newest), ['three', 'two']);
  assert.equal(newest.next, 'A2');
  assert.equal(newest.unreadable, 0);
  const older = await archive.history(WORKSPACE, { limit: 2, before: 'A2' });
  assert.deepEqual(texts(older), ['one']);
  assert.equal(older.next, undefined, 'complete: the beginning is reached');
  assert.equal(sent[0]?.attrs.to, ROOM);
  assert.equal(sent[0]?.getChild('query')?.getChild('set')?.getChildText('max'), '2');
});

test('the default limit is 100 and an empty page has no cursor', async () => {
  const { archive, sent } = archiveWith(() => ({ fin: {} }));
  const page = await archive.history(WORKSPACE, {});
  assert.deepEqual(page, { messages: [], unreadable: 0 });
  assert.equal(sent[0]?.getChild('query')?.getChild('set')?.getChildText('max'), '100');
});

test('a server that sends more than asked is trimmed to the newest, the cursor after them', async () => {
  const { archive } = archiveWith(() => ({
    results: ['A1', 'A2', 'A3'].map((id) => ({ id, text: id })),
    fin: { first: 'A1', complete: true },
  }));
  const page = await archive.history(WORKSPACE, { limit: 2 });
  assert.deepEqual(texts(page), ['A3', 'A2']);
  assert.equal(page.next, 'A2');
});

test('a direct conversation asks our own archive, filtered by the peer account', async () => {
  const { archive, sent } = archiveWith(() => ({ fin: { complete: true } }));
  await archive.history({ kind: 'direct', address: 'bob@example.org/laptop' });
  const iq = sent[0];
  assert.equal(iq?.attrs.to, 'me@example.org');
  const field = iq
    ?.getChild('query')
    ?.getChild('x', 'jabber:x:data')
    ?.getChildren('field')
    .find((f) => f.attrs.var === 'with');
  assert.equal(field?.getChildText('value'), 'bob@example.org');
});

test('results are taken off the live path; only those of the archive asked are kept', async () => {
  const { archive, taken } = archiveWith(() => ({
    results: [
      { id: 'A1', text: 'real' },
      { id: 'A2', text: 'forged', from: 'eve@example.org/x' },
    ],
    fin: { first: 'A1' },
  }));
  const page = await archive.history(WORKSPACE);
  assert.deepEqual(texts(page), ['real']);
  assert.equal(taken.length, 2, 'the forged result is not delivered live either');
  const stray = xml(
    'message',
    { from: ROOM },
    xml('result', { xmlns: NS_MAM, queryid: 'nobody-asked', id: 'A9' }),
  );
  assert.equal(archive.take(stray), true);
  assert.equal(archive.take(xml('message', { from: ROOM }, xml('body', {}, 'live'))), false);
});

test('a server without message archiving is named as such', async () => {
  for (const condition of ['service-unavailable', 'feature-not-implemented']) {
    const { archive } = archiveWith(() => ({ error: condition }));
    await assert.rejects(archive.history({ kind: 'direct', address: 'bob@example.org' }), {
      constructor: NetworkError,
      message: `the server of me@example.org does not offer message archiving (XEP-0313, urn:xmpp:mam:2), so there is no history to read (${condition}); its admin can enable it`,
      detail: { condition },
    });
  }
});

test('an unknown cursor is a usage error; a refusal is a refusal', async () => {
  const missing = archiveWith(() => ({ error: 'item-not-found' })).archive;
  await assert.rejects(missing.history(WORKSPACE, { before: 'nope' }), {
    constructor: UsageError,
    message: 'unknown history cursor "nope": pass the next cursor of a previous page',
  });
  const forbidden = archiveWith(() => ({ error: 'forbidden' })).archive;
  await assert.rejects(forbidden.history(WORKSPACE), {
    constructor: RefusedError,
    message: `the room service of ${ROOM} refused to show its message archive (forbidden)`,
  });
});

test('a bad limit or an empty cursor is refused before anything is sent', async () => {
  const { archive, sent } = archiveWith(() => ({ fin: {} }));
  for (const limit of [0, -1, 1.5, Number.NaN])
    await assert.rejects(archive.history(WORKSPACE, { limit }), UsageError);
  await assert.rejects(archive.history(WORKSPACE, { before: '' }), UsageError);
  assert.equal(sent.length, 0);
});

test('an archive that never answers times out, and its late results are dropped', async () => {
  let queryid = '';
  const { archive } = archiveWith((query) => {
    queryid = query.attrs.queryid ?? '';
    return { never: true };
  });
  await assert.rejects(archive.history(WORKSPACE, {}, { timeoutMs: 50 }), {
    constructor: NetworkError,
    message: `timed out after 50 ms waiting for the message archive of ${ROOM}`,
  });
  const late = xml('message', { from: ROOM }, xml('result', { xmlns: NS_MAM, queryid, id: 'A1' }));
  assert.equal(archive.take(late), true, 'taken (never live), and dropped');
});

test('an abort signal ends the wait', async () => {
  const { archive } = archiveWith(() => ({ never: true }));
  const controller = new AbortController();
  const reading = archive.history(WORKSPACE, {}, { signal: controller.signal });
  controller.abort();
  await assert.rejects(reading, InterruptedError);
});
