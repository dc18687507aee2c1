/**
 * Matrix workspaces beyond the shared contract: private and public workspaces as room presets
 * and the room directory, invitations, and roles as power levels, checked against the room
 * state the dev homeserver holds.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MxAgentError, NetworkError, RefusedError, UsageError } from '../../../src/errors.ts';
import type { Transport } from '../../../src/transport/transport.ts';
import { call } from '../../support/devserver.ts';
import { MatrixTestbed, type MatrixAccount } from '../../support/matrix-peers.ts';

const C = '/_matrix/client/v3';

/** Assert that `promise` rejects with `kind` and a message matching `message`. */
async function rejects(
  promise: Promise<unknown>,
  kind: new (...args: never[]) => MxAgentError,
  message: RegExp,
): Promise<MxAgentError> {
  const error = await promise.then(
    () => assert.fail(`expected ${kind.name}, but it succeeded`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof kind, `expected ${kind.name}, got ${String(error)}`);
  assert.match(error.message, message);
  return error;
}

describe('matrix transport: workspace administration', () => {
  let bed: MatrixTestbed;
  let alice: MatrixAccount;
  let a: Transport;

  /** The current state event of a room as its member `account` reads it from the server. */
  const stateOf = async (
    account: MatrixAccount,
    workspace: string,
    type: string,
  ): Promise<Record<string, unknown>> => {
    const room = encodeURIComponent(await bed.roomIdOf(workspace));
    return (
      await call(bed.hs, 'GET', `${C}/rooms/${room}/state/${type}/`, undefined, account.accessToken)
    ).body;
  };
  const joined = async (prefix: string): Promise<{ account: MatrixAccount; t: Transport }> => {
    const account = await bed.account(prefix);
    return { account, t: (await bed.connect(account)).t };
  };

  before(async () => {
    bed = await MatrixTestbed.start();
    alice = await bed.account('alice');
    a = (await bed.connect(alice)).t;
  });
  after(async () => {
    await bed.dispose();
  });

  it('creates a private workspace only invited accounts may join, and inviting twice is harmless', async () => {
    const bob = await joined('bob');
    const workspace = bed.workspace('private');
    const info = await a.createWorkspace(workspace, { title: 'Our agents' });
    assert.deepEqual([info.workspace, info.created, info.self], [workspace, true, alice.userId]);
    assert.deepEqual(a.joinedWorkspaces().includes(workspace), true);
    assert.deepEqual(await stateOf(alice, workspace, 'm.room.join_rules'), { join_rule: 'invite' });
    assert.equal((await stateOf(alice, workspace, 'm.room.create')).type, 'org.mxagent.workspace');
    assert.deepEqual(await stateOf(alice, workspace, 'm.room.name'), { name: 'Our agents' });
    assert.deepEqual(
      Object.keys(await stateOf(alice, workspace, 'm.room.encryption')),
      ['algorithm'],
      'encrypted',
    );
    const listed = await call(
      bed.hs,
      'GET',
      `${C}/directory/list/room/${encodeURIComponent(await bed.roomIdOf(workspace))}`,
    );
    assert.equal(listed.body.visibility, 'private');

    const refused = await rejects(
      bob.t.joinWorkspace(workspace),
      RefusedError,
      new RegExp(`could not join ${workspace}: .*M_FORBIDDEN.*ask its owner to invite`),
    );
    assert.equal(refused.detail.errcode, 'M_FORBIDDEN');
    assert.deepEqual(bob.t.joinedWorkspaces(), []);

    await a.invite(workspace, bob.account.userId);
    await a.invite(workspace, bob.account.userId);
    const entered = await bob.t.joinWorkspace(workspace);
    assert.equal(entered.created, false);
    await a.invite(workspace, bob.account.userId);
    // The owner vouches for whom it invites: the invitee may publish agent state at once.
    assert.deepEqual(
      (await a.roles(workspace)).map((r) => `${r.account}=${r.role}`),
      [`${alice.userId}=owner`, `${bob.account.userId}=publisher`],
    );
    await bob.t.putState(workspace, 'agent.card', 'bob-agent', { name: 'b' });
    // Inviting again after taking publishing away vouches again.
    await a.setRole(workspace, bob.account.userId, 'member');
    await a.invite(workspace, bob.account.userId);
    assert.equal(
      (await a.roles(workspace)).find((r) => r.account === bob.account.userId)?.role,
      'publisher',
    );
  });

  it('checks what it is given before asking the server', async () => {
    const workspace = bed.workspace('checks');
    await a.createWorkspace(workspace);
    await rejects(
      a.invite(workspace, 'alice'),
      UsageError,
      /^expected a Matrix user id like @alice:example.org, got "alice"$/,
    );
    await rejects(
      a.setRole(workspace, 'bob', 'publisher'),
      UsageError,
      /^expected a Matrix user id like @alice:example.org, got "bob"$/,
    );
    await rejects(
      a.invite(bed.workspace('unjoined'), alice.userId),
      UsageError,
      /^not in workspace .*: join it first$/,
    );
    await rejects(
      a.createWorkspace('#elsewhere:example.org'),
      UsageError,
      /^only aliases on localhost can be created here, got #elsewhere:example.org$/,
    );
  });

  it('refuses to create a workspace that exists, saying how to join it', async () => {
    const workspace = bed.workspace('taken');
    await a.createWorkspace(workspace);
    const bob = await joined('bob');
    const error = await rejects(
      bob.t.createWorkspace(workspace, { public: true }),
      RefusedError,
      new RegExp(
        `^workspace ${workspace} exists already: join it with "mx-agent workspace join ${workspace}"$`,
      ),
    );
    assert.deepEqual(error.detail, { errcode: 'M_ROOM_IN_USE', status: 400, condition: 'exists' });
    assert.deepEqual(bob.t.joinedWorkspaces(), []);
  });

  it('lists public workspaces in the directory, marked as ours, and filters by text', async () => {
    const bob = await joined('bob');
    const workspace = bed.workspace('lobby');
    await a.createWorkspace(workspace, { public: true, title: 'Lobby of Agents' });
    assert.deepEqual(await stateOf(alice, workspace, 'm.room.join_rules'), { join_rule: 'public' });
    // A public room that is not a workspace: listed, but not marked as ours.
    await call(
      bed.hs,
      'POST',
      `${C}/createRoom`,
      { visibility: 'public', name: 'Lobby of people', topic: 'humans only' },
      alice.accessToken,
    );

    const all = await bob.t.searchDirectory();
    assert.deepEqual(
      all.find((e) => e.address === workspace),
      { kind: 'workspace', address: workspace, name: 'Lobby of Agents', members: 1, mxAgent: true },
    );
    const people = all.find((e) => e.name === 'Lobby of people');
    assert.equal(people?.mxAgent, false);
    assert.equal(people?.description, 'humans only');
    assert.match(people?.address ?? '', /^!/, 'a room without an alias is addressed by its id');

    const agents = await bob.t.searchDirectory({ text: 'lobby OF agents' });
    assert.deepEqual(
      agents.map((e) => e.address),
      [workspace],
    );
    assert.deepEqual(
      (await bob.t.searchDirectory({ text: 'HUMANS' })).map((e) => e.name),
      ['Lobby of people'],
    );
    assert.deepEqual(await bob.t.searchDirectory({ text: 'no such room anywhere' }), []);
    // Bob joins: the directory counts him.
    await bob.t.joinWorkspace(workspace);
    const counted = await bob.t.searchDirectory({
      text: 'Lobby of Agents',
      server: bed.hs.serverName,
    });
    assert.equal(counted[0]?.members, 2);
  });

  it('names what went wrong when another server cannot be searched', async () => {
    await rejects(
      a.searchDirectory({ server: 'bad server/' }),
      UsageError,
      /^expected a Matrix server name like example.org, got "bad server\/"$/,
    );
    // The dev homeserver does not federate: it answers 502, as a server that cannot reach another.
    const error = await rejects(
      a.searchDirectory({ server: 'example.org' }),
      NetworkError,
      /could not search the room directory of example.org: M_UNKNOWN: .*does not federate/,
    );
    assert.equal(error.detail.status, 502);
  });

  it('lets owners grant and take away publishing; only publishers may write agent state', async () => {
    const bob = await joined('bob');
    const carol = await joined('carol');
    const dave = await bed.account('dave');
    const erin = await bed.account('erin');
    const workspace = bed.workspace('roles');
    // Public: bob and carol come in without an invitation, as members.
    await a.createWorkspace(workspace, { public: true });
    const levels = await stateOf(alice, workspace, 'm.room.power_levels');
    assert.deepEqual(
      [
        (levels.events as Record<string, number>)['org.mxagent.agent.card'],
        (levels.events as Record<string, number>)['org.mxagent.agent.heartbeat'],
        levels.state_default,
      ],
      [10, 10, 0],
    );
    await bob.t.joinWorkspace(workspace);
    await carol.t.joinWorkspace(workspace);
    const card = { name: 'bob agent' };

    await rejects(
      bob.t.putState(workspace, 'agent.card', 'bob-agent', card),
      RefusedError,
      /M_FORBIDDEN.*needs the publisher role: ask its owner to grant it$/,
    );
    await a.setRole(workspace, bob.account.userId, 'publisher');
    await a.setRole(workspace, bob.account.userId, 'publisher');
    await bob.t.putState(workspace, 'agent.card', 'bob-agent', card);
    await bob.t.putState(workspace, 'agent.heartbeat', 'bob-agent', { at: 1 });
    assert.deepEqual(await carol.t.getState(workspace, 'agent.card', 'bob-agent'), card);
    const carolRefused = await rejects(
      carol.t.putState(workspace, 'agent.heartbeat', 'carol-agent', { at: 1 }),
      RefusedError,
      /could not write agent.heartbeat state in .*M_FORBIDDEN/,
    );
    assert.equal(carolRefused.detail.errcode, 'M_FORBIDDEN');
    await carol.t.putState(workspace, 'notes.todo', 'carol', { text: 'other state stays open' });

    // Invited and not joined yet, or granted ahead of joining: listed with their role.
    await a.invite(workspace, dave.userId);
    await a.setRole(workspace, erin.userId, 'publisher');
    const roles = (): Promise<string[]> =>
      a.roles(workspace).then((list) => list.map((r) => `${r.account}=${r.role}`));
    assert.deepEqual(await roles(), [
      `${alice.userId}=owner`,
      `${bob.account.userId}=publisher`,
      `${dave.userId}=publisher`,
      `${erin.userId}=publisher`,
      `${carol.account.userId}=member`,
    ]);
    assert.deepEqual(await carol.t.roles(workspace), await a.roles(workspace));

    await rejects(
      carol.t.setRole(workspace, carol.account.userId, 'publisher'),
      RefusedError,
      /^only the workspace's owner can grant publishing: changing roles in .* needs power level 100, and @carol\S+ has 0$/,
    );
    await rejects(
      bob.t.setRole(workspace, carol.account.userId, 'publisher'),
      RefusedError,
      /^only the workspace's owner can grant publishing/,
    );
    await rejects(
      a.setRole(workspace, alice.userId, 'member'),
      RefusedError,
      /owns .*: an owner's role stays$/,
    );

    await a.setRole(workspace, bob.account.userId, 'member');
    await a.setRole(workspace, dave.userId, 'member');
    await rejects(
      bob.t.putState(workspace, 'agent.card', 'bob-agent', card),
      RefusedError,
      /M_FORBIDDEN/,
    );
    assert.deepEqual(await roles(), [
      `${alice.userId}=owner`,
      `${erin.userId}=publisher`,
      `${bob.account.userId}=member`,
      `${carol.account.userId}=member`,
      `${dave.userId}=member`,
    ]);
    await bob.t.leaveWorkspace(workspace);
    assert.deepEqual(await roles(), [
      `${alice.userId}=owner`,
      `${erin.userId}=publisher`,
      `${carol.account.userId}=member`,
      `${dave.userId}=member`,
    ]);
  });

  it('refuses invitations from members without the level, naming it', async () => {
    const bob = await joined('bob');
    const carol = await bed.account('carol');
    const workspace = bed.workspace('invites');
    await a.createWorkspace(workspace);
    await a.invite(workspace, bob.account.userId);
    await bob.t.joinWorkspace(workspace);
    const error = await rejects(
      bob.t.invite(workspace, carol.userId),
      RefusedError,
      /^could not invite @carol\S+ into .*: inviting needs power level 50, and @bob\S+ has 10: ask its owner$/,
    );
    assert.equal(error.detail.errcode, 'M_FORBIDDEN');
  });

  it('gives a workspace created by joining the same power levels and room type, open to all', async () => {
    const bob = await joined('bob');
    const workspace = bed.workspace('joined');
    assert.equal((await a.joinWorkspace(workspace)).created, true);
    const levels = await stateOf(alice, workspace, 'm.room.power_levels');
    assert.equal((levels.events as Record<string, number>)['org.mxagent.agent.card'], 10);
    assert.equal((await stateOf(alice, workspace, 'm.room.create')).type, 'org.mxagent.workspace');
    assert.deepEqual(await stateOf(alice, workspace, 'm.room.join_rules'), { join_rule: 'public' });
    await bob.t.joinWorkspace(workspace);
    assert.deepEqual(
      (await a.searchDirectory({ text: workspace })).map((e) => e.address),
      [],
      'not listed in the directory',
    );
    await rejects(
      bob.t.putState(workspace, 'agent.card', 'bob-agent', { name: 'b' }),
      RefusedError,
      /M_FORBIDDEN/,
    );
  });

  it('keeps an advertisement without sending anything', async () => {
    const ad = { name: 'alice agent', kind: 'bot', features: [], card: { name: 'a' } } as const;
    await a.advertise(ad);
    assert.deepEqual((a as unknown as { advertisement: unknown }).advertisement, ad);
  });
});
