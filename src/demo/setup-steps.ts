/**
 * The demo's first steps: accounts and agents, the chat agent started, the workspaces opened.
 * Each step runs the real CLI as the agent's person would type it.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prosodyAvailable } from '../devserver/xmpp/prosody.ts';
import { waitForLine } from './agents.ts';
import { defaultOllamaHost, probeOllama, startOfflineModel, type DemoModel } from './model.ts';
import { registerMatrix, retry, show, showLines, type DemoWorld } from './world.ts';

/** One step of the demo. */
export interface DemoStep {
  readonly title: string;
  run(world: DemoWorld): Promise<void>;
}

/** How the demo picks its model. */
export interface ModelChoice {
  /** Never look for Ollama: use the offline scripted model. */
  readonly offline: boolean;
  readonly ollamaHost: string | undefined;
  readonly model: string | undefined;
}

/** The servers: only notes, they were started with the world. */
export const serversStep: DemoStep = {
  title: 'Start a Matrix homeserver and an XMPP server on this machine',
  run: (world) => {
    world.report({
      type: 'note',
      text: `Matrix: the development homeserver at ${world.hs.url}, in this process (end-to-end encryption on)`,
    });
    world.report({
      type: 'note',
      text: world.prosody
        ? `XMPP: Prosody at 127.0.0.1:${String(world.prosody.c2sPort)}, rooms at ${world.prosody.mucDomain}`
        : prosodyAvailable()
          ? 'XMPP: left out (--no-xmpp), so carol joins on Matrix too'
          : 'XMPP: Prosody is not installed (apt-get install prosody), so carol joins on Matrix too',
    });
    world.report({ type: 'note', text: `agents' files: ${world.root}` });
    return Promise.resolve();
  },
};

/** Three accounts and three installations, logged in, with their cards. */
export const agentsStep: DemoStep = {
  title: 'Create three agents: alice (you), bob (a chat agent) and carol (a worker)',
  run: async (world) => {
    const { alice, bob, carol, prosody, facts } = world;
    const password = () => randomBytes(12).toString('hex');
    // The password goes in on stdin, as a person would type it at the prompt.
    const login = (
      agent: typeof alice,
      profile: string,
      network: string,
      args: string[],
      secret: string,
    ) =>
      show(world, agent, ['--profile', profile, 'login', network, ...args, '--password-stdin'], {
        input: `${secret}\n`,
      });
    const matrixLogin = async (agent: typeof alice, profile: string) => {
      const secret = password();
      const userId = await registerMatrix(world, agent.name, secret);
      facts.addresses[agent.name] = userId;
      await login(
        agent,
        profile,
        'matrix',
        ['--homeserver', world.hs.url, '--user', userId],
        secret,
      );
    };
    const xmppLogin = async (agent: typeof alice, profile: string) => {
      if (!prosody) return;
      const secret = password();
      await prosody.register(agent.name, secret);
      const jid = `${agent.name}@${prosody.domain}`;
      facts.addresses[agent === carol ? 'carol' : `${agent.name}-xmpp`] = jid;
      const server = ['--host', '127.0.0.1', '--port', String(prosody.c2sPort), '--tls', 'off'];
      await login(agent, profile, 'xmpp', ['--jid', jid, ...server], secret);
    };
    world.report({
      type: 'note',
      text: 'passwords go in on stdin, never in argv; only tokens are stored',
    });
    await matrixLogin(alice, 'matrix');
    await xmppLogin(alice, 'xmpp');
    await matrixLogin(bob, 'matrix');
    if (prosody) await xmppLogin(carol, 'xmpp');
    else await matrixLogin(carol, 'matrix');
    const cards: [typeof alice, string[]][] = [
      [alice, ['--name', 'alice', '--description', 'the developer']],
      [bob, ['--name', 'bob', '--description', 'chat agent and builder', '--capability', 'build']],
      [carol, ['--name', 'carol', '--description', 'runs the tests', '--capability', 'test']],
    ];
    for (const [agent, args] of cards) {
      await show(world, agent, ['card', 'set', ...args], { quiet: true });
      const card = JSON.parse((await agent.run(['--json', 'card', 'show'])).stdout) as {
        id: string;
        signing_key: string;
      };
      facts.ids[agent.name] = card.id;
      facts.fingerprints[agent.name] = card.signing_key;
      showLines(world, `${agent.name}: agent ${card.id}, signing key ${card.signing_key}`);
    }
  },
};

