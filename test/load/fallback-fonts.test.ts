/**
 * The fallback chain without a browser: coverage read from the real `@fontsource` files' cmaps, the
 * characters a document may draw, and the subsets chosen for them. (The pixels: test/render/fonts-coverage.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { covers, fontCoverage, subtract } from '../../src/fonts/cmap.js';
import { fallbackChain, fallbackUnits, needsGlyph } from '../../src/fonts/fallback.js';
import { fontDir } from '../../src/fonts/fontconfig.js';
import { nonAsciiCodePoints } from '../../src/fonts/text.js';

const require = createRequire(import.meta.url);
const file = (pkg: string, name: string) => path.join(path.dirname(require.resolve(`${pkg}/package.json`)), 'files', name);
const cps = (text: string) => [...text].map((c) => c.codePointAt(0)!);
// The test run's font directory (vitest.config.ts): coverage indexes are computed once.
const dir = fontDir();

describe('cmap coverage of a WOFF2 file', () => {
  it('is what the font maps, not its unicode-range', () => {
    const inter = fontCoverage(readFileSync(file('@fontsource/inter', 'inter-latin-400-normal.woff2')));
    expect(cps('Az09é€').every((cp) => covers(inter, cp))).toBe(true);
    // U+2192 is not in Inter's latin subset; U+E000 in no font.
    expect(covers(inter, 0x2192)).toBe(false);
    // Roboto's "symbols" subset declares U+25A0-27BF but holds no star.
    const roboto = fontCoverage(readFileSync(file('@fontsource/roboto', 'roboto-symbols-400-normal.woff2')));
    expect(covers(roboto, 0x2605)).toBe(false);
    const math = fontCoverage(readFileSync(file('@fontsource/noto-sans-math', 'noto-sans-math-latin-400-normal.woff2')));
    expect(cps('∑∫√≠─').every((cp) => covers(math, cp))).toBe(true);
  });
});

describe('ranges less ranges', () => {
  it('cuts holes, trims ends and drops what is wholly removed', () => {
    expect(
      subtract(
        [
          [10, 20],
          [30, 40],
          [50, 50],
        ],
        [
          [12, 13],
          [18, 32],
          [50, 60],
        ],
      ),
    ).toEqual([
      [10, 11],
      [14, 17],
      [33, 40],
    ]);
    expect(subtract([[1, 5]], [])).toEqual([[1, 5]]);
  });
});

describe('the characters a document may draw', () => {
  it('decodes HTML references, JavaScript and CSS escapes', () => {
    const found = nonAsciiCodePoints([
      '<p>&rarr; &#x2605; &hearts;</p>',
      "t = '\\u00e9\\uD83D\\uDE00 \\u{1F680}'",
      '.a::before{content:"\\2713 "}',
      'plain',
    ]);
    expect([...found].sort((a, b) => a - b)).toEqual([0xe9, 0x2192, 0x2605, 0x2665, 0x2713, 0x1f600, 0x1f680]);
  });

  it('needs a glyph for letters and symbols, not for joiners, spaces or variation selectors', () => {
    expect(cps('é→字😀').every(needsGlyph)).toBe(true);
    expect([0x200d, 0xfe0f, 0x00a0, 0x2028, 0x41].some(needsGlyph)).toBe(false);
  });
});

describe('the fallback subsets chosen', () => {
  it('none for text the installed families cover (Latin, Greek, Cyrillic, Vietnamese in Inter; emoji)', () => {
    expect(fallbackUnits(cps('Café — “quotes” Привет Γειά Tiếng Việt 😀'), ['Inter'], undefined, dir)).toEqual({
      units: [],
      uncovered: [],
    });
  });

  it('the first subset of the chain covering each other character; none for what nothing covers', () => {
    const { units, uncovered } = fallbackUnits(cps('مرحبا שלום สวัสดี ∑ ★ ひらがな\uE000'), ['Inter'], undefined, dir);
    // DejaVu Sans first (Arabic, Hebrew, ∑, ★: as Debian's fontconfig gives them), then the scripts it lacks.
    expect(units).toEqual(expect.arrayContaining(['fallback:dejavu-sans:latin', 'fallback:noto-sans-thai:thai']));
    expect(units.some((u) => /noto-sans-(arabic|hebrew|math|symbols)/.test(u))).toBe(false);
    expect(units.some((u) => u.startsWith('fallback:noto-sans-jp:'))).toBe(true);
    expect(units.some((u) => u.startsWith('fallback:noto-sans-sc:'))).toBe(false);
    expect(uncovered).toEqual([0xe000]);
  });

  it('puts the CJK family of the document language first', () => {
    const ids = (lang?: string) =>
      fallbackChain(lang)
        .map((e) => e.pkg.id)
        .filter((id) => /-(jp|kr|sc|tc)$/.test(id));
    expect(ids()).toEqual(['noto-sans-jp', 'noto-sans-kr', 'noto-sans-sc', 'noto-sans-tc']);
    expect(ids('zh-TW')[0]).toBe('noto-sans-tc');
    expect(ids('zh-Hans-CN')[0]).toBe('noto-sans-sc');
    expect(ids('ko')[0]).toBe('noto-sans-kr');
  });
});
