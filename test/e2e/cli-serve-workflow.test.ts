import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createXmppTransport } from '../../src/transport/xmpp/index.ts';
import type { Transport } from '../../src/transport/transport.ts';
import { loginNewXmppAccount, runCli } from '../support/cli.ts';
import { prosodyForTests, uniqueUser } from '../support/prosody.ts';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm.ts';
import { Conversation, say, serveScript, startServe } from '../support/serve-harness.ts';
import { ok, workflowAgents } from '../support/workflow-agents.ts';
import { newAccount } from '../support/xmpp-peers.ts';

const server = await prosodyForTests();

if (server)
  describe(
    'serve: run_workflow runs an owner workflow across peers, after a yes',
    { timeout: 300_000 },
    () => {
      let llm: ScriptedLlm;
      let person: Transport;
      let personJid: string;
      before(async () => {
        llm = await startScriptedLlm(
          serveScript((request) =>
            /run the build/.test(request.lastUserText) &&
            request.messages.at(-1)?.toolResults.length === 0
              ? {
                  toolCalls: [
                    {
                      name: 'run_workflow',
                      input: { workflow: 'build.yml', inputs: { word: 'blue' } },
                    },
                  ],
                }
              : undefined,
          ),
        );
        const options = await newAccount(server, 'erin');
        personJid = options.jid;
        person = createXmppTransport(options);
        await person.connect();
      });
      after(async () => {
        await person.close();
        await llm.close();
      });

      it('asks first, then runs it on a trusted worker and reports the jobs', async () => {
        let rooms = 0;
        const { boss, dir } = await workflowAgents(
          {
            workspace: () =>
              `serve-wf${String(process.pid)}-${String(++rooms)}@${server.mucDomain}`,
            account: (env, profile) =>
              loginNewXmppAccount(env, profile, server, uniqueUser(profile)),
            dispose: () => Promise.resolve(),
          },
          1,
        );
        // serve becomes the boss's session host: the one started by the setup commands must go.
        ok(await runCli(['daemon', 'stop', '--all'], boss.env), 'daemon stop');
        const flows = join(dir, 'flows');
        mkdirSync(flows);
        writeFileSync(
          join(flows, 'build.yml'),
          `name: build
inputs:
  word: { default: red }
jobs:
  paint:
    runs-on: { capabilities: [sh] }
    working-directory: ${dir}
    steps:
      - id: mix
        run: sh -c "echo ::output colour=\${{ inputs.word }}"
    outputs:
      colour: \${{ steps.mix.outputs.colour }}
`,
        );
        const agent = await startServe(
          `[llm]
provider = "anthropic"
model = "scripted-model"
base_url = "${llm.baseUrl('anthropic')}"

[agent]
name = "boss"
allowed_jids = ["${personJid}"]

[skills.workflow]
dir = "${flows}"
`,
          { env: boss.env, args: ['--profile', 'boss'] },
        );
        try {
          const chat = new Conversation(person, (from) => from.split('/')[0] === boss.address);
          const target = { kind: 'direct' as const, address: boss.address };
          await say(person, target, 'please run the build');
          await chat.waitFor(/May I run run_workflow .*build\.yml.*Reply yes or no/s);
          await say(person, target, 'yes');
          const done = await chat.waitFor(/^tool said: build\.yml: succeeded/s, 60_000);
          assert.match(done, /- paint: ok; colour=blue/);
        } finally {
          await agent.stop();
        }
      });
    },
  );
