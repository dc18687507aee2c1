import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { UsageError } from '../../../src/errors.ts';
import {
  AsciicastWriter,
  buildAsciicast,
  outputOf,
  parseAsciicast,
  type AsciicastEvent,
  type AsciicastHeader,
} from '../../../src/stream/asciicast.ts';
import { tempDir } from '../../support/session.ts';

const { dir, cleanup } = tempDir('mx-asciicast-');
after(cleanup);

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const header: AsciicastHeader = {
  width: 80,
  height: 24,
  timestamp: 1_700_000_000,
  title: 'demo',
  env: { TERM: 'xterm-256color', SHELL: '/bin/bash' },
};

/** A writer that keeps its lines in memory. */
function memoryWriter(): { writer: AsciicastWriter; text: () => string; closed: () => boolean } {
  const lines: string[] = [];
  let closed = false;
  const writer = new AsciicastWriter(header, {
    write: (line) => lines.push(line),
    close: () => (closed = true),
  });
  return { writer, text: () => lines.map((line) => `${line}\n`).join(''), closed: () => closed };
}

describe('AsciicastWriter', () => {
  it('writes a private file whose output reads back as written', () => {
    const path = join(dir, 'session.cast');
    const writer = AsciicastWriter.toFile(path, header);
    const kanji = bytes('漢'); // 3 bytes
    const party = bytes('🎉'); // 4 bytes
    writer.output(0, bytes('\x1b[1;32m$\x1b[0m ls\r\n'));
    writer.output(12, kanji.subarray(0, 2));
    writer.output(15, kanji.subarray(2));
    writer.input(1500, bytes('q'));
    writer.output(1501, party.subarray(0, 1));
    writer.resize(2000, 100, 30);
    writer.output(2001, party.subarray(1));
    writer.close();

    assert.equal(statSync(path).mode & 0o777, 0o600);
    const text = readFileSync(path, 'utf8');
    assert.equal(
      text,
      '{"version":2,"width":80,"height":24,"timestamp":1700000000,"title":"demo",' +
        '"env":{"TERM":"xterm-256color","SHELL":"/bin/bash"}}\n' +
        '[0.000,"o","\\u001b[1;32m$\\u001b[0m ls\\r\\n"]\n' +
        '[0.015,"o","漢"]\n' +
        '[1.500,"i","q"]\n' +
        '[2.000,"r","100x30"]\n' +
        '[2.001,"o","🎉"]\n',
    );
    const cast = parseAsciicast(text);
    assert.deepEqual(cast.header, header);
    assert.equal(outputOf(cast), '\x1b[1;32m$\x1b[0m ls\r\n漢🎉');
  });

  it('refuses to overwrite an existing file unless told to, and then makes it private', () => {
    const path = join(dir, 'existing.cast');
    writeFileSync(path, 'old', { mode: 0o644 });
    assert.throws(() => AsciicastWriter.toFile(path, header), {
      name: 'UsageError',
      message: `expected a path where no file exists yet for the recording, got "${path}"`,
    });
    AsciicastWriter.toFile(path, header, { overwrite: true }).close();
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(readFileSync(path, 'utf8').split('\n').length, 2);
  });

  it('turns bytes that are not UTF-8 into U+FFFD, including a character cut off at the end', () => {
    const { writer, text, closed } = memoryWriter();
    writer.output(0, new Uint8Array([0x61, 0xff, 0x62, 0xc3, 0x28]));
    writer.output(5, new Uint8Array([0xe6, 0xbc])); // the start of 漢, never finished
    writer.close();
    assert.ok(closed());
    assert.equal(outputOf(parseAsciicast(text())), 'a\uFFFDb\uFFFD(\uFFFD');
  });

  it('keeps time from going backwards and writes whole milliseconds', () => {
    const { writer, text } = memoryWriter();
    writer.output(1000.4, bytes('a'));
    writer.output(900, bytes('b'));
    writer.marker(1234.5, 'chapter');
    writer.close();
    const events = text().split('\n').slice(1, -1);
    assert.deepEqual(events, ['[1.000,"o","a"]', '[1.000,"o","b"]', '[1.235,"m","chapter"]']);
  });

  it('refuses an event after close', () => {
    const { writer } = memoryWriter();
    writer.close();
    assert.throws(() => {
      writer.output(1, bytes('late'));
    }, /got a closed one/);
  });
});

describe('buildAsciicast', () => {
  it('builds the same text the writer writes, and parses back to the same events', () => {
    const events: AsciicastEvent[] = [
      { type: 'output', timeMs: 0, text: 'hello "quoted" \\ \u0007\n' },
      { type: 'input', timeMs: 250, text: '\r' },
      { type: 'resize', timeMs: 1000, cols: 132, rows: 43 },
      { type: 'marker', timeMs: 1000, label: '' },
      { type: 'unknown', timeMs: 1500, code: 'x', data: '0' },
    ];
    const text = buildAsciicast({ width: 80, height: 24 }, events);
    assert.equal(text.split('\n')[0], '{"version":2,"width":80,"height":24}');
    assert.deepEqual(parseAsciicast(text), { header: { width: 80, height: 24 }, events });
  });
});

