import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createXmppTransport } from '../../src/transport/xmpp/index.ts';
import type { Transport } from '../../src/transport/transport.ts';
import { loginNewXmppAccount, runCli, startCli, tempHome, waitForStderr } from '../support/cli.ts';
import { prosodyForTests, uniqueUser } from '../support/prosody.ts';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm.ts';
import { Conversation, say, serveScript, startServe } from '../support/serve-harness.ts';
import { newAccount } from '../support/xmpp-peers.ts';

const LLM = `[llm]
provider = "ollama"
model = "scripted-model"
host = "http://127.0.0.1:9"
`;

function dirWith(toml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'mx-serve-config-'));
  writeFileSync(join(dir, 'agent.toml'), toml);
  return dir;
}

describe('serve: configuration errors', () => {
  it('without an agent.toml says what it needs (exit 3)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mx-serve-none-'));
    const r = await runCli(['serve'], tempHome(), undefined, 30_000, dir);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /serve needs an agent\.toml with at least \[agent\] name and \[llm\]/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  it('a bad value stops start-up naming the place, the key, the form and the value', async () => {
    const dir = dirWith(
      `[agent]\nname = "x"\nallowed_jids = ["*"]\n\n${LLM}\n[quota]\ndaily_tokens = "lots"\n`,
    );
    const r = await runCli(['serve', '--config', 'agent.toml'], tempHome(), undefined, 30_000, dir);
    assert.equal(r.code, 3, r.stderr);
    assert.match(
      r.stderr,
      /agent\.toml:11:1: quota\.daily_tokens: expected a whole number from 0 to 1000000000, got "lots"/,
    );
  });

  it('a provider it does not know is refused with the choices', async () => {
    const dir = dirWith(
      `[agent]\nname = "x"\nallowed_jids = ["*"]\n\n[llm]\nprovider = "gemini"\nmodel = "m"\n`,
    );
    const r = await runCli(['serve', '--config', 'agent.toml'], tempHome(), undefined, 30_000, dir);
    assert.equal(r.code, 3, r.stderr);
    assert.match(
      r.stderr,
      /llm\.provider: expected one of "anthropic", "ollama", "openai", got "gemini"/,
    );
  });
});

const server = await prosodyForTests();

if (server)
  describe(
    'serve on Prosody: component mode, Ollama wire format, and --worker-only',
    { timeout: 300_000 },
    () => {
      let llm: ScriptedLlm;
      const open: Transport[] = [];
      before(async () => {
        llm = await startScriptedLlm(serveScript());
      });
      after(async () => {
        await Promise.allSettled(open.map((t) => t.close()));
        await llm.close();
      });

      it('chats as an XEP-0114 component and answers #skills and #execute', async () => {
        const options = await newAccount(server, 'dora');
        const person = createXmppTransport(options);
        await person.connect();
        open.push(person);
        const agent = await startServe(
          `[server]
mode = "component"
host = "${server.host}"
port = ${String(server.componentPort)}
component_domain = "${server.componentDomain}"
component_secret = "${server.componentSecret}"

[llm]
provider = "ollama"
model = "scripted-model"
host = "${llm.baseUrl('ollama')}"

[agent]
name = "helper"
allowed_jids = ["*"]
# the default: people of the server the component is attached to (${server.domain})
unknown_key = true
`,
        );
        try {
          assert.match(agent.stderr(), /agent\.unknown_key: unknown key \(ignored\)/);
          const chat = new Conversation(
            person,
            (from) => from.split('/')[0] === server.componentDomain,
          );
          await say(person, { kind: 'direct', address: server.componentDomain }, 'hello component');
          await chat.waitFor(/^echo: hello component$/);
          const skills = await person.askAgent(
            server.componentDomain,
            { kind: 'skills' },
            { timeoutMs: 20_000 },
          );
          assert.equal(skills.kind, 'skills');
          const result = await person.askAgent(
            server.componentDomain,
            { kind: 'execute', skill: 'chat', params: { message: 'over IQ' } },
            { timeoutMs: 20_000 },
          );
          assert.deepEqual(result, { kind: 'result', text: 'echo: over IQ' });
          const missing = await person.askAgent(
            server.componentDomain,
            { kind: 'execute', skill: 'nope', params: {} },
            { timeoutMs: 20_000 },
          );
          assert.equal(
            missing.kind === 'error' ? missing.condition : missing.kind,
            'item-not-found',
          );
        } finally {
          await agent.stop();
        }
      });

      it('--worker-only needs no agent.toml, hosts the profile, and a second one is refused', async () => {
        const env = tempHome();
        await loginNewXmppAccount(env, 'box', server, uniqueUser('box'));
        const dir = mkdtempSync(join(tmpdir(), 'mx-serve-worker-'));
        const child = startCli(['--profile', 'box', 'serve', '--worker-only'], env, undefined, dir);
        try {
          await waitForStderr(child, /serving .*worker only\)/, 30_000);
          const status = await runCli(['--json', 'daemon', 'status'], env);
          assert.match(status.stdout, /"running":\s*true/);
          const second = await runCli(
            ['--profile', 'box', 'serve', '--worker-only'],
            env,
            undefined,
            30_000,
            dir,
          );
          assert.equal(second.code, 6, second.stderr);
          assert.match(second.stderr, /already hosts/);
        } finally {
          child.kill('SIGTERM');
          await new Promise((resolve) => child.once('close', resolve));
        }
      });
    },
  );
