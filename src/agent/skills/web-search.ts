/**
 * The `web_search` skill, as Fluux Agent has it: Tavily (`POST /search`, results with an answer)
 * or Perplexity (`POST /chat/completions` with a Sonar model, an answer with its sources). The
 * result text has Fluux's shape: the query, a summary when the provider gave one, then numbered
 * results with title, URL and snippet. The API key goes only in the Authorization header and is
 * cut out of any error text; a failure is an error result the model can tell the person about.
 */
import { messageOf } from '../../errors.ts';
import { failure, requiredString } from './input.ts';
import type { AgentSkill } from './types.ts';

/** What `[skills.web_search]` says, plus where the API is (tests point it at a local server). */
export interface WebSearchOptions {
  readonly provider: 'tavily' | 'perplexity';
  readonly apiKey: string;
  /** Results listed (Tavily's `max_results`; Perplexity's sources are cut to it). */
  readonly maxResults: number;
  /** Perplexity's model (`sonar` by default). */
  readonly model?: string;
  /** The API's base URL: https://api.tavily.com or https://api.perplexity.ai by default. */
  readonly baseUrl?: string;
  /** Longest a search may take, in milliseconds (30 s). */
  readonly timeoutMs?: number;
}

/** One result, whichever provider gave it. */
export interface SearchHit {
  readonly title: string;
  readonly url: string;
  readonly snippet: string;
}

/** A provider's answer. */
export interface SearchAnswer {
  readonly summary?: string;
  readonly hits: readonly SearchHit[];
}

const BASE = { tavily: 'https://api.tavily.com', perplexity: 'https://api.perplexity.ai' };
const NAME = { tavily: 'Tavily', perplexity: 'Perplexity' };

/** The `web_search` skill. */
export function webSearchSkill(options: WebSearchOptions): AgentSkill {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return {
    name: 'web_search',
    description:
      'Search the web for current information. Use it only when the question needs recent or ' +
      'real-time facts (news, prices, scores, weather, releases) or something you do not know; ' +
      'not for greetings, small talk or what you can answer yourself.',
    inputSchema: {
      type: 'object',
      properties: { query: { type: 'string', description: 'What to search the web for' } },
      required: ['query'],
    },
    async run(input, context) {
      const query = requiredString('web_search', input, 'query');
      if (typeof query !== 'string') return query;
      if (query.trim() === '') return failure('web_search: the query is empty');
      const signal = AbortSignal.any([context.signal, AbortSignal.timeout(timeoutMs)]);
      try {
        const answer =
          options.provider === 'tavily'
            ? await tavily(options, query, signal)
            : await perplexity(options, query, signal);
        return {
          content: formatResults(query, answer),
          untrusted: { source: `web search (${NAME[options.provider]})` },
        };
      } catch (error) {
        const why = context.signal.aborted
          ? 'stopped'
          : signal.aborted
            ? `no answer from ${NAME[options.provider]} within ${String(timeoutMs / 1000)} s`
            : redact(messageOf(error), options.apiKey);
        return failure(`Web search failed: ${why}`);
      }
    },
  };
}

/** Fluux Agent's result text. */
export function formatResults(query: string, answer: SearchAnswer): string {
  let text = `Web search results for: ${query}\n`;
  if (answer.summary !== undefined && answer.summary.trim() !== '')
    text += `\nSummary: ${answer.summary.trim()}\n`;
  if (answer.hits.length === 0) return `${text}\nNo results found.`;
  text += `\n${String(answer.hits.length)} results:\n`;
  answer.hits.forEach((hit, i) => {
    text += `\n${String(i + 1)}. ${oneLine(hit.title)}\n   ${hit.url}\n`;
    if (hit.snippet.trim() !== '') text += `   ${oneLine(hit.snippet)}\n`;
  });
  return text;
}

/** Tavily Search: https://docs.tavily.com/documentation/api-reference/endpoint/search */
async function tavily(
  o: WebSearchOptions,
  query: string,
  signal: AbortSignal,
): Promise<SearchAnswer> {
  const body = await post(
    o,
    '/search',
    { query, max_results: o.maxResults, include_answer: true },
    signal,
  );
  const results = Array.isArray(body.results) ? (body.results as unknown[]) : undefined;
  if (results === undefined) throw new Error('Tavily answered without a "results" list');
  return {
    ...(typeof body.answer === 'string' ? { summary: body.answer } : {}),
    hits: results.flatMap((r) => hit(r, 'content')).slice(0, o.maxResults),
  };
}

/** Perplexity Sonar (OpenAI-style chat completions with `search_results` and `citations`). */
async function perplexity(
  o: WebSearchOptions,
  query: string,
  signal: AbortSignal,
): Promise<SearchAnswer> {
  const request = { model: o.model ?? 'sonar', messages: [{ role: 'user', content: query }] };
  const body = await post(o, '/chat/completions', request, signal);
  const choice = Array.isArray(body.choices) ? (body.choices[0] as Record<string, unknown>) : {};
  const message = (choice.message ?? {}) as Record<string, unknown>;
  const summary = typeof message.content === 'string' ? message.content : undefined;
  if (summary === undefined) throw new Error('Perplexity answered without a message');
  const structured = Array.isArray(body.search_results)
    ? (body.search_results as unknown[]).flatMap((r) => hit(r, 'snippet'))
    : [];
  const citations = Array.isArray(body.citations)
    ? (body.citations as unknown[]).flatMap((url, i) =>
        typeof url === 'string' ? [{ title: `Source ${String(i + 1)}`, url, snippet: '' }] : [],
      )
    : [];
  return { summary, hits: (structured.length > 0 ? structured : citations).slice(0, o.maxResults) };
}

async function post(
  o: WebSearchOptions,
  path: string,
  request: object,
  signal: AbortSignal,
): Promise<Record<string, unknown>> {
  const base = (o.baseUrl ?? BASE[o.provider]).replace(/\/+$/, '');
  let response: Response;
  let text: string;
  try {
    response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${o.apiKey}`,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: JSON.stringify(request),
      signal,
    });
    text = await response.text();
  } catch (error) {
    const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
    throw new Error(`cannot reach ${NAME[o.provider]} at ${base}: ${messageOf(cause)}`, {
      cause: error,
    });
  }
  if (!response.ok)
    throw new Error(
      `${NAME[o.provider]} answered HTTP ${String(response.status)}${detail(text) === '' ? '' : `: ${detail(text)}`}`,
    );
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${NAME[o.provider]} answered with something that is not JSON`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new Error(`${NAME[o.provider]} answered with JSON that is not an object`);
  return body as Record<string, unknown>;
}

function hit(value: unknown, snippetKey: string): SearchHit[] {
  if (typeof value !== 'object' || value === null) return [];
  const r = value as Record<string, unknown>;
  if (typeof r.url !== 'string') return [];
  const title = typeof r.title === 'string' && r.title !== '' ? r.title : r.url;
  const snippet = r[snippetKey];
  return [{ title, url: r.url, snippet: typeof snippet === 'string' ? snippet : '' }];
}

/** The provider's own error message when it sent one, short. */
function detail(text: string): string {
  let message = text;
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    const d = v.detail ?? v.error ?? v.message;
    const inner = typeof d === 'object' && d !== null ? (d as Record<string, unknown>) : undefined;
    const found = inner?.error ?? inner?.message ?? d;
    if (typeof found === 'string') message = found;
  } catch {
    // Not JSON: the text itself.
  }
  const line = oneLine(message);
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

/** The key, should a provider echo it, never reaches the model or a log. */
function redact(text: string, key: string): string {
  return key.length < 4 ? text : text.split(key).join('[api key]');
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