describe('parseAsciicast', () => {
  const head = '{"version": 2, "width": 80, "height": 24}';
  const refused = (text: string, message: string): void => {
    assert.throws(
      () => parseAsciicast(text),
      (error: unknown) => {
        assert.ok(error instanceof UsageError);
        assert.equal(error.message, message);
        return true;
      },
    );
  };

  it('reads a recording made by asciinema, with or without a trailing newline', () => {
    const text = `{"version": 2, "width": 80, "height": 24, "idle_time_limit": 2, "env": {"SHELL": null}}
[0.248848, "o", "Hello"]
[1.5, "m", ""]
[4.05, "r", "90x30"]`;
    for (const variant of [text, `${text}\n`, text.replaceAll('\n', '\r\n')]) {
      const cast = parseAsciicast(variant);
      assert.deepEqual(cast.header, { width: 80, height: 24, idleTimeLimit: 2, env: {} });
      assert.equal(cast.events.length, 3);
      assert.equal(cast.events[0]?.timeMs, 248.848);
      assert.deepEqual(cast.events[2], { type: 'resize', timeMs: 4050, cols: 90, rows: 30 });
    }
  });

  it('names the line, what was expected and what came', () => {
    refused(
      '',
      'asciicast line 1: expected a JSON header object like {"version": 2, "width": 80, "height": 24}, got an empty line',
    );
    refused(
      '[2, 80, 24]',
      'asciicast line 1: expected a JSON header object like {"version": 2, "width": 80, "height": 24}, got "[2, 80, 24]"',
    );
    refused(
      '{"version": 1, "width": 80, "height": 24}',
      'asciicast line 1: expected version 2, got 1',
    );
    refused(
      '{"version": 2, "height": 24}',
      'asciicast line 1: expected width as a whole number above 0, got nothing',
    );
    refused(
      '{"version": 2, "width": 80, "height": 0}',
      'asciicast line 1: expected height as a whole number above 0, got 0',
    );
    refused(
      '{"version": 2, "width": 80.5, "height": 24}',
      'asciicast line 1: expected width as a whole number above 0, got 80.5',
    );
    refused(
      '{"version": 2, "width": 80, "height": 24, "env": {"TERM": 1}}',
      'asciicast line 1: expected env as an object of strings, got {"TERM":1}',
    );
    refused(
      `${head}\n[0, "o", "a"]\n[0.5, "o", "b"`,
      'asciicast line 3: expected an event [time, code, data], got "[0.5, \\"o\\", \\"b\\""',
    );
    refused(
      `${head}\n\n[0, "o", "a"]`,
      'asciicast line 2: expected an event [time, code, data], got an empty line',
    );
    refused(
      `${head}\n[0, "o"]`,
      'asciicast line 2: expected an event [time, code, data], got "[0, \\"o\\"]"',
    );
    refused(
      `${head}\n{"time": 0}`,
      'asciicast line 2: expected an event [time, code, data], got "{\\"time\\": 0}"',
    );
    refused(
      `${head}\n["0", "o", "a"]`,
      'asciicast line 2: expected a time in seconds from 0 up, got "0"',
    );
    refused(
      `${head}\n[-1, "o", "a"]`,
      'asciicast line 2: expected a time in seconds from 0 up, got -1',
    );
    refused(
      `${head}\n[1e999, "o", "a"]`,
      'asciicast line 2: expected a time in seconds from 0 up, got Infinity',
    );
    refused(
      `${head}\n[2, "o", "a"]\n[1.5, "o", "b"]`,
      "asciicast line 3: expected a time from 2 on (the previous event's), got 1.5",
    );
    refused(
      `${head}\n[0, "", "a"]`,
      'asciicast line 2: expected an event code such as "o", "i", "m" or "r", got ""',
    );
    refused(`${head}\n[0, "o", 5]`, 'asciicast line 2: expected the event data as a string, got 5');
    refused(
      `${head}\n[0, "r", "80-24"]`,
      'asciicast line 2: expected a size "COLSxROWS" such as "80x24", got "80-24"',
    );
    refused(
      `${head}\n[0, "r", "0x24"]`,
      'asciicast line 2: expected a size "COLSxROWS" such as "80x24", got "0x24"',
    );
  });

  it('keeps events with codes it does not know, which players skip', () => {
    const cast = parseAsciicast(`${head}\n[0, "o", "a"]\n[1, "x", "0"]\n`);
    assert.deepEqual(cast.events[1], { type: 'unknown', timeMs: 1000, code: 'x', data: '0' });
    assert.equal(outputOf(cast), 'a');
  });
});
