import { writeFileSync } from 'node:fs';
import { resolvePaths } from '../../config/paths.ts';
import { buildAsciicast } from '../../stream/asciicast.ts';
import { exportStream as rebuild } from '../../stream/export.ts';
import { matchStreamId } from '../../stream/stream-id.ts';
import { StreamFiles } from '../../stream/local-files.ts';
import { listStreams } from '../../stream/registry.ts';
import { scanStreams } from '../../stream/stream-history.ts';
import { withProfileTransport } from '../connect.ts';
import type { CliContext } from '../context.ts';
import { stringOption } from '../option-values.ts';
import { whereOf } from './stream-attach-action.ts';
import { joinTarget } from './stream-share-action.ts';

/** `mx-agent stream export ID -o FILE [--in WHERE]`. */
export async function exportStream(
  id: string,
  values: Record<string, unknown>,
  context: CliContext,
): Promise<void> {
  const files = new StreamFiles(resolvePaths().data);
  const where = whereOf(id, files, stringOption(values, 'in'));
  const path = stringOption(values, 'output') ?? '';
  await withProfileTransport(context, async (transport) => {
    const target = await joinTarget(transport, where, context.signal);
    const ids = new Set(files.index().map((e) => e.stream));
    if (target.kind === 'workspace')
      for (const s of await listStreams(transport, target.workspace)) ids.add(s.stream);
    else
      for (const s of await scanStreams(transport, target, context.signal)) ids.add(s.start.stream);
    const stream = matchStreamId(id, [...ids]);
    const recording = await rebuild(transport, target, stream, context.signal);
    writeFileSync(path, buildAsciicast(recording.header, recording.events), { mode: 0o600 });
    context.output.result(
      {
        stream,
        file: path,
        bytes: recording.bytes,
        events: recording.events.length,
        ended: recording.end !== undefined,
      },
      (r) =>
        `wrote ${r.file}: ${String(r.events)} events, ${String(r.bytes)} bytes of output${r.ended ? '' : ' (the stream has not ended yet)'}`,
    );
  });
}
