/**
 * Agent protocol requests through the session host: a client asks through the host's
 * connection, but only the host's own process may answer (it holds the connection peers reach).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { InternalError, RefusedError } from '../../../src/errors.ts';
import type { SessionHost } from '../../../src/session/host.ts';
import { FakeNetwork } from '../../../src/transport/fake.ts';
import { connectedClient, serveTransport, tempDir } from '../../support/session.ts';

describe('agent requests through the session host', () => {
  const { dir, cleanup } = tempDir();
  const hosts: SessionHost[] = [];
  after(async () => {
    await Promise.all(hosts.map((host) => host.stop('test over')));
    cleanup();
  });

  it('refuses a handler on a client, naming the process that answers', async () => {
    const net = new FakeNetwork();
    const hosted = net.transport('hosted');
    await hosted.connect();
    const host = await serveTransport(hosted, dir);
    hosts.push(host);
    const client = await connectedClient(host);
    assert.throws(
      () => {
        client.answerAgentRequests(() => Promise.resolve({ kind: 'skills', skills: [] }));
      },
      (e: unknown) =>
        e instanceof RefusedError &&
        e.message ===
          'only the process that hosts profile "test" (mx-agent serve) answers agent requests; this one reaches it through its session host',
    );
    // The host's own transport answers, and a client of another host asks it through its link.
    hosted.answerAgentRequests(() => Promise.resolve({ kind: 'skills', skills: [] }));
    const other = net.transport('other');
    await other.connect();
    const otherHost = await serveTransport(other, dir);
    hosts.push(otherHost);
    const asker = await connectedClient(otherHost);
    assert.deepEqual(await asker.askAgent(hosted.address, { kind: 'skills' }), {
      kind: 'skills',
      skills: [],
    });
    await assert.rejects(
      asker.askAgent(hosted.address, { kind: 'run' } as never),
      (e: unknown) =>
        e instanceof InternalError &&
        /expected params\.request to be a skills or execute request/.test(e.message),
    );
    await client.close();
    await asker.close();
  });
});
