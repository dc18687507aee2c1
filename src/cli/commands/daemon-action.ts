import type { OptionValues } from 'commander';
import { resolvePaths } from '../../config/paths.ts';
import type { Profile } from '../../config/profile.ts';
import type { ProfileStore } from '../../config/profiles.ts';
import { ConfigError, RefusedError, UsageError, quote } from '../../errors.ts';
import { STOP_TIMEOUT_MS, hostStatus, stopHost } from '../../session/control.ts';
import { sessionFiles } from '../../session/files.ts';
import type { HostLog } from '../../session/log.ts';
import { runHostProcess } from '../../session/host-process.ts';
import { toWireError } from '../../session/protocol.ts';
import { writeReadiness } from '../../session/readiness.ts';
import type { HostStatus } from '../../session/status.ts';
import { agentPresence } from '../agent-presence.ts';
import { openProfileStore, openTransport } from '../connect.ts';
import type { CliContext } from '../context.ts';
import { flagOption } from '../option-values.ts';
import type { Output } from '../output.ts';

/** How long a host started in the background waits without commands before it exits. */
export const DEFAULT_IDLE_MS = 5 * 60_000;
/** After the host has stopped, how long a handle left open may keep the process alive. */
const EXIT_GRACE_MS = 3000;

/** One row of `daemon status`. */
export type StatusRow =
  | ({ readonly running: true } & HostStatus)
  | {
      readonly profile: string;
      readonly running: false;
    };

/** `daemon run`: be the profile's session host until stopped. */
export async function runDaemon(values: OptionValues, context: CliContext): Promise<void> {
  const background = flagOption(values, 'background');
  // SIGTERM and Ctrl-C are how a host normally ends: exit 0.
  context.endsOnInterrupt();
  const { output } = context;
  let setup: { store: ProfileStore; profile: Profile; idleMs: number | undefined };
  try {
    const store = openProfileStore();
    const profile = store.get(context.profile);
    const idleMs = background ? idleTimeout(process.env.MX_AGENT_HOST_IDLE_MS) : undefined;
    setup = { store, profile, idleMs };
  } catch (error) {
    // The command that started us waits for one line saying why.
    if (background) writeReadiness({ ready: false, error: toWireError(error) });
    throw error;
  }
  const { store, profile } = setup;
  try {
    const ended = await runHostProcess({
      files: sessionFiles(profile.name, resolvePaths()),
      network: profile.network,
      version: context.version,
      // The secret is read here, in the host, and nowhere else.
      open: (signal) =>
        openTransport(profile, store.readSecret(profile.name), { ...context, signal }),
      idleMs: setup.idleMs,
      signal: context.signal,
      log: hostLog(output),
      companion: agentPresence(profile, context.version, hostLog(output)),
      onReady: (readiness) => {
        if (background) writeReadiness(readiness);
        else if (readiness.ready)
          output.info(
            `session host of profile "${profile.name}" serving ${readiness.address} (pid ${String(readiness.pid)}); Ctrl-C stops it`,
          );
      },
    });
    if (ended.outcome === 'already-running' && !background)
      throw new RefusedError(
        `a session host already serves profile "${profile.name}" (pid ${String(ended.pid)}); \`mx-agent --profile ${profile.name} daemon stop\` stops it`,
      );
  } finally {
    // A transport that leaves a timer or socket behind must not keep a finished host alive.
    setTimeout(() => {
      output.warn('the session host stopped but something kept the process alive; exiting');
      process.exit();
    }, EXIT_GRACE_MS).unref();
  }
}

/** `daemon status`: every profile's host, or the --profile one. */
export async function daemonStatus(context: CliContext): Promise<void> {
  const store = openProfileStore();
  const profiles = context.profile === undefined ? store.list() : [store.get(context.profile)];
  const paths = resolvePaths();
  const rows = await Promise.all(
    profiles.map(async (profile): Promise<StatusRow> => {
      const status = await hostStatus(sessionFiles(profile.name, paths));
      return status ? { running: true, ...status } : { profile: profile.name, running: false };
    }),
  );
  context.output.result(rows, formatStatus);
}

/** `daemon stop [--all]`: stop hosts and wait until they have exited. */
export async function daemonStop(values: OptionValues, context: CliContext): Promise<void> {
  const all = flagOption(values, 'all');
  if (all && context.profile !== undefined)
    throw new UsageError('give either --profile or --all to `daemon stop`, not both');
  const store = openProfileStore();
  const profiles = all ? store.list() : [store.get(context.profile)];
  const paths = resolvePaths();
  const rows = await Promise.all(
    profiles.map(async (profile) => {
      const pid = await stopHost(sessionFiles(profile.name, paths), {
        timeoutMs: STOP_TIMEOUT_MS,
        signal: context.signal,
      });
      return { profile: profile.name, stopped: pid !== undefined, pid: pid ?? null };
    }),
  );
  context.output.result(rows, (list) =>
    list.length === 0
      ? 'no profiles, so no session hosts'
      : list
          .map((r) =>
            r.pid === null
              ? `no session host runs for profile "${r.profile}"`
              : `stopped the session host of profile "${r.profile}" (pid ${String(r.pid)})`,
          )
          .join('\n'),
  );
}

/** The idle timeout from MX_AGENT_HOST_IDLE_MS (milliseconds), else the default. */
export function idleTimeout(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_IDLE_MS;
  if (!/^[1-9]\d{0,9}$/.test(value))
    throw new ConfigError(
      `expected MX_AGENT_HOST_IDLE_MS to be a positive number of milliseconds, got ${quote(value)}`,
    );
  return Number(value);
}

/** `a  online  alice@example.org/laptop  pid 123, 2 commands, up 4 min` per profile. */
export function formatStatus(rows: readonly StatusRow[]): string {
  if (rows.length === 0)
    return 'no profiles yet; log in with `mx-agent login xmpp --jid alice@example.org`';
  const width = Math.max(...rows.map((r) => r.profile.length));
  return rows
    .map((r) => {
      const name = r.profile.padEnd(width);
      if (!r.running) return `${name}  not running`;
      const commands = `${String(r.clients)} command${r.clients === 1 ? '' : 's'}`;
      const idle = r.idleExitMs === null ? '' : `, exits after ${duration(r.idleExitMs)} idle`;
      return `${name}  ${r.state.padEnd(12)}  ${r.address || '-'}  pid ${String(r.pid)}, ${commands}, up ${duration(r.uptimeMs)}${idle}`;
    })
    .join('\n');
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${String(s)} s`;
  if (s < 3600) return `${String(Math.round(s / 60))} min`;
  return `${String(Math.round(s / 360) / 10)} h`;
}

/** Host log lines on stderr (a file, for a background host), time-stamped. */
/** Host log lines on stderr: time, level, message (debug only with -v). */
export function hostLog(output: Output): HostLog {
  return (level, message) => {
    if (level === 'debug' && output.options.verbose === 0) return;
    output.write('stderr', `${new Date().toISOString()} ${level} ${message}\n`);
  };
}
