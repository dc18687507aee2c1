/**
 * How `listen` prints events: one line each, for a person, or the event itself as one JSON
 * object per line with --json. Connection changes and dropped input go to stderr.
 */
import type { TransportEvent } from '../../transport/transport.ts';
import type { Output } from '../output.ts';

/** Print one transport event. */
export function printEvent(output: Output, event: TransportEvent): void {
  switch (event.type) {
    case 'text':
    case 'payload':
    case 'presence':
    case 'reaction':
    case 'confirmation':
      output.line(event, (e) => formatEvent(e, (s, t) => output.style(s, t)));
      return;
    case 'connection':
      if (event.state === 'reconnecting')
        output.warn(
          `connection lost; reconnecting in ${String(event.retryInMs ?? 0)} ms${event.error ? ` (${event.error.message})` : ''}`,
        );
      else output.debug(`connection ${event.state}`);
      return;
    case 'rejected':
      output.warn(
        `dropped malformed input${event.from === undefined ? '' : ` from ${event.from}`}: ${event.reason}`,
      );
      return;
  }
}

type Styler = (style: 'bold' | 'dim', text: string) => string;

/**
 * `[12:00:01] alice@example.org/laptop: hello`, `[12:00:02] [room@conference.example.org] bob: hi`,
 * `[12:00:03] payload test.echo v1 from alice@example.org/laptop: {"n":1}`, reactions
 * (`bob reacted 👍 to ID`), answers to confirmations, and corrections marked `(edited)`.
 */
export function formatEvent(
  event: Extract<
    TransportEvent,
    { type: 'text' | 'payload' | 'presence' | 'reaction' | 'confirmation' }
  >,
  style: Styler = (_s, text) => text,
): string {
  if (event.type === 'presence') {
    const where = event.workspace === undefined ? '' : `[${event.workspace}] `;
    const who = memberName(event.from, event.workspace);
    const status = event.status === undefined ? '' : ` (${event.status})`;
    return style('dim', `${clock(Date.now())} ${where}${who} is ${event.availability}${status}`);
  }
  const workspace = event.target.kind === 'workspace' ? event.target.workspace : undefined;
  const where = workspace === undefined ? '' : `[${workspace}] `;
  const who = style('bold', memberName(event.from, workspace));
  if (event.type === 'reaction')
    return `${style('dim', clock(event.timestamp))} ${where}${who} reacted ${event.emojis.join(' ') || '(none)'} to ${event.reactsTo}`;
  if (event.type === 'confirmation')
    return `${style('dim', clock(Date.now()))} ${where}${who} ${event.decision === 'approve' ? 'approved' : 'denied'} confirmation ${event.confirm}`;
  const late = event.delayed ? ' (delayed)' : '';
  const line =
    event.type === 'text'
      ? `${where}${who}${late}${event.replaces === undefined ? '' : ' (edited)'}: ${event.text}`
      : `${where}payload ${event.payload.kind} v${String(event.payload.version)} from ${who}${late}: ${JSON.stringify(event.payload.body)}`;
  return `${style('dim', clock(event.timestamp))} ${line}`;
}

/** Local wall-clock time, `[HH:MM:SS]`. */
function clock(ms: number): string {
  const t = new Date(ms);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `[${two(t.getHours())}:${two(t.getMinutes())}:${two(t.getSeconds())}]`;
}

/** Inside a workspace the room is already shown: `room@conf/bob` reads as `bob`. */
function memberName(from: string, workspace: string | undefined): string {
  return workspace !== undefined && from.startsWith(`${workspace}/`)
    ? from.slice(workspace.length + 1)
    : from;
}
