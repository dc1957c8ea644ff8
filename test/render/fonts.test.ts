/**
 * Deterministic fonts. Each line of text in the composition is measured by the page itself (a script
 * sets a bar's width to the text's laid-out width) and the bar is read back by its pixels; the
 * reference widths come from a plain browser page that loads each bundled face straight from its
 * `@fontsource` WOFF2 file with @font-face. So a line drawn in another face (the machine's DejaVu or
 * Liberation, a fallback) shows up as a wrong width.
 */
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundledShell } from '../helpers/bundled-shell.js';
import puppeteer from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render, RenderError } from '../../src/render.js';
import { decodeFrames, makeProject, pixel, type DecodedVideo } from '../helpers/render-pixels.js';

const NODE_MODULES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../node_modules');
const TEXT = 'Hamburgefonstiv 0123';
/** font-family as written → the bundled face it must be drawn in, and its weight. */
const LINES: Array<{ css: string; face: string; weight: number; file: string }> = [
  { css: 'sans-serif', face: 'Inter', weight: 400, file: 'inter/files/inter-latin-400-normal.woff2' },
  { css: 'serif', face: 'Inter', weight: 400, file: 'inter/files/inter-latin-400-normal.woff2' },
  { css: 'system-ui', face: 'Inter', weight: 400, file: 'inter/files/inter-latin-400-normal.woff2' },
  { css: 'Arial', face: 'Inter', weight: 400, file: 'inter/files/inter-latin-400-normal.woff2' },
  {
    css: '"Courier New", monospace',
    face: 'JetBrains Mono',
    weight: 400,
    file: 'jetbrains-mono/files/jetbrains-mono-latin-400-normal.woff2',
  },
  { css: 'Georgia', face: 'EB Garamond', weight: 400, file: 'eb-garamond/files/eb-garamond-latin-400-normal.woff2' },
  { css: 'Roboto', face: 'Roboto', weight: 700, file: 'roboto/files/roboto-latin-700-normal.woff2' },
  { css: '"Fancy Unknown Sans", Montserrat', face: 'Montserrat', weight: 400, file: 'montserrat/files/montserrat-latin-400-normal.woff2' },
];
const ROW = 10;

/** The page: each line measured into a bar on its own row; no font-family on the last, unstyled one. */
function composition(lines: typeof LINES, head = ''): string {
  const rows = lines
    .map(
      (l, i) =>
        `<span class="t" style="font-family:${l.css.replace(/"/g, '&quot;')};font-weight:${l.weight}">${TEXT}</span><div class="bar" style="top:${i * ROW}px"></div>`,
    )
    .join('\n');
  return `<!doctype html><html><head>${head}<style>html,body{margin:0} #root{background:#000}
.t{position:absolute;left:0;top:200px;font-size:20px;white-space:nowrap;color:transparent}
.bar{position:absolute;left:0;height:${ROW - 2}px;background:#fff}</style></head><body>
<div id="root" data-composition-id="main" data-width="480" data-height="270" data-duration="0.2">${rows}</div>
<script>
  document.fonts.ready.then(() => {
    const texts = document.querySelectorAll('.t'), bars = document.querySelectorAll('.bar');
    texts.forEach((t, i) => { bars[i].style.width = t.getBoundingClientRect().width + 'px'; });
  });
</script></body></html>`;
}

/** Width of the bar on row `i` of frame `k`. */
function bar(video: DecodedVideo, k: number, i: number): number {
  let x = 0;
  while (x < 480 && pixel(video, k, x, i * ROW + 3)[0]! > 128) x++;
  return x;
}

let reference: number[];
let project: string;

