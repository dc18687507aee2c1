/**
 * The parts of `agent.toml` that bound what the agent spends and how long it works, and the
 * accounts it runs on beyond `[server]`. Where Fluux Agent documents a key without
 * implementing it, we use its name (`[quota] daily_tokens`, `[llm] history_token_budget`,
 * `[skills] max_tool_rounds`, `max_execution_time`), so a file written for Fluux's plans works.
 */
import { readSwitch, valueError } from '../security/policy-values.ts';
import type { Reader, Table } from './config.ts';

/** Limits of the chat agent, with defaults filled in. */
export interface AgentLimits {
  /** Tokens per UTC day for the whole agent and for each person; 0 = no cap. */
  readonly dailyTokens: number;
  readonly dailyTokensPerPerson: number;
  /** Token budgets of the session window (1:1 chats, rooms) before compaction. */
  readonly historyTokens: number;
  readonly roomHistoryTokens: number;
  readonly maxToolRounds: number;
  /** The longest a whole turn may take, tools included. */
  readonly turnTimeoutSecs: number;
  /** The longest one model call may take, and how often a transient failure is retried. */
  readonly llmTimeoutSecs: number;
  readonly llmRetries: number;
  /** How long a confirmation request waits for an answer (then it is a no). */
  readonly confirmTimeoutSecs: number;
  /** Stream replies in place (edits / corrections) rather than sending them whole. */
  readonly streamReplies: boolean;
}

/** `[quota]`, the budget keys of `[llm]` and `[skills]`, and `[agent] stream_replies`. */
export function readLimits(r: Reader, raw: Table): AgentLimits {
  const quota = r.table('quota', raw.quota);
  r.known('quota', quota, ['daily_tokens', 'daily_tokens_per_person']);
  const llm = r.table('llm', raw.llm);
  const skills = r.table('skills', raw.skills);
  const agent = r.table('agent', raw.agent);
  const tokens = { min: 0, max: 1_000_000_000 };
  const historyTokens = r.integer('llm.history_token_budget', llm.history_token_budget, {
    min: 0,
    max: 10_000_000,
    fallback: 16_000,
  });
  return {
    dailyTokens: r.integer('quota.daily_tokens', quota.daily_tokens, { ...tokens, fallback: 0 }),
    dailyTokensPerPerson: r.integer(
      'quota.daily_tokens_per_person',
      quota.daily_tokens_per_person,
      { ...tokens, fallback: 0 },
    ),
    historyTokens: r.integer('llm.dm_history_token_budget', llm.dm_history_token_budget, {
      min: 0,
      max: 10_000_000,
      fallback: historyTokens,
    }),
    roomHistoryTokens: r.integer('llm.muc_history_token_budget', llm.muc_history_token_budget, {
      min: 0,
      max: 10_000_000,
      fallback: historyTokens,
    }),
    maxToolRounds: r.integer('skills.max_tool_rounds', skills.max_tool_rounds, {
      min: 0,
      max: 50,
      fallback: 8,
    }),
    turnTimeoutSecs: r.integer('skills.max_execution_time', skills.max_execution_time, {
      min: 1,
      max: 86_400,
      fallback: 300,
    }),
    llmTimeoutSecs: r.integer('llm.timeout_secs', llm.timeout_secs, {
      min: 1,
      max: 3600,
      fallback: 300,
    }),
    llmRetries: r.integer('llm.max_retries', llm.max_retries, { min: 0, max: 10, fallback: 3 }),
    confirmTimeoutSecs: r.integer('agent.confirm_timeout_secs', agent.confirm_timeout_secs, {
      min: 5,
      max: 86_400,
      fallback: 300,
    }),
    streamReplies:
      agent.stream_replies === undefined
        ? true
        : readSwitch(r.source, 'agent.stream_replies', agent.stream_replies),
  };
}

/** `[matrix] profile`: the `mx-agent login` profile of a Matrix account to serve on as well. */
export function readMatrix(r: Reader, raw: Table): { readonly profile: string } | undefined {
  if (raw.matrix === undefined) return undefined;
  const t = r.table('matrix', raw.matrix);
  r.known('matrix', t, ['profile']);
  const profile = r.text('matrix.profile', t.profile);
  if (!/^[A-Za-z0-9][A-Za-z0-9@._-]{0,127}$/.test(profile))
    throw valueError(
      r.source,
      'matrix.profile',
      'the name of a profile from `mx-agent login`',
      profile,
    );
  return { profile };
}
