/**
 * No box drawn silently: the characters a loaded page draws, checked against the faces it has.
 *
 * The page reports its text: every text node (SVG text included, hidden ones too), the `content` of
 * its style rules (`::before`, `::after`), the values and placeholders of inputs, and what canvas
 * `fillText`/`strokeText` drew so far (recorded from before the page's own scripts, `CANVAS_RECORDER`), each with the element
 * and its computed font-family. A character that needs a glyph (fallback.ts `needsGlyph`) and no face
 * of the render covers (cmaps of the bundled families and fallback units installed) is then
 * - a fallback unit to install, when a subset of the chain covers it (text the static scan could not
 *   see: fetched, computed): the session sets the fonts up again (`missingUnits`);
 * - else drawn by the page in a canvas, in the element's font, next to U+0378 (unassigned, so drawn as
 *   .notdef by any face): the same pixels and advance mean a box, a `glyph_missing` warning naming the
 *   character, its code point, the element and the fix; otherwise a face the page declares or, when the
 *   element's font-family names no `@font-face` of the page, a font of this machine drew it
 *   (`font_fallback`: another machine may draw it otherwise, or not at all).
 *
 * The in-page functions are self-contained: puppeteer sends their source to the page.
 */
import type { Page } from 'puppeteer-core';
import { covers, type Ranges } from './cmap.js';
import { fallbackUnits, familiesCoverage, needsGlyph } from './fallback.js';
import type { RenderWarning } from '../warnings.js';
import { MACHINE_FACE } from './report.js';
import { fontDelivery } from './delivery.js';
import { webFontPlan } from './web-fonts.js';

/** Text the page holds, by element. */
export interface PageText {
  /** The characters above ASCII. */
  chars: string;
  /** A selector of the element (or `canvas fillText`). */
  where: string;
  /** Some text around the characters. */
  context: string;
  /** The computed font-family (or the canvas font). */
  font: string;
}

/** Source of the in-page recorder of canvas text, run before the page's own scripts. */
export const CANVAS_RECORDER = `;(${recordCanvasText.toString()})();`;

function recordCanvasText(): void {
  const w = window as unknown as { __framesmithCanvasText?: Array<{ text: string; font: string }>; __framesmithGlyphCheck?: boolean };
  const list: Array<{ text: string; font: string }> = [];
  w.__framesmithCanvasText = list;
  const seen = new Set<string>();
  const wrap = (proto: { fillText: unknown; strokeText: unknown } | undefined) => {
    if (!proto) return;
    for (const name of ['fillText', 'strokeText'] as const) {
      const original = proto[name] as (this: { font: string }, text: unknown, ...rest: unknown[]) => void;
      proto[name] = function (this: { font: string }, text: unknown, ...rest: unknown[]) {
        const value = String(text);
        // The glyph check's own drawing (drawnAsBox) is not the page's text.
        if (!w.__framesmithGlyphCheck && /[\u0080-\u{10FFFF}]/u.test(value) && list.length < 2000 && !seen.has(value + this.font)) {
          seen.add(value + this.font);
          list.push({ text: value, font: this.font });
        }
        return original.call(this, text, ...rest);
      };
    }
  };
  wrap(globalThis.CanvasRenderingContext2D?.prototype as never);
  wrap(
    (globalThis as unknown as { OffscreenCanvasRenderingContext2D?: { prototype: never } }).OffscreenCanvasRenderingContext2D?.prototype,
  );
}

