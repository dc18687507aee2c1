import { readFileSync } from 'node:fs';
import type { OptionValues } from 'commander';
import { AgentSettingsStore } from '../../config/agent-settings.ts';
import { resolvePaths } from '../../config/paths.ts';
import {
  CAPABILITY,
  cardToJson,
  parseCard,
  type AgentCard,
  type Skill,
} from '../../discovery/card.ts';
import { UsageError, messageOf, quote } from '../../errors.ts';
import { refreshHost } from '../../session/control.ts';
import { sessionFiles } from '../../session/files.ts';
import { currentCard } from '../agent-presence.ts';
import { openProfileStore } from '../connect.ts';
import type { CliContext } from '../context.ts';
import { listOption, stringOption } from '../option-values.ts';

/** `card show`. */
export function showCard(context: CliContext): void {
  const card = currentCard(context.version);
  context.output.result(cardToJson(card), () => formatCard(card));
}

/** `card set`: validate everything first, then save, then tell running hosts. */
export async function setCard(values: OptionValues, context: CliContext): Promise<void> {
  const store = new AgentSettingsStore(resolvePaths());
  const before = store.read();
  const name = stringOption(values, 'name');
  if (name !== undefined && (name.trim() === '' || name.length > 200))
    throw new UsageError(`expected --name to be 1 to 200 characters, got ${quote(name)}`);
  const description = stringOption(values, 'description');
  const owner = stringOption(values, 'owner');
  const kind = stringOption(values, 'kind');
  const replace = listOption(values, 'capability');
  const add = listOption(values, 'addCapability');
  const remove = listOption(values, 'removeCapability');
  for (const c of [...replace, ...add, ...remove])
    if (!CAPABILITY.test(c))
      throw new UsageError(
        `expected a capability name of lower-case letters, digits and . - _ (like code-review), got ${quote(c)}`,
      );
  let capabilities: string[] | undefined;
  if (replace.length > 0 || add.length > 0 || remove.length > 0) {
    const base = replace.length > 0 ? replace : [...before.capabilities];
    capabilities = [...new Set([...base, ...add])].filter((c) => !remove.includes(c));
  }
  const skillsFile = stringOption(values, 'skillsFile');
  const skills = skillsFile === undefined ? undefined : readSkills(skillsFile);
  store.update({
    ...(name === undefined ? {} : { name: name.trim() }),
    ...(description === undefined ? {} : { description: description === '' ? null : description }),
    ...(owner === undefined ? {} : { owner: owner === '' ? null : owner }),
    ...(kind === 'cli' || kind === 'serve' ? { kind } : {}),
    ...(capabilities === undefined ? {} : { capabilities }),
    ...(skills === undefined ? {} : { skills }),
  });
  const paths = resolvePaths();
  for (const profile of openProfileStore().list()) {
    try {
      await refreshHost(sessionFiles(profile.name, paths));
    } catch (error) {
      context.output.warn(
        `profile ${profile.name}: the new card is not published yet: ${messageOf(error)}`,
      );
    }
  }
  const card = currentCard(context.version);
  context.output.result(cardToJson(card), () => formatCard(card));
}

/** Read and check a skills file: the same rules peers apply to a card. */
function readSkills(file: string): Skill[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(
      `expected --skills-file to be a readable JSON file, got ${quote(file)}: ${messageOf(error)}`,
    );
  }
  const probe = parseCard({
    v: 1,
    id: 'agt-aaaaaaaaaaaaaaaa',
    name: 'probe',
    kind: 'cli',
    capabilities: [],
    skills: json as never,
    addresses: [],
    software: { name: 'mx-agent', version: '0' },
    heartbeat_ms: 60_000,
    updated: 0,
  });
  if (typeof probe === 'string')
    throw new UsageError(
      `expected ${quote(file)} to hold a JSON list of {name, version, description, input_schema}: ${probe}`,
    );
  return [...probe.skills];
}

/** The card as text. */
export function formatCard(card: AgentCard): string {
  const lines = [
    `${card.name}  (${card.id}, ${card.kind})`,
    ...(card.description ? [`  ${card.description}`] : []),
    `owner:        ${card.owner ?? '-'}`,
    `capabilities: ${card.capabilities.join(', ') || '-'}`,
    `skills:       ${card.skills.map((s) => (s.version ? `${s.name}@${s.version}` : s.name)).join(', ') || '-'}`,
    `addresses:    ${card.addresses.map((a) => `${a.address} (${a.network})`).join(', ') || '-'}`,
    `signing key:  ${card.signingKey ?? '-'}${card.publicKey ? `  (${card.publicKey})` : ''}`,
    `software:     ${card.software.name} ${card.software.version}`,
    `heartbeat:    every ${String(Math.round(card.heartbeatMs / 1000))}s`,
  ];
  return lines.join('\n');
}
