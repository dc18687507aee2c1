/**
 * The transport contract: what every implementation of src/transport/transport.ts must do.
 * Run against the fake (unit), XMPP on a real Prosody and Matrix on the dev homeserver, so the
 * fake cannot drift from the real networks.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { UsageError } from '../../src/errors.ts';
import type { InboundMessage, Transport, TransportEvent } from '../../src/transport/transport.ts';
import { EventRecorder } from '../support/event-recorder.ts';
import { agentRequestCases } from './agent-requests-contract.ts';
import { workspaceAdminCases } from './workspace-admin-contract.ts';

/** What a network brings to the contract suite. */
export interface ContractHarness {
  /** A new, not yet connected transport for a fresh account. */
  newPeer(): Promise<Transport>;
  /** A workspace name nobody has used yet. */
  newWorkspace(): string;
  /** An input `resolveTarget` must reject. */
  readonly malformedAddress: string;
  /** Cut every connection (restart the server) and let them come back. */
  interrupt(): Promise<void>;
  /** Stop the server processes; called once at the end. */
  dispose(): Promise<void>;
  /**
   * Whether direct messages queued during an outage keep their order against those sent just
   * after it. Matrix rooms do (one timeline); XMPP does not promise it: a message the server
   * stored while the peer was away (XEP-0160) may be delivered after ones routed to it live a
   * moment later. Without the promise, each must still arrive exactly once.
   */
  readonly ordersAcrossOutage: boolean;
  /**
   * A new, not yet connected transport that may answer agent requests, when `newPeer`'s may
   * not (a session host's client: only the host answers).
   */
  newAnsweringPeer?(): Promise<Transport>;
}

const isText = (e: TransportEvent): e is InboundMessage & { type: 'text' } => e.type === 'text';
const isPayload = (e: TransportEvent): e is InboundMessage & { type: 'payload' } =>
  e.type === 'payload';

