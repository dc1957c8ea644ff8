/**
 * The characters a composition may draw, known before the browser starts: every character of its
 * HTML (text, attributes, inline scripts and styles), of the stylesheets and scripts it loads and of
 * its variables' values, with escapes decoded — HTML character references (`&rarr;`, `&#x2192;`),
 * JavaScript escapes (`\u2192`, `\u{1F600}`, surrogate pairs) and CSS escapes (`\2192`).
 *
 * A superset (comments and identifiers count too): it only decides which fallback subsets are
 * installed. Text the page makes up otherwise (fetched data, `String.fromCharCode`) is found once the
 * page has loaded (glyph-check.ts).
 */
import { TextNode } from 'node-html-parser';

const ESCAPED = /&(?:#\d+|#x[\da-f]+|[a-z][a-z\d]*);|\\u[\da-f]{4}|\\u\{[\da-f]+\}|\\[\da-f]{1,6}/i;
const NON_ASCII = /[\u0080-\u{10FFFF}]/u;

/** Decodes the escapes of every kind named in the module comment (a JavaScript `\u` first, then CSS). */
export function decodeEscapes(text: string): string {
  const js = text
    .replace(/\\u\{([\da-f]{1,6})\}/gi, (whole, hex: string) => fromCodePoint(parseInt(hex, 16)) ?? whole)
    .replace(/\\u([\da-f]{4})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  const css = js.replace(/\\([\da-f]{1,6})\s?/gi, (whole, hex: string) => fromCodePoint(parseInt(hex, 16)) ?? whole);
  return new TextNode(css).text;
}

function fromCodePoint(cp: number): string | null {
  return cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) ? String.fromCodePoint(cp) : null;
}

/** The code points of `texts` above ASCII (see the module comment). */
export function nonAsciiCodePoints(texts: Iterable<string>): Set<number> {
  const out = new Set<number>();
  for (const raw of texts) {
    if (!NON_ASCII.test(raw) && !ESCAPED.test(raw)) continue;
    const text = ESCAPED.test(raw) ? `${raw}\n${decodeEscapes(raw)}` : raw;
    for (const ch of text) {
      const cp = ch.codePointAt(0)!;
      if (cp >= 0x80) out.add(cp);
    }
  }
  return out;
}
