/**
 * The web delivery (src/fonts/delivery.ts) draws what the fontconfig delivery draws, so a Mac or a
 * Windows machine, whose browser reads no fontconfig, renders the Linux pixels. Simulated on Linux: the
 * same composition rendered with `FRAMESMITH_FONT_DELIVERY=web` — framesmith's faces given as web fonts
 * only, the browser's fontconfig reduced to the machine's own fonts (as a Mac has its system's) — and
 * normally, compared row by row, pixel for pixel (PNG frames, no encoder noise). The last rows are set
 * by scripts once the page runs, reached by the in-page rewrite (web-runtime.ts): without it they differ.
 * Not compared: a run whose first fallback character picks a face that also covers characters an
 * earlier fallback face has (README "macOS and Windows", known differences); nor a Vietnamese page
 * (same place). The symbol line starts with ✓.
 */
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render } from '../../src/render.js';
import { decodeFrames, makeProject, type DecodedVideo } from '../helpers/render-pixels.js';

const ROW = 40;
const WIDTH = 640;
/** One line each: [name, inline style of the line (`x-…`: made by the page, see below), text]. */
const LINES: Array<[string, string, string]> = [
  ['a named bundled family', 'font-family:Montserrat', 'Hamburgefonstiv 0123'],
  ['a named bundled family, bold', 'font-family:Montserrat;font-weight:700', 'Hamburgefonstiv 0123'],
  ['a generic family after a missing one', 'font-family:"Nope Sans", sans-serif', 'Hamburgefonstiv 0123'],
  ['monospace in the font shorthand', 'font:22px/40px "Nope Mono", monospace', 'Hamburgefonstiv 0123'],
  // Named nowhere else: Debian's face for it (Liberation Serif), not the machine's font of that name.
  ['a system name only in the font shorthand (Times)', 'font:22px/40px Times, sans-serif', 'Hamburgefonstiv 0123'],
  ["serif, Chromium's standard font", 'font-family:"Nope Serif", serif', 'Hamburgefonstiv 0123'],
  ['a system name aliased (Arial)', 'font-family:Arial', 'Hamburgefonstiv 0123'],
  ["Tailwind's default stack through var()", 'font-family:var(--font-sans)', 'Hamburgefonstiv 0123'],
  ['system-ui after a name the Mac has', 'font-family:-apple-system, BlinkMacSystemFont, system-ui', 'Hamburgefonstiv 0123'],
  ['text with no font-family', '', 'Hamburgefonstiv 0123'],
  ['a CJK line', 'font-family:Montserrat', 'こんにちは世界、日本語。简体中文'],
  // Linux falls back with no weight asked: the variable CJK face's regular instance, emboldened.
  ['a bold CJK line', 'font-family:Montserrat;font-weight:700', '한국어 제목입니다 日本語'],
  ['a symbol line', 'font-family:"Nope Sans", sans-serif', '✓ ★ ♪ ▸ ≠ ∑ √ ─│┌┐ ← ⇒ →'],
  ['emoji', 'font-family:Montserrat', 'ok 😀🚀🎉'],
  // Set by the script below once the page runs (web-runtime.ts).
  ['a stack a script sets', 'x-stack', 'Hamburgefonstiv 0123'],
  ['a stylesheet a script adds', 'x-class', 'Hamburgefonstiv 0123'],
  ['a stylesheet the page links', 'x-linked', 'Hamburgefonstiv 0123'],
  ['canvas text', 'x-canvas', ''],
  ['a width a script measures as the page loads', 'x-measure', ''],
];
/** Last: a family nothing provides, which this machine has: the web delivery leaves it to the machine. */
const MACHINE_LINE: [string, string, string] = ['a machine family', 'font-family:"DejaVu Sans Condensed", serif', 'Hamburgefonstiv'];
const ALL = [...LINES, MACHINE_LINE];
const HEIGHT = ALL.length * ROW;

