import type { OptionValues } from 'commander';
import { matrixAccountOf, parseMatrixUserId } from '../../config/matrix-account.ts';
import { UsageError, quote } from '../../errors.ts';
import type { DeviceTrust, SasPrompt } from '../../transport/matrix/index.ts';
import { withDeviceKeys } from '../connect.ts';
import type { CliContext } from '../context.ts';
import { flagOption, stringOption } from '../option-values.ts';
import { askYesNo } from '../prompt.ts';

const DEFAULT_TIMEOUT_S = 300;

function parseTimeout(values: OptionValues): number {
  const text = stringOption(values, 'timeout');
  if (text === undefined) return DEFAULT_TIMEOUT_S * 1000;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new UsageError(`expected --timeout in seconds, a positive number, got ${quote(text)}`);
  }
  return seconds * 1000;
}

function describe(d: DeviceTrust): string {
  const name = d.displayName ? ` (${d.displayName})` : '';
  const state = d.verified
    ? d.crossSigningVerified
      ? 'verified, cross-signed'
      : 'verified'
    : 'not verified';
  return `${d.userId} ${d.deviceId}${name}: ${state}`;
}

/** The action of `verify`. */
export async function verify(
  user: string | undefined,
  device: string | undefined,
  values: OptionValues,
  context: CliContext,
): Promise<void> {
  const { output } = context;
  const incoming = flagOption(values, 'incoming');
  const list = flagOption(values, 'list');
  const timeoutMs = parseTimeout(values);
  const userId = user === undefined ? undefined : parseMatrixUserId(user);
  if (!incoming && !list && userId === undefined) {
    throw new UsageError(
      'expected the user to verify, like @bob:example.org (or --incoming, or --list)',
    );
  }
  if (incoming && device !== undefined) {
    throw new UsageError('--incoming answers whichever device asks; give no DEVICE');
  }
  await withDeviceKeys(context, async (transport, profile) => {
    const account = matrixAccountOf(profile);
    const { matrixTrust } = await import('../../transport/matrix/index.ts');
    const trust = matrixTrust(transport);
    if (list) {
      const devices = await trust.devices(userId ?? account.userId);
      output.result(devices, (all) => all.map(describe).join('\n') || 'no devices with keys');
      return;
    }
    const signal = AbortSignal.any([context.signal, AbortSignal.timeout(timeoutMs)]);
    const decide = async (prompt: SasPrompt): Promise<boolean> => {
      const who = `${prompt.peer.userId}${prompt.peer.deviceId ? ` ${prompt.peer.deviceId}` : ''}`;
      output.line(
        { type: 'sas', peer: prompt.peer, emoji: prompt.emoji, decimal: prompt.decimal ?? null },
        (p) =>
          [
            `Compare these emoji with what ${who} shows:`,
            `  ${p.emoji.map(([symbol]) => symbol).join('   ')}`,
            `  ${p.emoji.map(([, name]) => name).join(', ')}`,
          ].join('\n'),
      );
      return askYesNo('Do they match?', output.stdio);
    };
    if (incoming)
      output.info(`waiting for a verification request${userId ? ` from ${userId}` : ''}…`);
    else output.info(`asking ${userId ?? ''}${device ? ` device ${device}` : ''} to verify…`);
    const result = incoming
      ? await trust.accept(userId, decide, signal)
      : await trust.verify(userId ?? '', device, decide, signal);
    output.result(result, (d) => `verified: ${describe(d)}`);
  });
}
