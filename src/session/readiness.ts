/**
 * How a host started in the background tells the command that started it how it went: one
 * JSON line (protocol.ts `Readiness`) on file descriptor 3, a pipe only for that, closed right
 * after. The host's stdout and stderr go to its log file from the start, so nothing it (or an
 * SDK) prints later can land on a closed pipe.
 */
import { closeSync, writeSync } from 'node:fs';
import { encodeLine, type Readiness } from './protocol.ts';

/** The descriptor the readiness line is written to. */
export const READINESS_FD = 3;

/** Write the readiness line and close the pipe; false when nobody gave us one to write to. */
export function writeReadiness(readiness: Readiness): boolean {
  try {
    writeSync(READINESS_FD, encodeLine(readiness));
    closeSync(READINESS_FD);
    return true;
  } catch {
    return false;
  }
}
