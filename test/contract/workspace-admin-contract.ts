/**
 * The part of the transport contract about administering workspaces: private and public
 * creation, invitations, roles (who may publish agent state) and the public directory.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import { RefusedError } from '../../src/errors.ts';
import type { Transport } from '../../src/transport/transport.ts';

/** The account behind a transport's address (an XMPP full JID's bare part). */
function accountOf(t: Transport): string {
  return t.network === 'xmpp' ? (t.address.split('/')[0] ?? t.address) : t.address;
}

/** Register the workspace-administration cases inside a transport contract `describe`. */
export function workspaceAdminCases(
  peer: () => Promise<{ t: Transport }>,
  newWorkspace: () => string,
): void {
  it('creates a private workspace only invited accounts may join, once', async () => {
    const { t: owner } = await peer();
    const { t: guest } = await peer();
    const workspace = newWorkspace();
    const info = await owner.createWorkspace(workspace, { title: 'Private place' });
    assert.equal(info.created, true);
    await assert.rejects(
      owner.createWorkspace(workspace),
      (error: unknown) => error instanceof RefusedError && error.detail.condition === 'exists',
    );
    await assert.rejects(guest.joinWorkspace(workspace, { timeoutMs: 10_000 }), RefusedError);
    await owner.invite(workspace, accountOf(guest));
    await guest.joinWorkspace(workspace, { timeoutMs: 10_000 });
    const roles = await guest.roles(workspace);
    assert.deepEqual(
      roles
        .filter((r) => r.role !== 'member')
        .map((r) => [r.account, r.role])
        .sort(),
      [
        [accountOf(owner), 'owner'],
        [accountOf(guest), 'publisher'],
      ].sort(),
    );
  });

  it('lets only the owner change roles, and taking publishing away shows in roles()', async () => {
    const { t: owner } = await peer();
    const { t: guest } = await peer();
    const workspace = newWorkspace();
    await owner.createWorkspace(workspace, { public: true });
    await guest.joinWorkspace(workspace, { timeoutMs: 10_000 });
    await assert.rejects(guest.setRole(workspace, accountOf(owner), 'member'), RefusedError);
    await owner.setRole(workspace, accountOf(guest), 'publisher');
    const before = await owner.roles(workspace);
    assert.equal(before.find((r) => r.account === accountOf(guest))?.role, 'publisher');
    await assert.rejects(guest.setRole(workspace, accountOf(guest), 'publisher'), RefusedError);
    await owner.setRole(workspace, accountOf(guest), 'member');
    const after = await owner.roles(workspace);
    assert.notEqual(after.find((r) => r.account === accountOf(guest))?.role, 'publisher');
    assert.equal(after.find((r) => r.account === accountOf(owner))?.role, 'owner');
  });

  it('lists a public workspace in the directory, and never a private one', async () => {
    const { t: owner } = await peer();
    const { t: searcher } = await peer();
    const open = newWorkspace();
    const closed = newWorkspace();
    const tag = randomBytes(4).toString('hex');
    const title = `Findable ${tag}`;
    await owner.createWorkspace(open, { public: true, title });
    await owner.createWorkspace(closed, { title: `Hidden ${tag}` });
    const found = await searcher.searchDirectory({ text: 'findable' }, { timeoutMs: 20_000 });
    const hit = found.find((e) => e.kind === 'workspace' && e.name === title);
    assert.ok(hit, `expected ${title} in ${JSON.stringify(found)}`);
    const all = await searcher.searchDirectory({}, { timeoutMs: 20_000 });
    assert.ok(all.some((e) => e.name === title));
    assert.equal(
      all.some((e) => e.name === `Hidden ${tag}` || e.address === closed),
      false,
    );
  });
}