/** In the page: its text (see the module comment), non-ASCII only. */
function collectText(): PageText[] {
  const out: PageText[] = [];
  const nonAscii = /[\u0080-\u{10FFFF}]/u;
  const selector = (el: Element | null): string => {
    const parts: string[] = [];
    for (let e = el; e && parts.length < 3 && e.tagName !== 'HTML'; e = e.parentElement) {
      const id = e.id ? `#${e.id}` : '';
      const cls =
        !id && typeof e.className === 'string' && e.className.trim() ? `.${e.className.trim().split(/\s+/).slice(0, 2).join('.')}` : '';
      parts.unshift(`${e.tagName.toLowerCase()}${id}${cls}`);
      if (id) break;
    }
    return parts.join(' > ') || 'the page';
  };
  // Each character once, where it first appears: the font is computed only for text bringing a new one.
  const seen = new Set<string>();
  const add = (text: string, el: Element | null, font: () => string, where?: string) => {
    if (!nonAscii.test(text)) return;
    const chars = [...new Set([...text].filter((c) => c.codePointAt(0)! > 0x7f && !seen.has(c)))];
    if (chars.length === 0) return;
    for (const c of chars) seen.add(c);
    out.push({ chars: chars.join(''), where: where ?? selector(el), context: text.trim().replace(/\s+/g, ' ').slice(0, 40), font: font() });
  };
  const walker = document.createTreeWalker(document.documentElement, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (parent && /^(SCRIPT|STYLE|NOSCRIPT|TEMPLATE|TITLE)$/.test(parent.tagName)) continue;
    add(node.nodeValue ?? '', parent, () => (parent ? getComputedStyle(parent).fontFamily : ''));
  }
  for (const el of Array.from(document.querySelectorAll('input, textarea'))) {
    const field = el as HTMLInputElement | HTMLTextAreaElement;
    add(`${field.value} ${field.placeholder}`, el, () => getComputedStyle(el).fontFamily);
  }
  // Generated content, from the style rules that set it (computing every element's pseudo-elements
  // costs a second on a large page): on the first element each rule matches.
  const rules = (list: CSSRuleList): CSSStyleRule[] =>
    Array.from(list).flatMap((r) => (r instanceof CSSStyleRule ? [r] : 'cssRules' in r ? rules((r as CSSGroupingRule).cssRules) : []));
  for (const sheet of Array.from(document.styleSheets)) {
    let list: CSSStyleRule[];
    try {
      list = rules(sheet.cssRules);
    } catch {
      continue; // another origin's sheet: not readable
    }
    for (const rule of list) {
      const content = rule.style.getPropertyValue('content');
      if (!content || !nonAscii.test(content)) continue;
      const pseudo = /::?(before|after|marker)\b/i.exec(rule.selectorText)?.[0] ?? null;
      let el: Element | null = null;
      try {
        el = document.querySelector(rule.selectorText.replace(/::?(before|after|marker)\b/gi, '') || '*');
      } catch {
        el = null;
      }
      add(
        content.replace(/^["']|["']$/g, ''),
        el,
        () => (el ? getComputedStyle(el, pseudo).fontFamily : ''),
        el ? undefined : rule.selectorText,
      );
    }
  }
  const canvas = (window as unknown as { __framesmithCanvasText?: Array<{ text: string; font: string }> }).__framesmithCanvasText ?? [];
  // The canvas font's family list: what follows its size.
  for (const c of canvas) add(c.text, null, () => c.font.replace(/^.*?\d(?:px|pt|em|rem|%)(?:\/\S+)?\s+/, ''), 'a canvas (fillText)');
  return out;
}

/** In the page: for each [code point, font-family], whether it is drawn as the .notdef box. */
function drawnAsBox(items: Array<[number, string]>): boolean[] {
  const canvas = document.createElement('canvas');
  canvas.width = 96;
  canvas.height = 96;
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  const draw = (text: string, family: string) => {
    ctx.clearRect(0, 0, 96, 96);
    ctx.font = `64px ${family || 'sans-serif'}`;
    ctx.fillStyle = '#000';
    ctx.fillText(text, 8, 72);
    return `${ctx.measureText(text).width}:${Array.from(ctx.getImageData(0, 0, 96, 96).data).join(',')}`;
  };
  const w = window as unknown as { __framesmithGlyphCheck?: boolean };
  w.__framesmithGlyphCheck = true;
  try {
    return items.map(([cp, family]) => draw(String.fromCodePoint(cp), family) === draw('\u0378', family));
  } finally {
    w.__framesmithGlyphCheck = false;
  }
}

/** In the page: the families its `@font-face` rules declare (lower case). */
function declaredFamilies(): string[] {
  return [...new Set(Array.from(document.fonts, (f) => f.family.replace(/^["']|["']$/g, '').toLowerCase()))];
}

/**
 * The families the page's own `@font-face` rules declare (lower case): under the web delivery
 * (delivery.ts), without those framesmith declares for its faces, which stand for the fontconfig file.
 */
async function pageDeclared(evaluate: Evaluate, fonts: readonly string[], dir: string): Promise<Set<string>> {
  const declared = new Set(await evaluate(declaredFamilies));
  if (fontDelivery() === 'web') for (const family of webFontPlan(fonts, undefined, dir).declared) declared.delete(family);
  return declared;
}

interface Candidate {
  cp: number;
  text: PageText;
}

/** The characters of `texts` that need a glyph and `covered` lacks, each once, with where it is first. */
function uncovered(texts: PageText[], covered: Ranges): Candidate[] {
  const found = new Map<number, Candidate>();
  for (const text of texts) {
    for (const ch of text.chars) {
      const cp = ch.codePointAt(0)!;
      if (!found.has(cp) && needsGlyph(cp) && !covers(covered, cp)) found.set(cp, { cp, text });
    }
  }
  return [...found.values()];
}

/** Runs a function in the page (`page.evaluate`, bounded as the caller bounds every wait on it). */
export type Evaluate = <T, A extends unknown[]>(fn: (...args: A) => T, ...args: A) => Promise<Awaited<T>>;

/** `page.evaluate` of `page`, each call passed through `bound` (the page's deadline guard). */
export function evaluateOn(page: Page, bound: <T>(work: Promise<T>) => Promise<T>): Evaluate {
  return (fn, ...args) => bound(page.evaluate(fn as never, ...(args as unknown[] as never[])) as never);
}

/** Fallback units (not in `fonts`) that would cover what the page draws. */
export async function missingUnits(evaluate: Evaluate, fonts: readonly string[], dir: string, lang?: string): Promise<string[]> {
  const texts = await evaluate(collectText);
  if (texts.length === 0) return [];
  // Text in a family the page declares itself is that face's: no restart for what it may cover.
  const declared = await pageDeclared(evaluate, fonts, dir);
  const missing = uncovered(
    texts.filter((t) => !familyNames(t.font).some((f) => declared.has(f))),
    familiesCoverage(fonts, dir),
  );
  if (missing.length === 0) return [];
  return fallbackUnits(
    missing.map((m) => m.cp),
    fonts,
    lang,
    dir,
  ).units.filter((u) => !fonts.includes(u));
}

/** The family names of a computed font-family list, unquoted, lower case. */
const familyNames = (list: string) =>
  list.split(',').map((f) =>
    f
      .trim()
      .replace(/^["']|["']$/g, '')
      .toLowerCase(),
  );

const hex = (cp: number) => `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;

/** The warnings for what the page draws that no bundled face covers (see the module comment). */
export async function glyphWarnings(evaluate: Evaluate, fonts: readonly string[], dir: string): Promise<RenderWarning[]> {
  const texts = await evaluate(collectText);
  if (texts.length === 0) return [];
  const missing = uncovered(texts, familiesCoverage(fonts, dir));
  if (missing.length === 0) return [];
  const boxes = await evaluate(
    drawnAsBox,
    missing.map((m): [number, string] => [m.cp, m.text.font]),
  );
  const declared = await pageDeclared(evaluate, fonts, dir);
  const warnings: RenderWarning[] = [];
  for (const [i, { cp, text }] of missing.entries()) {
    const what = `"${String.fromCodePoint(cp)}" (${hex(cp)}) in ${text.where} ("${text.context}")`;
    const families = familyNames(text.font);
    if (boxes[i]) {
      warnings.push({
        code: 'glyph_missing',
        element: text.where,
        message: `${what} is drawn as an empty box: no face framesmith has covers it (bundled, fallback or this machine's); add an @font-face with a font that covers it to the composition`,
      });
    } else if (!families.some((f) => declared.has(f))) {
      const family =
        text.font
          .split(',')[0]
          ?.trim()
          .replace(/^["']|["']$/g, '') || 'the default family';
      warnings.push({
        code: 'font_fallback',
        element: text.where,
        font: { family, face: MACHINE_FACE, source: 'machine', characters: String.fromCodePoint(cp) },
        message: `${what} is covered by no bundled face: drawn from a font of this machine, so another machine may draw it differently or as a box; add an @font-face with a font that covers it to the composition`,
      });
    }
  }
  return warnings;
}
