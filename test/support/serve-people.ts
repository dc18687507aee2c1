/**
 * The two sides of a chat with `mx-agent serve`, on either network: people (real transports)
 * and agent accounts (the `agent.toml` part that logs the agent in, its home). Shared by the
 * serve end-to-end scenarios and the chaos tests.
 */
import type { ProsodyServer } from '../../src/devserver/xmpp/prosody.ts';
import type { Transport } from '../../src/transport/transport.ts';
import { createXmppTransport } from '../../src/transport/xmpp/index.ts';
import { loginMatrix, tempHome } from './cli.ts';
import type { MatrixTestbed } from './matrix-peers.ts';
import { uniqueUser } from './prosody.ts';
import type { ScriptedProvider } from './scripted-llm-requests.ts';
import { newAccount } from './xmpp-peers.ts';

/** People and agent accounts on one server. */
export interface ServePeople {
  /** A new person, connected. */
  person(prefix: string): Promise<{ transport: Transport; address: string }>;
  /** A new agent account: agent.toml's account part, and the home it runs in. */
  agent(name: string): Promise<{
    toml: string;
    env: NodeJS.ProcessEnv;
    address: string;
    /** Where agent-protocol requests go (XMPP: its full JID). */
    protocolAddress: string;
  }>;
  /** True when `from` is the agent at `agent` speaking one to one. */
  isAgent(from: string, agent: string): boolean;
  /** Close every person's transport. */
  close(): Promise<void>;
}

/** On Prosody: people as XMPP clients, the agent as a client account. */
export function xmppServePeople(server: ProsodyServer): ServePeople {
  const open: Transport[] = [];
  return {
    person: async (prefix) => {
      const options = await newAccount(server, prefix);
      const transport = createXmppTransport(options);
      await transport.connect();
      open.push(transport);
      return { transport, address: options.jid };
    },
    agent: async (name) => {
      const user = uniqueUser(name);
      const password = `pw-${user}`;
      await server.register(user, password);
      const jid = `${user}@${server.domain}`;
      return {
        toml: `[server]\nmode = "client"\nhost = "${server.host}"\nport = ${String(server.c2sPort)}\njid = "${jid}"\npassword = "${password}"\ntls = "off"\n`,
        env: tempHome(),
        address: jid,
        protocolAddress: `${jid}/mx-agent`,
      };
    },
    isAgent: (from, agent) => from.split('/')[0] === agent,
    close: async () => {
      await Promise.allSettled(open.map((t) => t.close()));
    },
  };
}

/** On the dev homeserver: people as Matrix transports (E2EE), the agent as a logged-in profile. */
export function matrixServePeople(bed: MatrixTestbed): ServePeople {
  return {
    person: async (prefix) => {
      const account = await bed.account(prefix);
      const { t } = await bed.connect(account);
      return { transport: t, address: account.userId };
    },
    agent: async (name) => {
      const account = await bed.account(name);
      const env = tempHome();
      await loginMatrix(env, 'bot', bed.url, account);
      return {
        toml: '[matrix]\nprofile = "bot"\n',
        env,
        address: account.userId,
        protocolAddress: account.userId,
      };
    },
    isAgent: (from, agent) => from === agent,
    // The testbed closes the transports it made.
    close: () => Promise.resolve(),
  };
}

/** agent.toml's `[llm]` for the scripted model. */
export function scriptedLlmToml(provider: ScriptedProvider, baseUrl: string): string {
  return `[llm]
provider = "${provider}"
model = "scripted-model"
api_key = "sk-test-not-a-secret"
base_url = "${baseUrl}"
`;
}
