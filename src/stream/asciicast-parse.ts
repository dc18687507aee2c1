/**
 * Reading asciicast v2 (https://docs.asciinema.org/manual/asciicast/v2/). Strict: a recording
 * that breaks the format is refused with its line number, what was expected and what came,
 * rather than played half-way. Header fields we do not use (duration, theme) are not checked.
 */
import { UsageError, quote } from '../errors.ts';
import type { Asciicast, AsciicastEvent, AsciicastHeader } from './asciicast.ts';

/** True for 1, 2, 3, …: the only valid terminal dimensions. */
export function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/** Parse a whole recording; throws UsageError naming the first line that is wrong. */
export function parseAsciicast(text: string): Asciicast {
  const lines = text.split('\n');
  // The last line ends with a newline, which leaves one empty string after the split.
  if (lines.length > 1 && lines.at(-1)?.trim() === '') lines.pop();
  const header = parseHeader(lines[0] ?? '');
  const events: AsciicastEvent[] = [];
  let previous = 0;
  lines.slice(1).forEach((line, index) => {
    const event = parseEvent(line, index + 2, previous);
    previous = event.timeMs;
    events.push(event);
  });
  return { header, events };
}

/** The terminal output of a recording as one string, without its timing. */
export function outputOf(cast: Asciicast): string {
  return cast.events.map((event) => (event.type === 'output' ? event.text : '')).join('');
}

function fail(lineNumber: number, expected: string, got: string): never {
  throw new UsageError(`asciicast line ${lineNumber}: expected ${expected}, got ${got}`);
}

function parseJson(line: string, lineNumber: number, expected: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return fail(lineNumber, expected, line.trim() === '' ? 'an empty line' : quote(line));
  }
}

/** A value written as in the file (a string in quotes), for an error message. */
function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return quote(value);
  // JSON.parse turns 1e999 into Infinity, which JSON.stringify would show as null.
  const json = typeof value === 'number' ? String(value) : JSON.stringify(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

function parseHeader(line: string): AsciicastHeader {
  const expected = 'a JSON header object like {"version": 2, "width": 80, "height": 24}';
  const raw = parseJson(line, 1, expected);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(1, expected, quote(line));
  const field = (name: string): unknown => Reflect.get(raw, name);
  if (field('version') !== 2) fail(1, 'version 2', shown(field('version')));
  const size = (name: string): number => {
    const value = field(name);
    if (!isPositiveInteger(value)) fail(1, `${name} as a whole number above 0`, shown(value));
    return value;
  };
  const optional = <T>(name: string, check: (value: unknown) => value is T, what: string) => {
    const value = field(name);
    if (value === undefined || check(value)) return value;
    return fail(1, `${name} as ${what}`, shown(value));
  };
  const timestamp = optional('timestamp', isTime, 'Unix seconds');
  const title = optional('title', isString, 'a string');
  const command = optional('command', isString, 'a string');
  const idleTimeLimit = optional('idle_time_limit', isPositive, 'seconds above 0');
  const env = parseEnv(field('env'));
  // Absent fields stay absent, so a header read back equals the one that was written.
  return {
    width: size('width'),
    height: size('height'),
    ...(timestamp !== undefined && { timestamp }),
    ...(title !== undefined && { title }),
    ...(command !== undefined && { command }),
    ...(idleTimeLimit !== undefined && { idleTimeLimit }),
    ...(env !== undefined && { env }),
  };
}

/** Environment values are strings; asciinema writes null for a variable that was not set. */
function parseEnv(env: unknown): Record<string, string> | undefined {
  if (env === undefined) return undefined;
  const expected = 'env as an object of strings';
  if (typeof env !== 'object' || env === null || Array.isArray(env)) fail(1, expected, shown(env));
  const strings: Record<string, string> = {};
  for (const name of Object.keys(env)) {
    const value: unknown = Reflect.get(env, name);
    if (typeof value === 'string') strings[name] = value;
    else if (value !== null) fail(1, expected, shown({ [name]: value }));
  }
  return strings;
}

function parseEvent(line: string, lineNumber: number, previousMs: number): AsciicastEvent {
  const expected = 'an event [time, code, data]';
  const raw = parseJson(line, lineNumber, expected);
  if (!Array.isArray(raw) || raw.length !== 3) return fail(lineNumber, expected, quote(line));
  const fields: readonly unknown[] = raw;
  const [time, code, data] = fields;
  if (!isTime(time)) fail(lineNumber, 'a time in seconds from 0 up', shown(time));
  const timeMs = time * 1000;
  if (timeMs < previousMs) {
    fail(lineNumber, `a time from ${previousMs / 1000} on (the previous event's)`, shown(time));
  }
  if (typeof code !== 'string' || code === '') {
    fail(lineNumber, 'an event code such as "o", "i", "m" or "r"', shown(code));
  }
  if (typeof data !== 'string') fail(lineNumber, 'the event data as a string', shown(data));
  switch (code) {
    case 'o':
      return { type: 'output', timeMs, text: data };
    case 'i':
      return { type: 'input', timeMs, text: data };
    case 'm':
      return { type: 'marker', timeMs, label: data };
    case 'r':
      return { type: 'resize', timeMs, ...parseSize(data, lineNumber) };
    default:
      return { type: 'unknown', timeMs, code, data };
  }
}

function parseSize(data: string, lineNumber: number): { cols: number; rows: number } {
  const match = /^(\d+)x(\d+)$/.exec(data);
  const cols = Number(match?.[1]);
  const rows = Number(match?.[2]);
  if (!isPositiveInteger(cols) || !isPositiveInteger(rows)) {
    fail(lineNumber, 'a size "COLSxROWS" such as "80x24"', quote(data));
  }
  return { cols, rows };
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function isPositive(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}
