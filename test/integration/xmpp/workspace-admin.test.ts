import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { RefusedError, UsageError } from '../../../src/errors.ts';
import { createXmppTransport } from '../../../src/transport/xmpp/index.ts';
import type { Transport } from '../../../src/transport/transport.ts';
import { EventRecorder } from '../../support/event-recorder.ts';
import { PROSODY_MISSING, prosodyForTests, uniqueUser } from '../../support/prosody.ts';
import { componentPeer, newAccount } from '../../support/xmpp-peers.ts';
import { openProbe } from '../../support/xmpp-probe.ts';

const server = await prosodyForTests();

describe(
  'xmpp workspaces: creation, invitations and roles as MUC affiliations (XEP-0045)',
  { skip: server ? false : PROSODY_MISSING },
  () => {
    const open: Transport[] = [];
    after(async () => {
      for (const t of open) await t.close();
    });

    async function peer(prefix: string): Promise<Transport> {
      if (!server) throw new Error('unreachable');
      const t = createXmppTransport(await newAccount(server, prefix));
      open.push(t);
      await t.connect();
      return t;
    }
    const room = (): string => `${uniqueUser('ws')}@${server?.mucDomain ?? ''}`;
    const bare = (t: Transport): string => t.address.split('/')[0] ?? '';

    it('creates a private workspace an uninvited account cannot enter, and an invitation opens it', async () => {
      const owner = await peer('owner');
      const guest = await peer('guest');
      const workspace = room();
      const info = await owner.createWorkspace(workspace, { title: 'Closed door' });
      assert.equal(info.created, true);
      assert.equal(info.workspace, workspace);
      await assert.rejects(
        guest.joinWorkspace(workspace, { timeoutMs: 10_000 }),
        (e: unknown) => e instanceof RefusedError && e.detail.condition === 'registration-required',
      );
      const guestEvents = new EventRecorder(guest);
      await owner.invite(workspace, bare(guest));
      const joined = await guest.joinWorkspace(workspace, { timeoutMs: 10_000 });
      assert.equal(joined.created, false);
      // The server's human-readable invitation body is not chat input.
      await guest.send({ kind: 'direct', address: guest.address }, { type: 'text', text: 'mark' });
      await guestEvents.waitFor((e) => e.type === 'text' && e.text === 'mark');
      assert.deepEqual(guestEvents.texts(), ['mark']);
    });

    it('enters a room again right after leaving it (the late goodbye is not about the new entry)', async () => {
      const owner = await peer('owner');
      const workspace = room();
      await owner.createWorkspace(workspace, { public: true });
      for (let i = 0; i < 3; i++) {
        await owner.leaveWorkspace(workspace);
        await owner.joinWorkspace(workspace, { timeoutMs: 10_000 });
        assert.deepEqual(owner.joinedWorkspaces(), [workspace]);
      }
    });

    it('refuses to create a workspace that exists, saying how to join it', async () => {
      const owner = await peer('owner');
      const other = await peer('other');
      const workspace = room();
      await owner.createWorkspace(workspace, { public: true });
      const exists =
        (address: string) =>
        (e: unknown): boolean =>
          e instanceof RefusedError &&
          e.detail.condition === 'exists' &&
          e.message ===
            `workspace ${address} exists already: join it with "mx-agent workspace join ${address}"`;
      await assert.rejects(other.createWorkspace(workspace), exists(workspace));
      assert.deepEqual(other.joinedWorkspaces(), [], 'it left the room again');
      await assert.rejects(owner.createWorkspace(workspace), exists(workspace));
      const hidden = room();
      await owner.createWorkspace(hidden);
      // A members-only room refuses the entry, which proves it exists as well.
      await assert.rejects(other.createWorkspace(hidden), exists(hidden));
    });

    it('lists owner, publishers and present members, readable by a member of a private room', async () => {
      const owner = await peer('owner');
      const publisher = await peer('pub');
      const visitor = await peer('visitor');
      const openRoom = room();
      await owner.createWorkspace(openRoom, { public: true });
      await publisher.joinWorkspace(openRoom);
      await visitor.joinWorkspace(openRoom);
      await owner.setRole(openRoom, publisher.address, 'publisher');
      assert.deepEqual(await owner.roles(openRoom), [
        { account: bare(owner), role: 'owner' },
        { account: bare(publisher), role: 'publisher' },
        { account: bare(visitor), role: 'member' },
      ]);
      // A member of an open room may not read the lists; presence tells it the same.
      const seenByVisitor = await visitor.roles(openRoom);
      assert.deepEqual(
        seenByVisitor.filter((r) => r.role !== 'member'),
        [
          { account: bare(owner), role: 'owner' },
          { account: bare(publisher), role: 'publisher' },
        ],
      );

      const closed = room();
      await owner.createWorkspace(closed);
      await owner.invite(closed, bare(publisher));
      await publisher.joinWorkspace(closed);
      await owner.leaveWorkspace(closed);
      assert.deepEqual(await publisher.roles(closed), [
        { account: bare(owner), role: 'owner' },
        { account: bare(publisher), role: 'publisher' },
      ]);
    });

    it('lets only owners change roles, never demotes an owner, and validates addresses', async () => {
      const owner = await peer('owner');
      const guest = await peer('guest');
      const workspace = room();
      await owner.createWorkspace(workspace, { public: true });
      await guest.joinWorkspace(workspace);
      await assert.rejects(
        guest.setRole(workspace, bare(guest), 'publisher'),
        (e: unknown) =>
          e instanceof RefusedError &&
          e.detail.condition === 'not-allowed' &&
          e.message ===
            `making ${bare(guest)} member of ${workspace} failed: not-allowed; only the workspace's owners and admins may do that`,
      );
      await assert.rejects(
        owner.setRole(workspace, bare(owner), 'member'),
        (e: unknown) => e instanceof RefusedError && /does not demote owners/.test(e.message),
      );
      await assert.rejects(
        owner.invite(workspace, 'alice'),
        (e: unknown) =>
          e instanceof UsageError &&
          e.message === 'expected an XMPP address like alice@example.org, got "alice"',
      );
      await assert.rejects(
        owner.roles(`${uniqueUser('never')}@${server?.mucDomain ?? ''}`),
        (e: unknown) => e instanceof UsageError && /not joined/.test(e.message),
      );
    });

    it('in a private room, taking publishing away also takes the account out', async () => {
      const owner = await peer('owner');
      const guest = await peer('guest');
      const workspace = room();
      await owner.createWorkspace(workspace);
      await owner.invite(workspace, bare(guest));
      const events = new EventRecorder(guest);
      await guest.joinWorkspace(workspace);
      await assert.rejects(
        guest.invite(workspace, `${uniqueUser('friend')}@${server?.domain ?? ''}`),
        (e: unknown) => e instanceof RefusedError && /it is private/.test(e.message),
      );
      await owner.setRole(workspace, bare(guest), 'member');
      await events.waitFor(
        (e) => e.type === 'presence' && e.workspace === workspace && e.availability === 'offline',
      );
      assert.deepEqual(guest.joinedWorkspaces(), []);
    });

    it('a member of an open room invites with a mediated invitation alone (§7.8.2)', async () => {
      if (!server) return;
      const owner = await peer('owner');
      const guest = await peer('guest');
      const workspace = room();
      await owner.createWorkspace(workspace, { public: true });
      await guest.joinWorkspace(workspace);
      const probe = await openProbe(await newAccount(server, 'invitee'));
      try {
        const invitee = probe.session.jid.split('/')[0] ?? '';
        await guest.invite(workspace, invitee);
        let invitation;
        for (let waited = 0; !invitation && waited < 5000; waited += 20) {
          invitation = probe.received.find(
            (s) => s.name === 'message' && s.attrs.from === workspace,
          );
          if (!invitation) await new Promise((r) => setTimeout(r, 20));
        }
        const invite = invitation
          ?.getChild('x', 'http://jabber.org/protocol/muc#user')
          ?.getChild('invite');
        assert.equal(invite?.attrs.from?.split('/')[0], bare(guest));
        // Without admin rights nothing else changed: the invitee holds no affiliation.
        const roles = await owner.roles(workspace);
        assert.equal(
          roles.find((r) => r.account === invitee),
          undefined,
        );
      } finally {
        await probe.close();
      }
    });

    it('reads the state of an affiliated publisher who is not in the room', async () => {
      const owner = await peer('owner');
      const writer = await peer('writer');
      const reader = await peer('reader');
      const workspace = room();
      await owner.createWorkspace(workspace);
      await owner.invite(workspace, bare(writer));
      await owner.invite(workspace, bare(reader));
      await writer.joinWorkspace(workspace);
      await writer.putState(workspace, 'test.card', 'writer', { hello: 'from writer' });
      await writer.close();
      await owner.leaveWorkspace(workspace);
      await reader.joinWorkspace(workspace);
      assert.deepEqual(reader.members(workspace), []);
      const entries = await reader.listState(workspace, 'test.card');
      assert.deepEqual(entries, [
        {
          type: 'test.card',
          key: 'writer',
          content: { hello: 'from writer' },
          sender: bare(writer),
        },
      ]);
    });

    it('works for a component (XEP-0114): it creates, invites and owns a private workspace', async () => {
      if (!server) return;
      const component = componentPeer(server);
      open.push(component);
      await component.connect();
      const guest = await peer('guest');
      const workspace = room();
      await component.createWorkspace(workspace, { title: 'Run by a component' });
      await component.invite(workspace, guest.address);
      await guest.joinWorkspace(workspace);
      assert.deepEqual(await guest.roles(workspace), [
        { account: server.componentDomain, role: 'owner' },
        { account: bare(guest), role: 'publisher' },
      ]);
    });
  },
);
