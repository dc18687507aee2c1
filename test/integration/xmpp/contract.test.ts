import { test } from 'node:test';
import { xml } from '@xmpp/xml';
import { chatContract } from '../../contract/chat-contract.ts';
import { transportContract } from '../../contract/transport-contract.ts';
import { prosodyForTests } from '../../support/prosody.ts';
import { newAccount, newPeer } from '../../support/xmpp-peers.ts';
import { openProbe, type Probe } from '../../support/xmpp-probe.ts';
import { NS_AGENT_CONFIRM } from '../../../src/transport/xmpp/agent-xml.ts';

const server = await prosodyForTests();
if (!server) {
  test('transport contract: xmpp', (t) => {
    t.skip('prosody not installed: apt-get install prosody');
  });
} else {
  let rooms = 0;
  transportContract('xmpp (Prosody)', () =>
    Promise.resolve({
      newPeer: () => newPeer(server),
      newWorkspace: () => `contract${String(process.pid)}-${String(++rooms)}@${server.mucDomain}`,
      malformedAddress: 'alice',
      interrupt: () => server.restart(),
      dispose: () => Promise.resolve(),
      ordersAcrossOutage: false,
    }),
  );
  const probes: Probe[] = [];
  chatContract('xmpp (Prosody)', () =>
    Promise.resolve({
      newPeer: () => newPeer(server),
      newWorkspace: () => `chat${String(process.pid)}-${String(++rooms)}@${server.mucDomain}`,
      // A person's client answering with Fluux's <confirmed/> (urn:fluux:agent:0#confirm).
      answerConfirm: async (to: string, confirm: string, decision: 'approve' | 'deny') => {
        const probe = await openProbe(await newAccount(server, 'person'));
        probes.push(probe);
        await probe.send(
          xml(
            'message',
            { to, type: 'chat', id: `answer-${confirm}` },
            xml('confirmed', { xmlns: NS_AGENT_CONFIRM, id: confirm, decision }),
          ),
        );
        return probe.session.jid;
      },
      dispose: async () => {
        await Promise.all(probes.map((p) => p.close()));
        await server.stop();
      },
    }),
  );
}
