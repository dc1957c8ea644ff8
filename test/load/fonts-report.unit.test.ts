/**
 * What a load reports of its fonts (src/fonts/report.ts: RenderResult.fonts, `--json`): every family
 * the composition names → the face drawn and its source, and the faces of the fallback chain its text
 * needs; and how a Google Fonts css2 answer is read (src/fonts/google.ts). Google Fonts over HTTP, and
 * the machine-font entries, are checked by rendering (test/render/fonts-google.test.ts,
 * fonts-coverage.test.ts).
 */
import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { googleFamilyUrl, parseGoogleCss, rangeHoldsAny } from '../../src/fonts/google.js';
import { reportedFonts } from '../../src/fonts/report.js';
import { loadDocument } from '../../src/load/document.js';
import type { RenderWarning } from '../../src/warnings.js';
import { makeProject } from '../helpers/render-pixels.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const PAGE = `<!doctype html><html lang="ja"><head><style>
@font-face{font-family:"Own Face";src:url(own.woff2)}
:root{--display:"Bebas Neue", sans-serif}
h1{font-family:var(--display)}
p{font-family:"Nobody Sans", Montserrat, serif}
code{font-family:"Courier New", monospace}
i{font-family:"Own Face"}
b{font-family:system-ui}
</style></head><body><div data-composition-id="main" data-width="320" data-height="180" data-duration="1">
<h1>Title</h1><p>日本語のテキスト</p><code>x</code><i>y</i><b>z</b></div></body></html>`;

describe('the fonts a load reports', () => {
  it('every family → face and source, the fallback faces the text needs; the warning carries its decision', async () => {
    const dir = await makeProject({ 'index.html': PAGE }, 'fs-fonts-report-');
    dirs.push(dir);
    const warnings: RenderWarning[] = [];
    const loaded = await loadDocument(dir, { warn: (w) => warnings.push(w) });
    const report = loaded.fontReport!;
    for (const entry of [
      { family: 'Bebas Neue', face: 'Bebas Neue', source: 'bundled' },
      { family: 'sans-serif', face: 'Arimo (Liberation Sans)', source: 'bundled' },
      { family: 'Nobody Sans', face: 'Montserrat', source: 'fallback' },
      { family: 'Montserrat', face: 'Montserrat', source: 'bundled' },
      { family: 'serif', face: 'Tinos (Liberation Serif)', source: 'bundled' },
      { family: 'Courier New', face: 'JetBrains Mono', source: 'bundled' },
      { family: 'monospace', face: 'Cousine (Liberation Mono)', source: 'bundled' },
      { family: 'Own Face', face: 'Own Face', source: 'project' },
      // A generic first family gets Inter in front, as in HyperFrames.
      { family: 'Inter', face: 'Inter', source: 'bundled' },
      { family: 'system-ui', face: 'DejaVu Sans', source: 'bundled' },
      // The Japanese text, from the fallback chain.
      { family: 'Noto Sans JP', face: 'Noto Sans JP', source: 'fallback' },
    ])
      expect(report).toContainEqual(entry);
    expect(report.filter((e) => e.family === 'Nobody Sans')).toHaveLength(1);
    expect(warnings).toEqual([
      expect.objectContaining({ code: 'font_fallback', font: { family: 'Nobody Sans', face: 'Montserrat', source: 'fallback' } }),
    ]);
  });

  it('adds one machine entry per family from the warnings, with the characters the machine drew', () => {
    const machine = (family: string, characters: string): RenderWarning => ({
      code: 'font_fallback',
      message: `${characters} from the machine`,
      font: { family, face: "this machine's fonts", source: 'machine', characters },
    });
    const loaded = [{ family: 'Inter', face: 'Inter', source: 'bundled' as const }];
    const fonts = reportedFonts(loaded, [
      machine('Inter', '\u02D8'),
      machine('Inter', '\u02D9'),
      { code: 'glyph_missing', message: 'box' },
      machine('Lora', '\u02D8'),
    ]);
    expect(fonts).toEqual([
      { family: 'Inter', face: 'Inter', source: 'bundled' },
      { family: 'Inter', face: "this machine's fonts", source: 'machine', characters: '\u02D8\u02D9' },
      { family: 'Lora', face: "this machine's fonts", source: 'machine', characters: '\u02D8' },
    ]);
    expect(loaded).toHaveLength(1);
    // Fallback units installed once the page had loaded (text it made up) are listed too, once per face.
    expect(reportedFonts(loaded, [], ['Inter', 'fallback:noto-sans-jp:japanese', 'fallback:noto-sans-jp:latin'])).toEqual([
      { family: 'Inter', face: 'Inter', source: 'bundled' },
      { family: 'Noto Sans JP', face: 'Noto Sans JP', source: 'fallback' },
    ]);
  });
});

describe('a Google Fonts css2 answer', () => {
  it('is asked for as HyperFrames asks: every upright weight, 400 and 700 italic', () => {
    expect(googleFamilyUrl('Rethink Sans', 'https://fonts.googleapis.com/css2')).toBe(
      'https://fonts.googleapis.com/css2?family=Rethink%20Sans:ital,wght@0,100;0,200;0,300;0,400;0,500;0,600;0,700;0,800;0,900;1,400;1,700',
    );
    expect(googleFamilyUrl('A', 'https://mirror.example/css2?key=1')).toMatch(/^https:\/\/mirror\.example\/css2\?key=1&family=A:/);
  });

  it('is read face by face (relative sources resolved, other families left out), and subsets picked by the text', () => {
    const css = `/* latin */ @font-face { font-family: 'My Family'; font-style: italic; font-weight: 700; src: url(/s/a.woff2) format('woff2'); unicode-range: U+0000-00FF; }
@font-face { font-family: "Other"; src: url(b.woff2); }
@font-face { font-family: My Family; src: url("https://cdn.example/c.ttf"); }`;
    expect(parseGoogleCss(css, 'my family', 'https://fonts.example/css2?family=x')).toEqual([
      { style: 'italic', weight: '700', url: 'https://fonts.example/s/a.woff2', format: 'woff2', unicodeRange: 'U+0000-00FF' },
      { style: 'normal', weight: '400', url: 'https://cdn.example/c.ttf' },
    ]);
    expect(rangeHoldsAny('U+0000-00FF, U+0131', new Set([0x41]))).toBe(true);
    expect(rangeHoldsAny('U+0400-045F, U+0490-0491', new Set([0x41, 0x4e00]))).toBe(false);
    expect(rangeHoldsAny('U+4??', new Set([0x4ab]))).toBe(true);
    expect(rangeHoldsAny('U+4??', new Set([0x5ab]))).toBe(false);
  });
});
