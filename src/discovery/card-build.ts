/** Making this agent's card from its settings and the profiles it has. */
import type { AgentSettings } from '../config/agent-settings.ts';
import { CARD_VERSION, type AgentAddress, type AgentCard, type Skill } from './card.ts';
import { mergeSkills } from './tool-skills.ts';

/** What a card is made of besides the settings. */
export interface CardFacts {
  readonly addresses: readonly AgentAddress[];
  readonly version: string;
  readonly heartbeatMs: number;
  readonly signingKey?: { readonly fingerprint: string; readonly publicRaw: string };
  /** The tools its policy offers (tool-skills.ts), listed before the skills of the settings. */
  readonly tools?: readonly Skill[];
  /** When the settings last changed; cards compare by it. */
  readonly updated: number;
}

/** The card this agent publishes. */
export function buildCard(settings: AgentSettings, facts: CardFacts): AgentCard {
  return {
    v: CARD_VERSION,
    id: settings.id,
    name: settings.name,
    ...(settings.description === undefined ? {} : { description: settings.description }),
    ...(settings.owner === undefined ? {} : { owner: settings.owner }),
    kind: settings.kind,
    capabilities: [...settings.capabilities].sort(),
    skills: mergeSkills(facts.tools ?? [], settings.skills),
    addresses: facts.addresses,
    ...(facts.signingKey === undefined
      ? {}
      : { signingKey: facts.signingKey.fingerprint, publicKey: facts.signingKey.publicRaw }),
    software: { name: 'mx-agent', version: facts.version },
    heartbeatMs: facts.heartbeatMs,
    updated: facts.updated,
  };
}
