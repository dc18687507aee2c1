/**
 * Fluux Agent's protocol over IQs (specs/protocol.md §11.2): we answer `#skills` gets and
 * `#execute` sets with the transport's handler (without one, the callee's default
 * `service-unavailable`, RFC 6120 §8.4), and ask peers the same questions. Works alike for a
 * client (IQs to our full JID) and a component (IQs to its domain or any JID under it).
 */
import { randomUUID } from 'node:crypto';
import type { IqCallee } from '@xmpp/iq/callee.js';
import { xml, type Element } from '@xmpp/xml';
import { NetworkError } from '../../errors.ts';
import { AgentAnswerer, type AgentAnswererOptions } from '../agent-answerer.ts';
import { defaultAskMs } from '../agent-requests.ts';
import { isAgentCondition, type AgentAsk } from '../agent-shapes.ts';
import { withDeadline } from '../deadline.ts';
import type { AgentResponse, WaitOptions } from '../transport.ts';
import {
  NS_AGENT_EXECUTE,
  NS_AGENT_SKILLS,
  errorElement,
  parseExecute,
  parseResult,
  parseSkills,
  requestElement,
  resultElement,
  skillsElement,
} from './agent-xml.ts';
import type { XmppSession } from './session.ts';
import { conditionOf, iqFailure } from './stanza-errors.ts';

/** Agent requests of one XMPP transport: the handler and the questions we ask. */
export class AgentIqs {
  readonly answerer: AgentAnswerer;

  constructor(options: AgentAnswererOptions = {}) {
    this.answerer = new AgentAnswerer(options);
  }

  /** Answer on a new session; `self` is our address (the sender of IQs without a `from`). */
  install(callee: IqCallee, self: () => string): void {
    const answerer = this.answerer;
    // A client's own server may send IQs on behalf of its account without a `from` (RFC 6120 §8.1.2.1).
    const fromOf = (stanza: Element): string => stanza.attrs.from ?? self().split('/')[0] ?? '';
    callee.get(NS_AGENT_SKILLS, 'query', async (ctx, next) => {
      if (!answerer.answering) return next();
      const response = await answerer.answer({ kind: 'skills', from: fromOf(ctx.stanza) });
      return answerElement(response, '');
    });
    callee.set(NS_AGENT_EXECUTE, 'execute', async (ctx, next) => {
      if (!answerer.answering) return next();
      const parsed = parseExecute(ctx.element);
      if ('problem' in parsed) return errorElement('bad-request', parsed.problem);
      const from = fromOf(ctx.stanza);
      const response = await answerer.answer({ kind: 'execute', from, ...parsed });
      return answerElement(response, parsed.skill);
    });
  }

  /**
   * Ask `to` (a client's full JID, or a component) and read its answer. An IQ error with a
   * condition an AgentResponse carries is that answer; any other failure is thrown (NetworkError
   * when nobody answered, RefusedError when the server refused), as is a malformed answer.
   */
  ask(
    session: () => XmppSession,
    to: string,
    ask: AgentAsk,
    options?: WaitOptions,
  ): Promise<AgentResponse> {
    const timeoutMs = options?.timeoutMs ?? defaultAskMs(ask);
    const what = `the agent ${ask.kind} request to ${to}`;
    return withDeadline(`the answer to ${what}`, { ...options, timeoutMs }, async () => {
      const type = ask.kind === 'skills' ? 'get' : 'set';
      const iq = xml('iq', { type, to, id: randomUUID() }, requestElement(ask));
      let reply: Element;
      try {
        // The deadline above speaks first; this one only frees the caller's entry.
        reply = await session().iqCaller.request(iq, timeoutMs + 1000);
      } catch (error) {
        const condition = conditionOf(error);
        if (isAgentCondition(condition)) {
          const text = (error as { text?: unknown }).text;
          return { kind: 'error', condition, text: typeof text === 'string' ? text : '' };
        }
        throw iqFailure(error, what);
      }
      const child = reply.getChildElements()[0];
      const parsed = ask.kind === 'skills' ? parseSkills(child) : parseResult(child, ask.skill);
      if (typeof parsed === 'object' && 'problem' in parsed)
        throw new NetworkError(`${to} gave a malformed answer to ${what}: ${parsed.problem}`);
      return typeof parsed === 'string'
        ? { kind: 'result', text: parsed }
        : { kind: 'skills', skills: parsed };
    });
  }
}

function answerElement(response: AgentResponse, skill: string): Element {
  switch (response.kind) {
    case 'skills':
      return skillsElement(response.skills);
    case 'result':
      return resultElement(skill, response.text);
    case 'error':
      return errorElement(response.condition, response.text);
  }
}