/** Find the model: Ollama when reachable, else the labelled offline scripted model. */
export async function chooseModel(world: DemoWorld, choice: ModelChoice): Promise<DemoModel> {
  const host = choice.ollamaHost ?? defaultOllamaHost(world.alice.env);
  const found = choice.offline
    ? { reason: 'asked for the offline model (--offline)' }
    : await probeOllama(host, choice.model);
  return 'model' in found
    ? { type: 'ollama', host, model: found.model }
    : await startOfflineModel(found.reason);
}

/** `bob serve`: the chat agent, which is also bob's worker for peers' jobs. */
export function serveStep(choice: ModelChoice): DemoStep {
  return {
    title: 'bob starts `serve`: an LLM chat agent that is also a worker',
    run: async (world) => {
      const model = await chooseModel(world, choice);
      world.model = model;
      world.report({
        type: 'note',
        text:
          model.type === 'ollama'
            ? `model: Ollama ${model.model} at ${model.host}`
            : `model: OFFLINE SCRIPTED MODEL (${model.reason}); its answers are canned and say so`,
      });
      const toml = [
        '[matrix]',
        'profile = "matrix"',
        '',
        '[llm]',
        'provider = "ollama"',
        `model = "${model.model}"`,
        `host = "${model.host}"`,
        '',
        '[agent]',
        'name = "bob"',
        `allowed_jids = ["${world.facts.addresses.alice ?? ''}"]`,
        'stream_replies = false',
        '',
        '[memory]',
        `path = "${join(world.bob.dataDir, 'memory')}"`,
      ].join('\n');
      const file = join(world.root, 'bob', 'agent.toml');
      writeFileSync(file, `${toml}\n`, { mode: 0o600 });
      world.report({ type: 'note', text: `${file}:` });
      showLines(world, toml);
      world.report({ type: 'command', agent: 'bob', line: `serve --config ${file} &` });
      const child = world.bob.start(['serve', '--config', file]);
      world.children.push(child);
      showLines(
        world,
        await waitForLine(child, /^serving /, {
          timeoutMs: 30_000,
          what: 'bob serve',
          signal: world.signal,
        }),
      );
    },
  };
}

/** alice's encrypted workspace with bob; carol's room on XMPP (or the same workspace). */
export const workspaceStep: DemoStep = {
  title: 'alice opens an end-to-end encrypted workspace and invites the agents',
  run: async (world) => {
    const { alice, bob, carol, prosody, facts } = world;
    const ws = facts.matrixWorkspace;
    await show(world, alice, ['workspace', 'create', ws]);
    await show(world, alice, ['workspace', 'invite', ws, facts.addresses.bob ?? '']);
    await show(world, bob, ['workspace', 'join', ws]);
    if (prosody) {
      facts.carolWorkspace = `demo@${prosody.mucDomain}`;
      const room = facts.carolWorkspace;
      await show(world, alice, ['--profile', 'xmpp', 'workspace', 'create', room]);
      await show(world, alice, [
        '--profile',
        'xmpp',
        'workspace',
        'invite',
        room,
        facts.addresses.carol ?? '',
      ]);
    } else {
      await show(world, alice, ['workspace', 'invite', ws, facts.addresses.carol ?? '']);
    }
    await show(world, carol, ['workspace', 'join', facts.carolWorkspace]);
    await show(world, alice, ['workspace', 'list']);
    world.report({
      type: 'note',
      text: prosody
        ? 'the Matrix room is end-to-end encrypted (Megolm); the XMPP room is members-only, its messages are protected by TLS to the server, not end to end'
        : 'the Matrix room is end-to-end encrypted (Megolm): the homeserver sees only ciphertext',
    });
  },
};

/** alice's `discover`, once every agent's card has arrived. */
export const discoverStep: DemoStep = {
  title: 'alice discovers the agents, their capabilities and liveness',
  run: async (world) => {
    const wanted = ['bob', 'carol'];
    const active = (out: string) =>
      wanted.every((name) => new RegExp(`^${name}\\s.*active`, 'm').test(out));
    const result = await retry(world, world.alice, ['discover'], 20_000, active);
    if (!active(result.stdout))
      throw new Error(
        `expected every agent in discover within 20 s, got:\n${result.stdout}${result.stderr}`,
      );
    world.report({ type: 'command', agent: 'alice', line: 'discover' });
    showLines(world, result.stdout);
  },
};
