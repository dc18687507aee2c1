/**
 * `uses:` steps end to end on Prosody with the built CLI: a worker's owner declares a tool in
 * policy.toml, the worker's card offers it (with its input schema, without its command line),
 * and a workflow calls it with `with:` — the values filled into the owner's argument templates,
 * a job needing a tool nobody offers failing with the reason.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loginNewXmppAccount, stopHosts } from '../support/cli.ts';
import { prosodyForTests, uniqueUser } from '../support/prosody.ts';
import { ok, workflowAgents, type WorkflowAgent } from '../support/workflow-agents.ts';

const server = await prosodyForTests();

interface Discovered {
  id: string;
  card: { skills: { name: string; input_schema?: unknown }[] };
}

describe('workflow run: uses a tool a worker offers (XMPP, Prosody)', { skip: !server }, () => {
  let boss: WorkflowAgent;
  let worker: WorkflowAgent;
  let dir: string;

  before(async () => {
    if (!server) return;
    let rooms = 0;
    const made = await workflowAgents(
      {
        workspace: () => `wftools${String(process.pid)}-${String(++rooms)}@${server.mucDomain}`,
        account: (env, profile) => loginNewXmppAccount(env, profile, server, uniqueUser(profile)),
        dispose: () => Promise.resolve(),
      },
      1,
    );
    const [first] = made.workers;
    assert.ok(first);
    ({ boss, dir } = made);
    worker = first;
    // The owner offers one tool, and lets the orchestrator use it (and nothing else).
    writeFileSync(
      join(worker.env.MX_AGENT_CONFIG_DIR ?? '', 'policy.toml'),
      `[[allow]]
requester = "${boss.id}"
tools = ["note"]
require_sandbox = false

[tools.note]
description = "write a note into the work directory"
command = "sh"
args = ["-c", "printf '%s\\\\n' \\"$1\\" > \\"$2\\"; echo noted \\"$1\\"", "note", "{text}", "{file}"]
cwd = "${dir}"
[tools.note.inputs.text]
type = "string"
required = true
[tools.note.inputs.file]
type = "string"
pattern = "[a-z]+\\\\.txt"
required = true
`,
      { mode: 0o600 },
    );
  });
  after(async () => {
    await Promise.allSettled([boss, worker].filter(Boolean).map((a) => stopHosts(a.env)));
  });

  it('discovers the tool on the card and runs it with the with: values', async () => {
    // The worker's card picks the tool up at its next heartbeat.
    let seen: Discovered | undefined;
    for (let i = 0; !seen; i++) {
      const r = ok(await boss.run(['--json', 'discover']), 'discover');
      const agents = (JSON.parse(r.stdout) as { agents: Discovered[] }).agents;
      seen = agents.find((a) => a.id === worker.id && a.card.skills.some((s) => s.name === 'note'));
      assert.ok(seen || i < 40, `the card of ${worker.id} never offered the tool: ${r.stdout}`);
      if (!seen) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const skill = seen.card.skills.find((s) => s.name === 'note');
    assert.deepEqual((skill?.input_schema as { required?: string[] }).required, ['text', 'file']);
    assert.doesNotMatch(JSON.stringify(seen.card), /printf|\/sh"|mx-wf-work/);

    const file = join(dir, 'tools.yml');
    writeFileSync(
      file,
      `name: tools
inputs:
  who: { default: world }
jobs:
  note:
    runs-on: { capabilities: [sh] }
    steps:
      - uses: note
        with:
          text: "hello \${{ inputs.who }}; rm -rf ~ && echo *"
          file: hello.txt
  missing:
    runs-on: { capabilities: [sh] }
    steps:
      - uses: deploy
        with: { where: prod }
`,
    );
    const r = await boss.run(['workflow', 'run', file, '--input', 'who=tools'], 120_000);
    assert.equal(r.code, 7, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /\[note\] \$ note text=hello tools; rm -rf ~ && echo \* file=hello\.txt/,
    );
    assert.match(r.stdout, /\[note\] noted hello tools; rm -rf ~ && echo \*/);
    assert.match(r.stdout, /✓ note/);
    assert.match(
      r.stdout,
      /✗ missing: job missing: no agent with sh offering the tool\(s\) deploy in your workspaces/,
    );
    assert.equal(readFileSync(join(dir, 'hello.txt'), 'utf8'), 'hello tools; rm -rf ~ && echo *\n');
    // The worker's audit names the tool it ran.
    const admitted = worker.audit().find((e) => String(e.reason).includes('to use tool note'));
    assert.ok(admitted, JSON.stringify(worker.audit()));
  });
});