const composition = `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="stylesheet" href="style.css"><style>
:root{--font-sans: ui-sans-serif, system-ui, sans-serif, "Apple Color Emoji", "Segoe UI Emoji", "Segoe UI Symbol", "Noto Color Emoji"}
html,body{margin:0} #root{position:relative;background:#fff;overflow:hidden}
.l{position:absolute;left:4px;height:${ROW}px;width:${WIDTH - 8}px;font-size:22px;line-height:${ROW}px;color:#000;white-space:nowrap;overflow:hidden}
</style></head><body>
<div id="root" data-composition-id="main" data-width="${WIDTH}" data-height="${HEIGHT}" data-fps="10" data-duration="0.1">
${ALL.map(([, style, text], i) =>
  style === 'x-canvas'
    ? `<canvas class="l" style="top:${i * ROW}px" width="${WIDTH - 8}" height="${ROW}"></canvas>`
    : style === 'x-measure'
      ? `<div class="l" style="top:${i * ROW}px"><span id="measured" style="font-family:Montserrat;color:transparent">Hamburgefonstiv 0123</span><i id="bar" style="position:absolute;left:0;top:10px;height:20px;background:#000"></i></div>`
      : `<div class="l${style === 'x-class' ? ' rt' : style === 'x-linked' ? ' linked' : ''}" style='top:${i * ROW}px;${style.startsWith('x-') ? '' : style}'${style === 'x-stack' ? ' data-stack' : ''}>${text}</div>`,
).join('\n')}
</div><script>
  for (const el of document.querySelectorAll('[data-stack]')) el.style.fontFamily = 'ui-sans-serif, system-ui, sans-serif';
  const sheet = document.createElement('style');
  sheet.textContent = '.rt { font-family: ui-monospace, Menlo, monospace }';
  document.head.appendChild(sheet);
  // Measured at once, before any web font would have loaded (web-runtime.ts loads the document's faces first).
  document.getElementById('bar').style.width = document.getElementById('measured').getBoundingClientRect().width + 'px';
  // Drawn at once, before any web font loaded (web-runtime.ts loads the faces it needs first).
  const ctx = document.querySelector('canvas').getContext('2d');
  ctx.font = '22px "Nope Canvas", serif';
  ctx.fillText('Hamburgefonstiv 0123', 0, 28);
</script></body></html>`;

/** Pixels of row `i` that differ (any channel) between the first frames of `a` and `b`; and the ink of `a`'s row (dark pixels). */
function compareRow(a: DecodedVideo, b: DecodedVideo, i: number): { differing: number; ink: number } {
  const fa = a.frames[0]!;
  const fb = b.frames[0]!;
  let differing = 0;
  let ink = 0;
  for (let y = i * ROW; y < (i + 1) * ROW; y++) {
    for (let x = 0; x < WIDTH; x++) {
      const at = (y * WIDTH + x) * a.channels;
      if (fa[at] !== fb[at] || fa[at + 1] !== fb[at + 1] || fa[at + 2] !== fb[at + 2]) differing++;
      if (fa[at]! < 128) ink++;
    }
  }
  return { differing, ink };
}

describe('web font delivery draws the fontconfig pixels', () => {
  const projects: string[] = [];
  const videos: Partial<Record<'fontconfig' | 'web', DecodedVideo>> = {};
  const warnings: Partial<Record<'fontconfig' | 'web', Awaited<ReturnType<typeof render>>['warnings']>> = {};

  beforeAll(async () => {
    const saved = process.env.FRAMESMITH_FONT_DELIVERY;
    try {
      for (const delivery of ['fontconfig', 'web'] as const) {
        process.env.FRAMESMITH_FONT_DELIVERY = delivery;
        const project = await makeProject(
          { 'index.html': composition, 'style.css': '.linked { font-family: "Nope Linked", Courier New, monospace }' },
          `fs-fonts-web-${delivery}-`,
        );
        projects.push(project);
        const output = path.join(project, 'out');
        const result = await render(project, { output, format: 'png', workers: 1 });
        warnings[delivery] = result.warnings;
        const first = (await readdir(output)).filter((f) => f.endsWith('.png')).sort()[0]!;
        videos[delivery] = await decodeFrames(path.join(output, first), { width: WIDTH, height: HEIGHT });
      }
    } finally {
      if (saved === undefined) delete process.env.FRAMESMITH_FONT_DELIVERY;
      else process.env.FRAMESMITH_FONT_DELIVERY = saved;
    }
  }, 180_000);

  afterAll(async () => {
    for (const project of projects) await rm(project, { recursive: true, force: true });
  });

  for (const [i, [name]] of LINES.entries()) {
    it(`${name}: the same pixels`, () => {
      const { differing, ink } = compareRow(videos.web!, videos.fontconfig!, i);
      expect(ink, 'the line draws something').toBeGreaterThan(100);
      expect(differing, `${differing} pixels differ`).toBe(0);
    });
  }

  it('no character is drawn as a box, in either delivery', () => {
    for (const delivery of ['fontconfig', 'web'] as const)
      expect(warnings[delivery]!.filter((w) => w.code === 'glyph_missing').map((w) => w.message)).toEqual([]);
  });

  it("a family nothing provides reaches the machine's fonts under web delivery, and the render says so", () => {
    // The documented limit (README, Fonts): DejaVu Sans Condensed is on this machine; under fontconfig
    // no name reaches the machine's fonts (Tinos draws it), under web delivery the system lookup finds it.
    expect(compareRow(videos.web!, videos.fontconfig!, LINES.length).differing).toBeGreaterThan(100);
    expect(warnings.web!.map((w) => w.message)).toContainEqual(
      expect.stringMatching(/^font family "DejaVu Sans Condensed" .*with web font delivery, a font of this machine of that name is drawn/),
    );
    expect(warnings.fontconfig!.map((w) => w.message)).not.toContainEqual(expect.stringMatching(/this machine/));
  });
});
