import assert from 'node:assert/strict';
import { test } from 'node:test';
import { xml, type Element } from '@xmpp/xml';
import {
  archiveQuery,
  archiveResultOf,
  readArchiveFin,
  readArchiveResult,
} from '../../../../src/transport/xmpp/mam.ts';

const NS_MAM = 'urn:xmpp:mam:2';
const NS_RSM = 'http://jabber.org/protocol/rsm';

function result(
  attrs: Record<string, string>,
  forwarded: Element | undefined = xml(
    'forwarded',
    { xmlns: 'urn:xmpp:forward:0' },
    xml('delay', { xmlns: 'urn:xmpp:delay', stamp: '2025-01-02T03:04:05Z' }),
    xml('message', { from: 'bob@example.org/r', type: 'chat' }, xml('body', {}, 'hi')),
  ),
): Element {
  return xml('result', { xmlns: NS_MAM, ...attrs }, forwarded);
}

test('the newest page asks with an empty <before/>; older pages name the cursor', () => {
  const newest = archiveQuery({ queryid: 'q1', max: 3 });
  assert.equal(
    newest.toString(),
    `<query xmlns="${NS_MAM}" queryid="q1"><set xmlns="${NS_RSM}"><max>3</max><before/></set></query>`,
  );
  const older = archiveQuery({ queryid: 'q2', max: 50, before: 'abc' });
  assert.equal(older.getChild('set', NS_RSM)?.getChildText('before'), 'abc');
  assert.equal(older.getChild('x', 'jabber:x:data'), undefined, 'no form without a filter');
});

test('a direct conversation filters with a MAM form field `with`', () => {
  const query = archiveQuery({ queryid: 'q', max: 10, with: 'bob@example.org' });
  const fields = query.getChild('x', 'jabber:x:data')?.getChildren('field') ?? [];
  assert.deepEqual(
    fields.map((f) => [f.attrs.var, f.getChildText('value')]),
    [
      ['FORM_TYPE', NS_MAM],
      ['with', 'bob@example.org'],
    ],
  );
});

test('a result opens into its archive id, query id, stamp and message', () => {
  const entry = readArchiveResult(result({ queryid: 'q', id: 'A1' }));
  if (typeof entry === 'string') assert.fail(entry);
  assert.equal(entry.queryid, 'q');
  assert.equal(entry.archiveId, 'A1');
  assert.equal(entry.stamp, Date.parse('2025-01-02T03:04:05Z'));
  assert.equal(entry.message.getChildText('body'), 'hi');
});

test('without a forwarded stamp, the inner delay stamp is used', () => {
  const forwarded = xml(
    'forwarded',
    { xmlns: 'urn:xmpp:forward:0' },
    xml(
      'message',
      { from: 'bob@example.org/r' },
      xml('delay', { xmlns: 'urn:xmpp:delay', stamp: '2024-05-06T07:08:09.123Z' }),
    ),
  );
  const entry = readArchiveResult(result({ queryid: 'q', id: 'A1' }, forwarded));
  assert.equal(typeof entry === 'string' ? entry : entry.stamp, 1714979289123);
});

test('malformed results say what is wrong', () => {
  const noStamp = xml(
    'forwarded',
    { xmlns: 'urn:xmpp:forward:0' },
    xml('delay', { xmlns: 'urn:xmpp:delay', stamp: 'yesterday' }),
    xml('message', {}),
  );
  const wrongNs = xml('forwarded', { xmlns: 'urn:example' }, xml('message', {}));
  const cases: [Element, string][] = [
    [result({ id: 'A1' }), 'an archive result without a queryid'],
    [result({ queryid: 'q' }), 'an archive result without an id'],
    [result({ queryid: 'q', id: 'A1' }, noStamp), 'archive result A1 has no valid <delay stamp/>'],
    [result({ queryid: 'q', id: 'A1' }, wrongNs), 'archive result A1 has no forwarded <message/>'],
    [
      result({ queryid: 'q', id: 'A1' }, xml('forwarded', { xmlns: 'urn:xmpp:forward:0' })),
      'archive result A1 has no forwarded <message/>',
    ],
  ];
  for (const [element, why] of cases) assert.equal(readArchiveResult(element), why);
});

test('only messages carrying a MAM result count as archive results', () => {
  const inside = result({ queryid: 'q', id: 'A1' });
  assert.equal(archiveResultOf(xml('message', {}, inside)), inside);
  assert.equal(archiveResultOf(xml('message', {}, xml('body', {}, 'hi'))), undefined);
  assert.equal(archiveResultOf(xml('iq', {}, result({ queryid: 'q', id: 'A1' }))), undefined);
  const oldNamespace = xml('result', { xmlns: 'urn:xmpp:mam:1', queryid: 'q', id: 'A1' });
  assert.equal(archiveResultOf(xml('message', {}, oldNamespace)), undefined);
});

test('<fin/> gives the first id and whether the archive is exhausted', () => {
  const fin = (attrs: Record<string, string>, ...set: Element[]): Element =>
    xml('iq', { type: 'result' }, xml('fin', { xmlns: NS_MAM, ...attrs }, ...set));
  const rsm = xml('set', { xmlns: NS_RSM }, xml('first', {}, 'A1'), xml('last', {}, 'A3'));
  assert.deepEqual(readArchiveFin(fin({}, rsm)), { complete: false, first: 'A1' });
  assert.deepEqual(readArchiveFin(fin({ complete: 'true' }, rsm)), { complete: true, first: 'A1' });
  assert.deepEqual(readArchiveFin(fin({ complete: '1' })), { complete: true });
  assert.deepEqual(readArchiveFin(fin({ complete: 'false' }, xml('set', { xmlns: NS_RSM }))), {
    complete: false,
  });
  assert.equal(readArchiveFin(xml('iq', { type: 'result' })), undefined);
});
