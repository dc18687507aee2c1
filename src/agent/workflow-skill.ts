/**
 * `run_workflow`: the chat agent runs one of the workflow files its owner put in
 * `[skills.workflow] dir` (nothing else: the model names a file, never a path) across the
 * agents of its workspaces, as `mx-agent workflow run` does — each step signed with this
 * agent's key, sent only to trusted workers, decided by their own policies. It changes things
 * on other machines, so the person confirms first.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AgentSettingsStore } from '../config/agent-settings.ts';
import { resolvePaths } from '../config/paths.ts';
import { securityFiles } from '../config/security-files.ts';
import { discoverAgents, type DiscoverySource } from '../discovery/discover.ts';
import { messageOf } from '../errors.ts';
import { loadOrCreateSigningKey } from '../security/signing-key.ts';
import { TrustStore } from '../security/trust-store.ts';
import type { JsonObject } from '../transport/transport.ts';
import { runWorkflow, type RunEvent } from '../workflow/orchestrator.ts';
import { workerResolver } from '../workflow/worker-resolver.ts';
import { resolveInputs } from '../workflow/workflow-inputs.ts';
import { readWorkflowFile } from '../workflow/workflow-parse.ts';
import type { AgentSkill, SkillContext, SkillResult } from './skills/types.ts';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** The skill for the workflows in `dir`; `sources` are the connections and their workspaces. */
export function runWorkflowSkill(
  dir: string,
  sources: () => readonly DiscoverySource[],
): AgentSkill {
  return {
    name: 'run_workflow',
    description: `Run one of the owner's workflow files (in ${dir}) across the peer agents, and report how each job ended. Name the file (like build.yml) and give its inputs.`,
    inputSchema: {
      type: 'object',
      properties: {
        workflow: { type: 'string', description: 'The file name, like build.yml' },
        inputs: { type: 'object', description: 'The workflow inputs, as strings' },
      },
      required: ['workflow'],
    },
    destructive: true,
    run: async (input, context) => run(resolve(dir), sources(), input, context),
  };
}

async function run(
  dir: string,
  sources: readonly DiscoverySource[],
  input: JsonObject,
  context: SkillContext,
): Promise<SkillResult> {
  const name = typeof input.workflow === 'string' ? input.workflow : '';
  const file = join(dir, name);
  if (!NAME.test(name) || !/\.ya?ml$/.test(name) || !existsSync(file))
    return { content: `There is no workflow ${JSON.stringify(name)} in ${dir}.`, isError: true };
  const given: Record<string, string> = {};
  if (typeof input.inputs === 'object' && input.inputs !== null && !Array.isArray(input.inputs))
    for (const [k, v] of Object.entries(input.inputs))
      given[k] = typeof v === 'string' ? v : JSON.stringify(v);
  const first = sources[0];
  if (first === undefined) return { content: 'No connection is up to run it on.', isError: true };
  const lines: string[] = [];
  try {
    const workflow = readWorkflowFile(file);
    const inputs = resolveInputs(workflow, given);
    const paths = resolvePaths();
    const key = loadOrCreateSigningKey(securityFiles(paths).keyDir);
    const connected = sources.map((s) => s.transport);
    const { agents } = await discoverAgents(sources, { signal: context.signal });
    const trusted = new TrustStore(securityFiles(paths).keyDir).list();
    const { result } = await runWorkflow({
      transport: first.transport,
      agent: new AgentSettingsStore(paths).read().id,
      key,
      workflow,
      inputs,
      runId: `run-${randomBytes(6).toString('hex')}`,
      resolveWorker: workerResolver(connected, agents, trusted, workflow),
      transportFor: (network) => connected.find((t) => t.network === network),
      signal: context.signal,
      onEvent: (event) => {
        const line = summary(event);
        if (line !== undefined) lines.push(line);
      },
    });
    return {
      content: `${name}: ${result}\n${lines.join('\n')}`,
      untrusted: { source: 'workflow output' },
    };
  } catch (error) {
    context.signal.throwIfAborted();
    return { content: `run_workflow failed: ${messageOf(error)}`, isError: true };
  }
}

/** How a job ended, one line; other events are left out. */
function summary(event: RunEvent): string | undefined {
  if (event.type === 'job-skipped') return `- ${event.job}: skipped (${event.reason})`;
  if (event.type !== 'job-finished') return undefined;
  const outputs = Object.entries(event.outputs).map(([k, v]) => `${k}=${v}`);
  return `- ${event.job}: ${event.ok ? 'ok' : `failed${event.error === undefined ? '' : ` (${event.error})`}`}${outputs.length > 0 ? `; ${outputs.join(', ')}` : ''}`;
}
