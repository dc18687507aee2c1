/**
 * Whether a process still runs, for the locks that give a profile one session host and a
 * Matrix device one process. Linux details: a zombie has stopped running, and a pid can be
 * reused, so a holder is recognised by its start time too.
 */
import { readFileSync } from 'node:fs';

/**
 * True while a process with this pid runs (ours or, with EPERM, another user's). An exited host
 * whose parent has not reaped it yet (a zombie: detached hosts are reaped by whatever adopted
 * them, which may take a while) has stopped, so on Linux it counts as gone.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/** Fields of /proc/PID/stat after "pid (comm)"; comm may hold spaces and parentheses. */
function procStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

function isZombie(pid: number): boolean {
  return procStat(pid)?.[0] === 'Z';
}

/** Field 22 of proc(5) stat, starttime: fixed for the life of a process. */
export function processStart(pid: number): string | undefined {
  return procStat(pid)?.[19];
}
