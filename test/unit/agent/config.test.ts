import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadServeConfig } from '../../../src/agent/config.ts';

const dir = mkdtempSync(join(tmpdir(), 'mx-serve-config-'));
let n = 0;
function file(text: string): string {
  const path = join(dir, `agent-${String(++n)}.toml`);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

// Fluux Agent's example config, as its users have it (comments with $VARS included).
const FLUUX = `# Fluux Agent — connect as a component. Set $AGENT_SECRET first.
[server]
host = "localhost"
port = 5275
mode = "component"
component_domain = "agent.localhost"
component_secret = "\${AGENT_SECRET}"

[llm]
provider = "anthropic"
model = "claude-haiku-4-5-20250110"
api_key = "\${ANTHROPIC_API_KEY}"
max_tokens_per_request = 2048

[agent]
name = "Fluux Agent"
allowed_jids = ["admin@localhost"]

[memory]
backend = "markdown"
path = "./data/memory"

[session]
idle_timeout_mins = 240

[[rooms]]
jid = "lobby@conference.localhost"
nick = "fluux"

[[rooms]]
jid = "dev@conference.localhost"

[skills.web_search]
provider = "tavily"
api_key = "\${TAVILY_API_KEY:-none}"

[skills.url_fetch]
enabled = true
`;

const env = { AGENT_SECRET: 's3cret', ANTHROPIC_API_KEY: 'sk-ant-x' };

describe('the serve config (agent.toml)', () => {
  it("reads Fluux Agent's file as it is, with defaults and ${VAR} in values only", () => {
    const c = loadServeConfig(file(FLUUX), env);
    assert.deepEqual(c.server, {
      mode: 'component',
      host: 'localhost',
      port: 5275,
      componentDomain: 'agent.localhost',
      componentSecret: 's3cret',
    });
    assert.deepEqual(c.llm, {
      provider: 'anthropic',
      model: 'claude-haiku-4-5-20250110',
      apiKey: 'sk-ant-x',
      maxTokensPerRequest: 2048,
    });
    assert.deepEqual(c.agent, {
      name: 'Fluux Agent',
      allowedJids: ['admin@localhost'],
      allowedDomains: [],
    });
    assert.deepEqual(c.rooms, [
      { jid: 'lobby@conference.localhost', nick: 'fluux' },
      { jid: 'dev@conference.localhost', nick: 'Fluux Agent' },
    ]);
    assert.equal(c.session.idleTimeoutMins, 240);
    assert.deepEqual(c.skills, {
      webSearch: { provider: 'tavily', apiKey: 'none', maxResults: 5 },
      memory: false,
      urlFetch: true,
    });
    assert.deepEqual(c.keepalive, { enabled: true, pingIntervalSecs: 60, readTimeoutSecs: 300 });
    assert.deepEqual(c.warnings, []);
  });

  it('a client account, Ollama by default on localhost, $$ for a literal $', () => {
    const c = loadServeConfig(
      file(`[server]
mode = "client"
host = "xmpp.example.org"
port = 5222
jid = "bot@example.org"
password = "pa$$word\${X:-}"

[llm]
provider = "ollama"
model = "llama3.2"

[agent]
name = "bot"
allowed_jids = ["*"]
allowed_domains = ["*"]
`),
      {},
    );
    assert.deepEqual(c.server, {
      mode: 'client',
      host: 'xmpp.example.org',
      port: 5222,
      jid: 'bot@example.org',
      password: 'pa$word',
      resource: 'mx-agent',
      tlsVerify: true,
      tls: 'starttls',
    });
    assert.equal(c.llm.baseUrl, 'http://localhost:11434');
    assert.deepEqual(c.memory, { backend: 'jsonl', path: './data/memory' });
  });

  it('stops at a bad value, naming file:line:column, the key, what was expected and what came', () => {
    const path = file(FLUUX.replace('port = 5275', 'port = "5275"'));
    assert.throws(
      () => loadServeConfig(path, env),
      new RegExp(
        `^ConfigError: ${path}:4:1: server.port: expected a whole number from 1 to 65535, got "5275"$`,
      ),
    );
    const provider = file(FLUUX.replace('provider = "anthropic"', 'provider = "gpt"'));
    assert.throws(
      () => loadServeConfig(provider, env),
      /:10:1: llm.provider: expected one of "anthropic", "ollama", "openai", got "gpt"/,
    );
    const openai = file(FLUUX.replace('provider = "anthropic"', 'provider = "openai"'));
    assert.throws(
      () => loadServeConfig(openai, env),
      /llm.base_url: expected the endpoint of an OpenAI-compatible API/,
    );
    assert.throws(
      () => loadServeConfig(file('[llm]\nprovider = "ollama"\nmodel = "m"\n'), env),
      /\[agent\] is required/,
    );
  });

  it('names the variable a value needs when the environment lacks it, and ignores comments', () => {
    const path = file(FLUUX);
    assert.throws(
      () => loadServeConfig(path, { ANTHROPIC_API_KEY: 'k' }),
      new RegExp(
        `${path}:7:1: server.component_secret: expected the environment variable AGENT_SECRET to be set`,
      ),
    );
  });

  it('warns about keys it does not know, and about Fluux keys it does not support, and goes on', () => {
    const c = loadServeConfig(
      file(
        `${FLUUX}
[agent.extra]
x = 1

[proactive]
enable = true
`.replace('allowed_jids =', 'alowed_jids = ["x@y"]\nallowed_jids ='),
      ),
      env,
    );
    assert.equal(c.warnings.length, 3, c.warnings.join('\n'));
    assert.match(c.warnings.join('\n'), /:\d+:1: agent.alowed_jids: unknown key \(ignored\)/);
    assert.match(c.warnings.join('\n'), /agent.extra: unknown key \(ignored\)/);
    assert.match(
      c.warnings.join('\n'),
      /proactive: a Fluux Agent key mx-agent does not support yet \(ignored\)/,
    );
  });

  it('reads the budgets under the names Fluux reserved for them, with defaults', () => {
    const c = loadServeConfig(
      file(
        `${FLUUX}
[quota]
daily_tokens = 100000
daily_tokens_per_person = 5000

[llm.extra_never_used]
`.replace('[llm]', '[llm]\nhistory_token_budget = 8000\nmuc_history_token_budget = 4000'),
      ),
      env,
    );
    assert.equal(c.limits.dailyTokens, 100_000);
    assert.equal(c.limits.dailyTokensPerPerson, 5000);
    assert.equal(c.limits.historyTokens, 8000);
    assert.equal(c.limits.roomHistoryTokens, 4000);
    assert.equal(c.limits.maxToolRounds, 8);
    assert.equal(c.limits.streamReplies, true);
  });

  it('stops on a bad budget, naming the key and the expected form', () => {
    assert.throws(
      () => loadServeConfig(file(`${FLUUX}\n[quota]\ndaily_tokens = "lots"\n`), env),
      /quota.daily_tokens: expected a whole number from 0 to 1000000000, got "lots"/,
    );
  });
});
