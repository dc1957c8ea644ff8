/**
 * No tofu: every character of every script and symbol set is drawn from some face, and a character no
 * face covers is a warning (an error under strict).
 *
 * The pixel test: each character is drawn alone in a cell of its own, all cells in one family (Inter,
 * which has none of these glyphs but Latin and Greek/Cyrillic, so the rest goes through the fallback
 * chain), next to reference cells holding U+0378 — an unassigned code point no font maps, so the browser
 * draws it as the .notdef glyph of the cell's font, exactly what a character without a face looks like.
 * A character is a box when its cell is the reference cell's image (within video noise); any real glyph
 * (a letter, a mark, an emoji) differs from it in many pixels. The PUA composition checks the other way:
 * U+E000, which no face of the render covers, must match the reference (so the comparison does detect a
 * box), and is named by a warning.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render, RenderError } from '../../src/render.js';
import { decodeFrames, makeProject, type DecodedVideo } from '../helpers/render-pixels.js';

const LINES: Record<string, string> = {
  japanese: 'こんにちは、世界。カタカナ日本語',
  chinese: '简体中文你好繁體國語',
  korean: '안녕하세요한국어',
  arabic: 'مرحبا بالعالم',
  hebrew: 'שלום עולם',
  hindi: 'नमस्ते दुनिया',
  bengali: 'নমস্কার',
  tamil: 'வணக்கம்',
  thai: 'สวัสดีชาวโลก',
  greek: 'Γειά σου κόσμε',
  cyrillic: 'Привет мир ёЖЩ',
  vietnamese: 'Tiếng Việt ơư đ',
  symbols: '→▸✓★♪≠←↑⇒•…',
  box: '─│┌┐└┘├┼',
  math: '∑∫√∞≤≥±×÷',
  emoji: '😀🚀❤️🎉',
};
const CELL = 40;
const COLS = 16;
const WIDTH = CELL * COLS;
const NOTDEF = '\u0378';

/** One cell per character (spaces and variation selectors dropped), then two reference cells. */
function cells(text: string): string[] {
  return [...[...text].filter((c) => c.trim() && c !== '\uFE0F'), NOTDEF, NOTDEF];
}

