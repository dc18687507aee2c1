/**
 * HTML to readable text for the model, without a DOM: what a reader sees, not the markup. Script,
 * style and other non-content elements go with their contents; block elements become line
 * breaks, list items "- " lines, links keep their text; tags go, entities are decoded (last, so
 * an escaped `&lt;script&gt;` stays text), and whitespace collapses as a browser would.
 */

/** Elements whose contents are never shown. */
const HIDDEN = ['script', 'style', 'noscript', 'template', 'head', 'svg', 'iframe', 'object'];
/** Elements that start a new line. */
const BLOCKS =
  'address|article|aside|blockquote|br|dd|div|dl|dt|fieldset|figcaption|figure|footer|form|' +
  'h[1-6]|header|hr|main|nav|ol|p|pre|section|table|tbody|thead|tfoot|tr|ul|title';

const NAMED: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  ndash: '–',
  mdash: '—',
  hellip: '…',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  laquo: '«',
  raquo: '»',
  bull: '•',
  middot: '·',
  copy: '©',
  reg: '®',
  trade: '™',
  euro: '€',
  pound: '£',
  yen: '¥',
  cent: '¢',
  deg: '°',
  times: '×',
  divide: '÷',
  shy: '',
  zwj: '\u200d',
  zwnj: '\u200c',
};

/** The readable text of an HTML document or fragment; the `<title>`, when any, first. */
export function htmlToText(html: string): string {
  const title = /<title\b[^>]*>([\s\S]*?)<\/title\s*>/i.exec(html)?.[1];
  let text = html.replace(/<!--[\s\S]*?(?:-->|$)/g, ' ');
  for (const tag of HIDDEN) {
    text = text.replace(new RegExp(`<${tag}\\b[^>]*>[\\s\\S]*?(?:</${tag}\\s*>|$)`, 'gi'), ' ');
  }
  text = text
    .replace(/<li\b[^>]*>/gi, '\n- ')
    .replace(/<(?:td|th)\b[^>]*>/gi, ' | ')
    .replace(new RegExp(`</?(?:${BLOCKS})\\b[^>]*>`, 'gi'), '\n')
    .replace(/<\/?[a-zA-Z][^>]*>/g, '')
    .replace(/<!doctype[^>]*>/gi, '');
  const body = collapse(decodeEntities(text));
  const heading =
    title === undefined ? '' : collapse(decodeEntities(title.replace(/<[^>]*>/g, '')));
  return heading === '' || body.startsWith(heading) ? body : `${heading}\n\n${body}`;
}

/** Decode named (common ones), decimal and hexadecimal character references. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+\d*);?/gi, (whole, ref: string) => {
    if (ref.startsWith('#')) {
      const code =
        ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : Number(ref.slice(1));
      const valid = code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff);
      return valid ? String.fromCodePoint(code) : '\ufffd';
    }
    return NAMED[ref.toLowerCase()] ?? whole;
  });
}

/** Runs of spaces become one, lines are trimmed, and at most one blank line separates blocks. */
function collapse(text: string): string {
  return text
    .replace(/[ \t\f\v\r\u00a0]+/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
