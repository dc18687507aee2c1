import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeEntities, htmlToText } from '../../../../src/agent/skills/html-text.ts';

describe('htmlToText', () => {
  it('keeps what a reader sees: title, paragraphs, list items, table cells', () => {
    const html = `<!DOCTYPE html><html><head><title>Rust &amp; Go</title>
      <style>p { color: red }</style><script>var secret = "do not show";</script></head>
      <body><!-- a comment --><nav><a href="/">Home</a></nav>
      <h1>Rust   &amp;   Go</h1><p>Both are <b>fast</b>,&nbsp;and&#160;safe&#x21;</p>
      <ul><li>one</li><li>two</li></ul>
      <table><tr><td>a</td><td>b</td></tr></table>
      <noscript>enable JS</noscript><p>&lt;script&gt;alert(1)&lt;/script&gt; is text here</p></body></html>`;
    assert.equal(
      htmlToText(html),
      'Rust & Go\n\nHome\n\nRust & Go\n\nBoth are fast, and safe!\n\n- one\n- two\n\n| a | b\n\n<script>alert(1)</script> is text here',
    );
  });

  it('drops an unclosed script to the end and decodes numeric references safely', () => {
    assert.equal(htmlToText('<p>ok</p><script>evil()'), 'ok');
    assert.equal(
      decodeEntities('&#128512; &#xD800; &#0; &bogus; AT&T &copy'),
      '😀 \ufffd \ufffd &bogus; AT&T ©',
    );
  });
});