function composition(chars: string[], extra = ''): string {
  const rows = Math.ceil(chars.length / COLS);
  const spans = chars
    .map((c, i) => `<span class="c" style="left:${(i % COLS) * CELL}px;top:${Math.floor(i / COLS) * CELL}px">${c}</span>`)
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><style>html,body{margin:0}
#root{position:relative;background:#000;overflow:hidden;width:${WIDTH}px;height:${rows * CELL}px}
.c{position:absolute;width:${CELL}px;height:${CELL}px;font:28px/${CELL}px Inter;color:#fff;text-align:center;overflow:hidden}</style></head><body>
<div id="root" data-composition-id="main" data-width="${WIDTH}" data-height="${rows * CELL}" data-fps="10" data-duration="0.1">${extra}${spans}</div></body></html>`;
}

/** Number of pixels of cell `i` of frame 0 that differ (any channel by more than 64) from cell `j`. */
function cellDifference(video: DecodedVideo, i: number, j: number): number {
  const frame = video.frames[0]!;
  const origin = (k: number) => [(k % COLS) * CELL, Math.floor(k / COLS) * CELL] as const;
  const [ix, iy] = origin(i);
  const [jx, jy] = origin(j);
  let differing = 0;
  for (let y = 0; y < CELL; y++) {
    for (let x = 0; x < CELL; x++) {
      const a = ((iy + y) * video.width + ix + x) * video.channels;
      const b = ((jy + y) * video.width + jx + x) * video.channels;
      if (Math.max(Math.abs(frame[a]! - frame[b]!), Math.abs(frame[a + 1]! - frame[b + 1]!), Math.abs(frame[a + 2]! - frame[b + 2]!)) > 64)
        differing++;
    }
  }
  return differing;
}

const projects: string[] = [];
afterAll(async () => {
  for (const dir of projects) await rm(dir, { recursive: true, force: true });
});

describe('every script and symbol is drawn', () => {
  const all = Object.values(LINES).join('');
  const chars = cells(all);
  const reference = chars.length - 1;
  let video: DecodedVideo;
  let warnings: Awaited<ReturnType<typeof render>>['warnings'];

  beforeAll(async () => {
    const dir = await makeProject({ 'index.html': composition(chars) }, 'fs-coverage-');
    projects.push(dir);
    const output = path.join(dir, 'out.mp4');
    ({ warnings } = await render(dir, { output, quality: 'high', workers: 1 }));
    video = await decodeFrames(output, { width: WIDTH, height: Math.ceil(chars.length / COLS) * CELL });
  }, 120_000);

  it('the two reference cells (.notdef) are alike: the comparison is stable', () => {
    expect(cellDifference(video, reference - 1, reference)).toBe(0);
  });

  for (const [name, line] of Object.entries(LINES)) {
    it(`${name}: no character is the .notdef box`, () => {
      const boxes = cells(line)
        .slice(0, -2)
        .filter((c) => cellDifference(video, chars.indexOf(c), reference) < 12);
      expect(boxes.map((c) => `${c} U+${c.codePointAt(0)!.toString(16).toUpperCase()}`)).toEqual([]);
    });
  }

  it('no warning but the reference cells: every character from a bundled face, none from the machine', () => {
    expect(warnings).toEqual([
      expect.objectContaining({ code: 'glyph_missing', message: expect.stringMatching(/^"\u0378" \(U\+0378\) in div#root > span\.c/) }),
    ]);
  });
});

describe('text the page makes up while it loads', () => {
  it('is drawn too: the fonts are set up again with what the page shows (DOM and canvas)', async () => {
    // Code points as numbers: nothing in the files shows these characters before the page runs.
    const script = `<script>
      const ja = String.fromCodePoint(0x65e5, 0x672c), th = String.fromCodePoint(0x0e01);
      const cells = document.querySelectorAll('.c');
      cells[0].textContent = ja[0]; cells[1].textContent = ja[1];
      const canvas = document.createElement('canvas'); canvas.width = ${CELL}; canvas.height = ${CELL};
      canvas.style.cssText = 'position:absolute;left:${2 * CELL}px;top:0';
      const ctx = canvas.getContext('2d'); ctx.fillStyle = '#fff'; ctx.font = '28px Inter'; ctx.textAlign = 'center'; ctx.fillText(th, ${CELL / 2}, 30);
      document.getElementById('root').appendChild(canvas);
    </script>`;
    const dir = await makeProject(
      { 'index.html': composition(['x', 'x', ' ', '\u0378']).replace('</body>', `${script}</body>`) },
      'fs-coverage-runtime-',
    );
    projects.push(dir);
    const output = path.join(dir, 'out.mp4');
    const { warnings } = await render(dir, { output, workers: 1 });
    const video = await decodeFrames(output, { width: WIDTH, height: CELL });
    for (const i of [0, 1, 2]) expect(cellDifference(video, i, 3), `cell ${i}`).toBeGreaterThan(12);
    expect(warnings.filter((w) => !w.message.includes('U+0378'))).toEqual([]);
  });
});

describe('a character no bundled face covers', () => {
  let dir: string;
  beforeAll(async () => {
    const extra =
      '<style>.tag::after{content:"\\E001"}</style><p id="icon" style="position:absolute;top:0;left:200px;color:#fff">Icon \uE000 here</p><b class="tag"></b>';
    // U+F005 (a private-use glyph of Liberation Sans, a font Debian's Chromium brings) is in no bundled face nor the
    // chain's: drawn from the machine's fonts if one has it.
    dir = await makeProject({ 'index.html': composition(cells('A\uE000\uF005'), extra) }, 'fs-coverage-pua-');
    projects.push(dir);
  });

  it('is drawn as a box and named by a warning (character, code point, element, fix)', async () => {
    const output = path.join(dir, 'out.mp4');
    const { warnings, fonts } = await render(dir, { output, workers: 1 });
    const video = await decodeFrames(output, { width: WIDTH, height: CELL });
    expect(cellDifference(video, 1, 3)).toBeLessThan(12);
    expect(cellDifference(video, 0, 3)).toBeGreaterThan(12);
    expect(warnings).toContainEqual(
      expect.objectContaining({
        code: 'glyph_missing',
        element: 'p#icon',
        message: expect.stringMatching(
          /"\uE000" \(U\+E000\) in p#icon \("Icon \uE000 here"\) is drawn as an empty box: .*add an @font-face/,
        ),
      }),
    );
    // A machine's font is the last resort, and says so; else it is a box like U+E000.
    const machineOnly = warnings.filter((w) => w.message.includes('(U+F005)'));
    // The render's font list says so too (RenderResult.fonts, --json): the family and the characters.
    if (cellDifference(video, 2, 3) > 12) {
      expect(machineOnly).toEqual([
        expect.objectContaining({ code: 'font_fallback', message: expect.stringMatching(/drawn from a font of this machine/) }),
      ]);
      expect(fonts).toContainEqual({ family: 'Inter', face: "this machine's fonts", source: 'machine', characters: '\uF005' });
    } else {
      expect(machineOnly).toEqual([expect.objectContaining({ code: 'glyph_missing' })]);
      expect(fonts.filter((f) => f.source === 'machine')).toEqual([]);
    }
    // Generated content (::after), named by its element.
    expect(warnings).toContainEqual(
      expect.objectContaining({
        code: 'glyph_missing',
        message: expect.stringMatching(/^"\uE001" \(U\+E001\) in div#root > b\.tag .*empty box/),
      }),
    );
  });

  it('fails the render under strict, before anything is written', async () => {
    const output = path.join(dir, 'strict.mp4');
    const error = await render(dir, { output, strict: true, workers: 1 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RenderError);
    expect(error).toMatchObject({ code: 'strict', message: expect.stringMatching(/U\+E000.*empty box/) });
    await expect(import('node:fs/promises').then((fs) => fs.stat(output))).rejects.toThrow();
  });
});