/** Register the contract tests for one network. */
export function transportContract(name: string, makeHarness: () => Promise<ContractHarness>): void {
  describe(`transport contract: ${name}`, () => {
    let harness: ContractHarness;
    const open: Transport[] = [];
    const peer = async (
      make = (): Promise<Transport> => harness.newPeer(),
    ): Promise<{ t: Transport; events: EventRecorder }> => {
      const t = await make();
      const events = new EventRecorder(t);
      await t.connect({ timeoutMs: 10_000 });
      open.push(t);
      return { t, events };
    };

    before(async () => {
      harness = await makeHarness();
    });
    after(async () => {
      await Promise.allSettled(open.map((t) => t.close()));
      await harness.dispose();
    });

    it('connects, reports online and knows its own address', async () => {
      const { t, events } = await peer();
      assert.equal(t.state, 'online');
      assert.ok(t.address.length > 0);
      await events.waitFor((e) => e.type === 'connection' && e.state === 'online');
    });

    it('delivers direct text with the sender address, and no echo to the sender', async () => {
      const a = await peer();
      const b = await peer();
      const receipt = await a.t.send(
        { kind: 'direct', address: b.t.address },
        { type: 'text', text: 'hello ünïcode ✓' },
      );
      const got = await b.events.waitFor(isText);
      assert.equal(got.text, 'hello ünïcode ✓');
      assert.equal(got.from, a.t.address);
      assert.deepEqual(got.target, { kind: 'direct', address: a.t.address });
      assert.equal(got.id, receipt.id);
      assert.equal(a.events.events.filter(isText).length, 0);
    });

    it('round-trips a protocol payload intact, unknown fields and all', async () => {
      const a = await peer();
      const b = await peer();
      const body = {
        id: 'x1',
        nested: { list: [1, -2, 3.5, true, null, 'a<b>&"c\''], empty: {} },
        text: 'line1\nline2\ttab \u0000-free ]]> <not-xml/>',
        big: randomBytes(18 * 1024).toString('base64'),
        futureField: { anything: ['kept'] },
      };
      await a.t.send(
        { kind: 'direct', address: b.t.address },
        { type: 'payload', payload: { kind: 'test.echo', version: 3, body } },
      );
      const got = await b.events.waitFor(isPayload);
      assert.deepEqual(got.payload, { kind: 'test.echo', version: 3, body });
    });

    it('refuses malformed payloads and targets before sending anything', async () => {
      const a = await peer();
      await assert.rejects(
        a.t.send(
          { kind: 'direct', address: a.t.address },
          { type: 'payload', payload: { kind: 'Bad Kind', version: 1, body: {} } },
        ),
        (e: unknown) => e instanceof UsageError && /payload kind/.test(e.message),
      );
      await assert.rejects(
        a.t.send(
          { kind: 'direct', address: a.t.address },
          {
            type: 'payload',
            payload: { kind: 'test.big', version: 1, body: { x: 'y'.repeat(40_000) } },
          },
        ),
        (e: unknown) => e instanceof UsageError && /send large data as a blob/.test(e.message),
      );
      await assert.rejects(
        a.t.resolveTarget(harness.malformedAddress),
        (e: unknown) => e instanceof UsageError && /expected/.test(e.message),
      );
    });

    it('runs a workspace: members, messages to all but the sender, no history replay, leave', async () => {
      const a = await peer();
      const b = await peer();
      const workspace = harness.newWorkspace();
      const infoA = await a.t.joinWorkspace(workspace);
      assert.equal(infoA.created, true);
      await a.t.send({ kind: 'workspace', workspace }, { type: 'text', text: 'before b joined' });
      const infoB = await b.t.joinWorkspace(workspace);
      assert.equal(infoB.created, false);
      assert.deepEqual(await a.t.resolveTarget(workspace), { kind: 'workspace', workspace });
      await a.events.waitFor(
        (e) =>
          e.type === 'presence' &&
          e.workspace === workspace &&
          e.from === infoB.self &&
          e.availability === 'available',
      );
      await a.t.send({ kind: 'workspace', workspace }, { type: 'text', text: 'after b joined' });
      const got = await b.events.waitFor(isText);
      assert.equal(got.text, 'after b joined');
      assert.equal(got.from, infoA.self);
      assert.deepEqual(got.target, { kind: 'workspace', workspace });
      assert.deepEqual(
        b.events.texts(),
        ['after b joined'],
        'history from before the join is not new input',
      );
      assert.equal(
        a.events.events.filter(isText).length,
        0,
        'no echo of our own workspace message',
      );
      assert.deepEqual(a.t.joinedWorkspaces(), [workspace]);
      assert.ok(a.t.members(workspace).some((m) => m.address === infoB.self));
      await b.t.leaveWorkspace(workspace);
      await a.events.waitFor(
        (e) => e.type === 'presence' && e.from === infoB.self && e.availability === 'offline',
      );
      assert.deepEqual(b.t.joinedWorkspaces(), []);
    });

    it('shows presence changes to workspace members', async () => {
      const a = await peer();
      const b = await peer();
      const workspace = harness.newWorkspace();
      const infoA = await a.t.joinWorkspace(workspace);
      await b.t.joinWorkspace(workspace);
      await a.t.setPresence('away', 'lunch');
      const seen = await b.events.waitFor(
        (e) => e.type === 'presence' && e.from === infoA.self && e.availability === 'away',
      );
      assert.equal(seen.type === 'presence' ? seen.status : undefined, 'lunch');
    });

    it('stores blobs any peer can fetch, verified by sha256', async () => {
      const a = await peer();
      const b = await peer();
      for (const size of [0, 1, 700 * 1024]) {
        const data = new Uint8Array(randomBytes(size));
        const ref = await a.t.putBlob(data, {
          contentType: 'application/octet-stream',
          name: 'x.bin',
        });
        assert.equal(ref.size, size);
        assert.deepEqual(await b.t.getBlob(ref), data);
        await assert.rejects(
          b.t.getBlob({ ...ref, sha256: '0'.repeat(64) }),
          /integrity|sha256|not found/,
        );
      }
    });

    it('keeps durable workspace state per (type, key)', async () => {
      const a = await peer();
      const b = await peer();
      const workspace = harness.newWorkspace();
      await a.t.joinWorkspace(workspace);
      await b.t.joinWorkspace(workspace);
      await a.t.putState(workspace, 'test.card', 'a', { name: 'first' });
      await a.t.putState(workspace, 'test.card', 'a', { name: 'replaced', n: 2 });
      await b.t.putState(workspace, 'test.card', 'b', { name: 'bee' });
      assert.deepEqual(await b.t.getState(workspace, 'test.card', 'a'), { name: 'replaced', n: 2 });
      assert.equal(await b.t.getState(workspace, 'test.card', 'missing'), undefined);
      const all = await a.t.listState(workspace, 'test.card');
      assert.deepEqual(all.map((e) => [e.key, e.content]).sort(), [
        ['a', { name: 'replaced', n: 2 }],
        ['b', { name: 'bee' }],
      ]);
    });

    it('queues sends during an outage and delivers each exactly once after reconnect', async () => {
      const a = await peer();
      const b = await peer();
      const workspace = harness.newWorkspace();
      await a.t.joinWorkspace(workspace);
      await b.t.joinWorkspace(workspace);
      await a.t.send({ kind: 'direct', address: b.t.address }, { type: 'text', text: 'd0' });
      await b.events.waitFor((e) => isText(e) && e.text === 'd0');
      const outage = harness.interrupt();
      await a.events.waitFor((e) => e.type === 'connection' && e.state === 'reconnecting', 15_000);
      const sends = [1, 2, 3].map((i) =>
        a.t.send(
          { kind: 'direct', address: b.t.address },
          { type: 'text', text: `d${String(i)}` },
          { timeoutMs: 30_000 },
        ),
      );
      const wsSend = a.t.send(
        { kind: 'workspace', workspace },
        { type: 'text', text: 'w1' },
        { timeoutMs: 30_000 },
      );
      await outage;
      await Promise.all([...sends, wsSend]);
      await b.events.waitFor((e) => isText(e) && e.text === 'w1', 30_000);
      await b.events.waitForCount((e) => isText(e) && e.target.kind === 'direct', 4, 30_000);
      await new Promise((r) => setTimeout(r, 300));
      const direct = b.events.events
        .filter((e) => isText(e) && e.target.kind === 'direct')
        .map((e) => (isText(e) ? e.text : ''));
      assert.deepEqual(
        harness.ordersAcrossOutage ? direct : [...direct].sort(),
        ['d0', 'd1', 'd2', 'd3'],
        JSON.stringify(b.events.events.filter((e) => isText(e))),
      );
      assert.equal(b.events.texts().filter((t) => t === 'w1').length, 1);
      assert.equal(a.t.state, 'online');
      assert.deepEqual(a.t.joinedWorkspaces(), [workspace], 'workspaces are rejoined');
    });

    it('reads workspace and direct history backwards in pages, with live ids and own messages', async () => {
      const a = await peer();
      const b = await peer();
      const workspace = harness.newWorkspace();
      const infoA = await a.t.joinWorkspace(workspace);
      const infoB = await b.t.joinWorkspace(workspace);
      await a.events.waitFor(
        (e) => e.type === 'presence' && e.from === infoB.self && e.availability === 'available',
      );
      const where = { kind: 'workspace', workspace } as const;
      const sent: string[] = [];
      for (let i = 0; i < 7; i++) {
        const sender = i % 3 === 2 ? b.t : a.t;
        const content =
          i % 2 === 0
            ? ({ type: 'text', text: `h${String(i)}` } as const)
            : ({
                type: 'payload',
                payload: { kind: 'test.hist', version: 1, body: { i, data: 'x'.repeat(i * 100) } },
              } as const);
        sent.push((await sender.send(where, content)).id);
      }
      const live = (
        await b.events.waitForCount((e) => e.type === 'text' || e.type === 'payload', 5)
      ).filter((e): e is InboundMessage => e.type === 'text' || e.type === 'payload');
      // Read everything back from b's side, three at a time.
      const read: InboundMessage[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 20; pages++) {
        const page = await b.t.history(where, { limit: 3, ...(cursor ? { before: cursor } : {}) });
        assert.ok(page.messages.length <= 3);
        read.push(...page.messages);
        cursor = page.next;
        if (!cursor) break;
      }
      const ours = read.filter((m) => sent.includes(m.id)).reverse();
      assert.deepEqual(
        ours.map((m) => m.id),
        sent,
        'every message, oldest last on the wire, newest first in the pages',
      );
      for (const m of ours) {
        assert.equal(m.delayed, true);
        assert.deepEqual(m.target, where);
      }
      const byId = new Map(ours.map((m) => [m.id, m]));
      // Equal to live delivery except the time, which the server may stamp more coarsely.
      const comparable = ({ timestamp, delayed, ...rest }: InboundMessage): object => {
        assert.ok(Math.abs(timestamp - Date.now()) < 120_000, `timestamp ${String(timestamp)}`);
        assert.equal(typeof delayed, 'boolean');
        return rest;
      };
      for (const e of live) {
        const h = byId.get(e.id);
        assert.ok(h, `live message ${e.id} is in history`);
        assert.deepEqual(comparable(h), comparable(e));
      }
      assert.equal(byId.get(sent[2] ?? '')?.from, infoB.self, 'own messages are in history');
      assert.equal(byId.get(sent[0] ?? '')?.from, infoA.self);
      const body = byId.get(sent[3] ?? '');
      assert.deepEqual(body?.type === 'payload' ? body.payload.body : undefined, {
        i: 3,
        data: 'x'.repeat(300),
      });

      // A direct conversation reads the same way from either side.
      const d1 = await a.t.send(
        { kind: 'direct', address: b.t.address },
        { type: 'text', text: 'dm1' },
      );
      const d2 = await b.t.send(
        { kind: 'direct', address: a.t.address },
        { type: 'text', text: 'dm2' },
      );
      await a.events.waitFor((e) => isText(e) && e.text === 'dm2');
      const direct = await a.t.history({ kind: 'direct', address: b.t.address }, { limit: 50 });
      const ids = direct.messages.map((m) => m.id);
      assert.ok(
        ids.indexOf(d2.id) >= 0 && ids.indexOf(d2.id) < ids.indexOf(d1.id),
        JSON.stringify(ids),
      );
      const dm1 = direct.messages.find((m) => m.id === d1.id);
      assert.equal(dm1?.type === 'text' ? dm1.text : undefined, 'dm1');
      assert.deepEqual(dm1?.target, { kind: 'direct', address: b.t.address });
    });

    workspaceAdminCases(peer, () => harness.newWorkspace());

    agentRequestCases(peer, () =>
      peer(() => (harness.newAnsweringPeer ?? harness.newPeer).call(harness)),
    );

    it('rejects sends after close, and close is idempotent', async () => {
      const a = await peer();
      await a.t.close();
      await a.t.close();
      assert.equal(a.t.state, 'closed');
      await assert.rejects(
        a.t.send({ kind: 'direct', address: a.t.address }, { type: 'text', text: 'x' }),
        /closed/,
      );
    });
  });
}