beforeAll(async () => {
  // The reference: each face loaded from its own WOFF2, in a plain page of the same browser with the
  // render's own hinting flag (hinting changes advance widths).
  const browser = await puppeteer.launch({
    executablePath: await bundledShell(),
    headless: 'shell',
    args: ['--no-sandbox', '--disable-gpu', '--font-render-hinting=none'],
  });
  try {
    const page = await browser.newPage();
    const faces = LINES.map(
      (l, i) =>
        `@font-face{font-family:Ref${i};font-weight:${l.weight};src:url(data:font/woff2;base64,${readFileSync(path.join(NODE_MODULES, '@fontsource', l.file)).toString('base64')})}`,
    ).join('');
    await page.setContent(
      `<style>${faces} span{font-size:20px;white-space:nowrap}</style>${LINES.map((l, i) => `<span id="r${i}" style="font-family:Ref${i};font-weight:${l.weight}">${TEXT}</span><br>`).join('')}`,
    );
    // fonts.ready alone may resolve before layout asked for the faces: load each one explicitly.
    await page.evaluate(() => Promise.all(Array.from(document.fonts, (f) => f.load())));
    reference = await page.evaluate(
      (n) => Array.from({ length: n }, (_, i) => Math.round(document.getElementById(`r${i}`)!.getBoundingClientRect().width)),
      LINES.length,
    );
  } finally {
    await browser.close();
  }
  project = await makeProject({ 'index.html': composition(LINES) }, 'fs-fonts-');
}, 60_000);

afterAll(async () => {
  if (project) await rm(project, { recursive: true, force: true });
});

describe('deterministic fonts', () => {
  let video: DecodedVideo;
  let warnings: Awaited<ReturnType<typeof render>>['warnings'];

  beforeAll(async () => {
    const output = path.join(project, 'out.mp4');
    ({ warnings } = await render(project, { output, quality: 'high', workers: 2 }));
    video = await decodeFrames(output, { width: 480, height: 270 });
  }, 60_000);

  for (const [i, line] of LINES.entries()) {
    it(`font-family: ${line.css} is drawn in ${line.face} ${line.weight}`, () => {
      expect(Math.abs(bar(video, 0, i) - reference[i]!), `bar ${bar(video, 0, i)} px, reference ${reference[i]} px`).toBeLessThanOrEqual(1);
    });
  }

  it('from frame 0: no fallback face first', () => {
    for (let i = 0; i < LINES.length; i++) expect(bar(video, 0, i)).toBe(bar(video, 5, i));
  });

  it('a family nothing provides is a warning naming it and the face used instead; strict fails on it', async () => {
    expect(warnings).toEqual([
      expect.objectContaining({
        code: 'font_fallback',
        message: expect.stringMatching(
          /font family "Fancy Unknown Sans" is not bundled and no @font-face declares it: drawn in Montserrat instead/,
        ),
      }),
    ]);
    const error = await render(project, { output: path.join(project, 'strict.mp4'), strict: true }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RenderError);
    expect(error).toMatchObject({ code: 'strict', message: expect.stringMatching(/Fancy Unknown Sans/) });
  });

  it('a Google Fonts link of a bundled family renders offline, in that face, with no warning', async () => {
    const lines = [{ css: '"Open Sans"', face: 'Open Sans', weight: 700, file: 'open-sans/files/open-sans-latin-700-normal.woff2' }];
    const dir = await makeProject(
      {
        'index.html': composition(
          lines,
          '<link rel="preconnect" href="https://fonts.gstatic.com"><link href="https://fonts.googleapis.com/css2?family=Open+Sans:wght@400;700&display=swap" rel="stylesheet">',
        ),
      },
      'fs-fonts-google-',
    );
    try {
      const output = path.join(dir, 'out.mp4');
      const result = await render(dir, { output, workers: 1 });
      expect(result.warnings).toEqual([]);
      const frames = await decodeFrames(output, { width: 480, height: 270 });
      const browser = await puppeteer.launch({
        executablePath: await bundledShell(),
        headless: 'shell',
        args: ['--no-sandbox', '--disable-gpu', '--font-render-hinting=none'],
      });
      try {
        const page = await browser.newPage();
        await page.setContent(
          `<style>@font-face{font-family:Ref;font-weight:700;src:url(data:font/woff2;base64,${readFileSync(path.join(NODE_MODULES, '@fontsource', lines[0]!.file)).toString('base64')})} span{font:700 20px Ref;white-space:nowrap}</style><span id="r">${TEXT}</span>`,
        );
        await page.evaluate(() => Promise.all(Array.from(document.fonts, (f) => f.load())));
        const expected = await page.evaluate(() => Math.round(document.getElementById('r')!.getBoundingClientRect().width));
        expect(Math.abs(bar(frames, 0, 0) - expected)).toBeLessThanOrEqual(1);
      } finally {
        await browser.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
