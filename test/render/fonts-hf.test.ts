/**
 * Families resolved as HyperFrames resolves them (issue 18), and the build steps a page declares in
 * `window.__hf.buildReady`. As in fonts.test.ts, each line of text is measured by the page itself (a
 * bar as wide as the laid-out text) and read back by its pixels; the reference widths come from a plain
 * page of the same browser that loads each face straight from its `@fontsource` WOFF2 file, the way
 * HyperFrames injects faces with @font-face (a weight a family lacks is then synthesized by the browser).
 */
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render } from '../../src/render.js';
import { bundledShell } from '../helpers/bundled-shell.js';
import { decodeFrames, makeProject, pixel, type DecodedVideo } from '../helpers/render-pixels.js';

const NODE_MODULES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../node_modules');
const TEXT = 'Hamburgefonstiv 0123';
const ROW = 10;
const TAILWIND = 'ui-sans-serif, system-ui, sans-serif, "Apple Color Emoji", "Segoe UI Emoji", "Segoe UI Symbol", "Noto Color Emoji"';

interface Line {
  name: string;
  /** The span's style. */
  style: string;
  /**
   * The face's file under node_modules/@fontsource (or under node_modules when it starts with `@`), the
   * weight it is declared with, and the weight asked.
   */
  file: string;
  faceWeight: number;
  weight: number;
  /** A font-family the page's script sets (CSS made at run time). */
  script?: string;
  /** The line's text, when not TEXT. */
  text?: string;
}

/**
 * Characters neither Cousine (cut to Liberation Mono 1.07), Inter nor the emoji face has (ticks, stars,
 * a double arrow, heavy box drawing, Arabic): on Debian, HyperFrames' reference machine, fontconfig
 * gives them to DejaVu Sans first.
 */
const FALLBACK_TEXT = '✓✗★☆⇒┏━┓مرحبا';

const LINES: Line[] = [
  {
    name: 'Bebas Neue is drawn as itself',
    style: 'font-family:&quot;Bebas Neue&quot;',
    file: 'bebas-neue/files/bebas-neue-latin-400-normal.woff2',
    faceWeight: 400,
    weight: 400,
  },
  {
    name: 'League Gothic',
    style: 'font-family:&quot;League Gothic&quot;',
    file: 'league-gothic/files/league-gothic-latin-400-normal.woff2',
    faceWeight: 400,
    weight: 400,
  },
  {
    name: 'a family named only through var()',
    style: 'font-family:var(--font-display)',
    file: 'space-grotesk/files/space-grotesk-latin-400-normal.woff2',
    faceWeight: 400,
    weight: 400,
  },
  {
    name: "Tailwind v4's default stack (through two variables) is Inter",
    style: `font-family:var(--default-font-family, ${TAILWIND.replace(/"/g, '&quot;')})`,
    file: 'inter/files/inter-latin-400-normal.woff2',
    faceWeight: 400,
    weight: 400,
  },
  {
    name: 'a weight the family lacks (Bebas Neue 700) is drawn from its 400 face',
    style: 'font-family:&quot;Bebas Neue&quot;',
    file: 'bebas-neue/files/bebas-neue-latin-400-normal.woff2',
    faceWeight: 400,
    weight: 700,
  },
  {
    name: 'the font shorthand through var()',
    style: 'font:700 20px var(--font-body)',
    file: 'figtree/files/figtree-latin-700-normal.woff2',
    faceWeight: 700,
    weight: 700,
  },
  {
    name: "a generic family after one nothing provides is the browser's (sans-serif: Liberation Sans, drawn as Arimo)",
    style: 'font-family:&quot;Nope Sans&quot;, sans-serif',
    file: '@expo-google-fonts/arimo/400Regular/Arimo_400Regular.ttf',
    faceWeight: 400,
    weight: 400,
  },
  {
    name: "text with no font-family is the browser's standard face (Liberation Serif, drawn as Tinos)",
    style: '',
    file: '@expo-google-fonts/tinos/400Regular/Tinos_400Regular.ttf',
    faceWeight: 400,
    weight: 400,
  },
  {
    name: 'the font shorthand is not rewritten: monospace is Liberation Mono (Cousine)',
    style: 'font:20px monospace',
    file: '@expo-google-fonts/cousine/400Regular/Cousine_400Regular.ttf',
    faceWeight: 400,
    weight: 400,
  },
  {
    name: 'a stack a script sets at run time (Tailwind CDN): ui-sans-serif matches nothing, system-ui is DejaVu Sans',
    style: '',
    script: 'ui-sans-serif, system-ui, sans-serif',
    file: 'dejavu-sans/files/dejavu-sans-latin-400-normal.woff2',
    faceWeight: 400,
    weight: 400,
  },
  {
    name: 'a newly bundled serif (Instrument Serif)',
    style: 'font-family:&quot;Instrument Serif&quot;, serif',
    file: 'instrument-serif/files/instrument-serif-latin-400-normal.woff2',
    faceWeight: 400,
    weight: 400,
  },
  {
    name: 'a character the stack lacks falls back to DejaVu Sans first, as on Debian (symbols, box drawing, Arabic)',
    style: 'font:20px monospace',
    text: FALLBACK_TEXT,
    file: 'dejavu-sans/files/dejavu-sans-latin-400-normal.woff2',
    faceWeight: 400,
    weight: 400,
  },
  {
    // Chromium's fallback on Linux asks fontconfig for the character and language only, never the
    // weight: bold falls back to the regular face, emboldened (the same advance).
    name: 'bold text falls back to DejaVu Sans regular, synthesized bold, as Chromium on Linux does',
    style: 'font:700 20px monospace',
    text: FALLBACK_TEXT,
    file: 'dejavu-sans/files/dejavu-sans-latin-400-normal.woff2',
    faceWeight: 400,
    weight: 700,
  },
  {
    name: "sans-serif draws Liberation 1.07's symbols itself (Arimo's whole file, not the @fontsource subsets)",
    style: 'font:20px sans-serif',
    text: '→≠≤∞♪┌─┐▲',
    file: '@expo-google-fonts/arimo/400Regular/Arimo_400Regular.ttf',
    faceWeight: 400,
    weight: 400,
  },
  {
    name: 'sans-serif at 600 is the bold face, as Liberation has no semibold',
    style: 'font:600 20px sans-serif',
    file: '@expo-google-fonts/arimo/700Bold/Arimo_700Bold.ttf',
    faceWeight: 700,
    weight: 600,
  },
  // HyperFrames reads system names in font-family declarations only (the shorthand, scripts and canvas
  // it never sees): a name it does not read is what Debian answers for it.
  {
    name: 'a system name only in the font shorthand is the face Debian draws for it (Arial: Liberation Sans, as Arimo)',
    style: 'font:20px Arial',
    file: '@expo-google-fonts/arimo/400Regular/Arimo_400Regular.ttf',
    faceWeight: 400,
    weight: 400,
  },
  {
    name: "a system name a font-family declaration names is HyperFrames' stand-in (Helvetica: Inter)",
    style: 'font-family:Helvetica',
    file: 'inter/files/inter-latin-400-normal.woff2',
    faceWeight: 400,
    weight: 400,
  },
  {
    name: 'DejaVu Sans only in the font shorthand is DejaVu Sans, as on Debian',
    style: 'font:20px &quot;DejaVu Sans&quot;',
    file: 'dejavu-sans/files/dejavu-sans-latin-400-normal.woff2',
    faceWeight: 400,
    weight: 400,
  },
  {
    name: 'a system name Debian does not answer (Verdana) matches nothing there: the next family (serif: Tinos)',
    style: 'font:20px Verdana, serif',
    file: '@expo-google-fonts/tinos/400Regular/Tinos_400Regular.ttf',
    faceWeight: 400,
    weight: 400,
  },
  // The page's own @font-face (a local() face this machine lacks, as users write for PingFang SC) is not
  // backed by the bundled face of that name: HyperFrames injects none, so the next family is drawn.
  {
    name: 'a bundled family the page declares itself, whose face fails to load, falls to the next family (sans-serif: Arimo)',
    style: 'font-family:&quot;Rethink Sans&quot;, sans-serif',
    file: '@expo-google-fonts/arimo/400Regular/Arimo_400Regular.ttf',
    faceWeight: 400,
    weight: 400,
  },
  {
    name: 'a system name HyperFrames aliases (SF Pro Display → Inter), declared by the page with local() faces Linux lacks, falls to the next family',
    style: 'font-family:&quot;SF Pro Display&quot;, sans-serif',
    file: '@expo-google-fonts/arimo/400Regular/Arimo_400Regular.ttf',
    faceWeight: 400,
    weight: 400,
  },
];

function composition(lines: Line[]): string {
  const rows = lines
    .map(
      (l, i) =>
        `<span class="t" style="font-weight:${l.weight};${l.style}"${l.script ? ` data-script-font="${l.script}"` : ''}>${l.text ?? TEXT}</span><div class="bar" style="top:${i * ROW}px"></div>`,
    )
    .join('\n');
  return `<!doctype html><html><head><style>
@font-face{font-family:"Rethink Sans";src:local("Rethink Sans Nowhere")}
@font-face{font-family:"SF Pro Display";src:local("SF Pro Display"),local("SFProDisplay-Bold")}
:root{--font-sans:${TAILWIND};--default-font-family:var(--font-sans);--font-display:"Space Grotesk", sans-serif}
.body-font{--font-body:Figtree, sans-serif}
html,body{margin:0} #root{background:#000}
.t{position:absolute;left:0;top:240px;font-size:20px;white-space:nowrap;color:transparent}
.bar{position:absolute;left:0;height:${ROW - 2}px;background:#fff}
.ink{position:absolute;left:0;font:32px/40px "Bebas Neue";white-space:nowrap;color:#fff}</style></head><body>
<div id="root" class="body-font" data-composition-id="main" data-width="480" data-height="320" data-duration="0.1">${rows}
<div class="ink" style="top:${INK_TOP[0]}px;font-weight:400">${TEXT}</div><div class="ink" style="top:${INK_TOP[1]}px;font-weight:700">${TEXT}</div></div>
<script>
  for (const el of document.querySelectorAll('[data-script-font]')) el.style.fontFamily = el.dataset.scriptFont;
  document.fonts.ready.then(() => {
    const texts = document.querySelectorAll('.t'), bars = document.querySelectorAll('.bar');
    texts.forEach((t, i) => { bars[i].style.width = t.getBoundingClientRect().width + 'px'; });
  });
</script></body></html>`;
}

/** The tops of the two visible Bebas Neue lines, regular then bold: 40 px bands below the bars. */
const INK_TOP = [216, 264];

/** How many bright pixels the 40 px band from `top` of frame `k` holds. */
function ink(video: DecodedVideo, k: number, top: number): number {
  let n = 0;
  for (let y = top; y < top + 40; y++) for (let x = 0; x < 480; x++) if (pixel(video, k, x, y)[0]! > 128) n++;
  return n;
}

/** Width of the bar on row `i` of frame `k`. */
function bar(video: DecodedVideo, k: number, i: number): number {
  let x = 0;
  while (x < 480 && pixel(video, k, x, i * ROW + 3)[0]! > 128) x++;
  return x;
}

/** Each line's width in a plain page where its face is declared with @font-face (HyperFrames' way). */
async function referenceWidths(lines: Line[]): Promise<number[]> {
  const browser = await puppeteer.launch({
    executablePath: await bundledShell(),
    headless: 'shell',
    args: ['--no-sandbox', '--disable-gpu', '--font-render-hinting=none'],
  });
  try {
    const page = await browser.newPage();
    const faces = lines
      .map(
        (l, i) =>
          `@font-face{font-family:Ref${i};font-weight:${l.faceWeight};src:url(data:font/woff2;base64,${readFileSync(path.join(NODE_MODULES, l.file.startsWith('@') ? '' : '@fontsource', l.file)).toString('base64')})}`,
      )
      .join('');
    await page.setContent(
      `<style>${faces} span{font-size:20px;white-space:nowrap}</style>${lines.map((l, i) => `<span id="r${i}" style="font-family:Ref${i};font-weight:${l.weight}">${l.text ?? TEXT}</span><br>`).join('')}`,
    );
    await page.evaluate(() => Promise.all(Array.from(document.fonts, (f) => f.load())));
    return await page.evaluate(
      (n) => Array.from({ length: n }, (_, i) => Math.round(document.getElementById(`r${i}`)!.getBoundingClientRect().width)),
      lines.length,
    );
  } finally {
    await browser.close();
  }
}

describe('families resolved as HyperFrames resolves them', () => {
  let project: string;
  let reference: number[];
  let video: DecodedVideo;
  let warnings: Awaited<ReturnType<typeof render>>['warnings'];

  beforeAll(async () => {
    reference = await referenceWidths(LINES);
    project = await makeProject({ 'index.html': composition(LINES) }, 'fs-fonts-hf-');
    const output = path.join(project, 'out.mp4');
    ({ warnings } = await render(project, { output, quality: 'high', workers: 1 }));
    video = await decodeFrames(output, { width: 480, height: 320 });
  }, 90_000);

  afterAll(async () => {
    if (project) await rm(project, { recursive: true, force: true });
  });

  for (const [i, line] of LINES.entries()) {
    it(line.name, () => {
      expect(Math.abs(bar(video, 0, i) - reference[i]!), `bar ${bar(video, 0, i)} px, reference ${reference[i]} px`).toBeLessThanOrEqual(1);
    });
  }

  it('the cases are told apart: Bebas Neue is not League Gothic, var() is not the default face', () => {
    // More than twice the 1 px tolerance apart: a line matching one reference cannot match the other.
    expect(Math.abs(reference[0]! - reference[1]!)).toBeGreaterThan(2);
    expect(Math.abs(reference[2]! - reference[3]!)).toBeGreaterThan(2);
    const arial = LINES.findIndex((l) => l.style === 'font:20px Arial');
    expect(Math.abs(reference[arial]! - reference[arial + 1]!), 'Arimo against Inter').toBeGreaterThan(2);
  });

  it('the bold of a family with no bold face is synthesized (more ink than the regular, same advance)', () => {
    expect(LINES.length * ROW).toBeLessThanOrEqual(INK_TOP[0]!);
    const regular = ink(video, 0, INK_TOP[0]!);
    const bold = ink(video, 0, INK_TOP[1]!);
    expect(regular).toBeGreaterThan(500);
    expect(bold, `bold ${bold} px of ink, regular ${regular}`).toBeGreaterThan(regular * 1.1);
  });

  it('the families nothing provides are warnings naming the face drawn instead', () => {
    expect(warnings).toEqual([
      expect.objectContaining({
        code: 'font_fallback',
        message: expect.stringMatching(
          /font family "Nope Sans" is not bundled and no @font-face declares it: drawn in Arimo \(Liberation Sans\) instead/,
        ),
      }),
      expect.objectContaining({
        code: 'font_fallback',
        message: expect.stringMatching(
          /font family "Verdana" is not bundled and no @font-face declares it: drawn in Tinos \(Liberation Serif\) instead/,
        ),
      }),
    ]);
  });
});

describe('window.__hf.buildReady', () => {
  let project: string;

  afterAll(async () => {
    if (project) await rm(project, { recursive: true, force: true });
  });

  it('frame 0 waits for every build step the page declares, steps added meanwhile too; a rejected one is a warning', async () => {
    // The overlay (red) goes after 300 ms of real time; the first step then declares a second one
    // that turns the box blue; a third rejects.
    project = await makeProject(
      {
        'index.html': `<!doctype html><html><head><style>html,body{margin:0}
#root{position:relative;width:160px;height:90px;background:#00c000}
#overlay{position:absolute;inset:0;background:#e00000} #box{position:absolute;left:0;top:0;width:40px;height:40px;background:#e0e000}</style></head><body>
<div id="root" data-composition-id="main" data-width="160" data-height="90" data-duration="0.1"><div id="box"></div><div id="overlay">preparing scene transition</div></div>
<script>
  window.__hf = window.__hf || {};
  window.__hf.buildReady = window.__hf.buildReady || {};
  const registry = window.__hf.buildReady;
  registry.shader = new Promise((resolve) => setTimeout(() => {
    document.getElementById('overlay').remove();
    registry.second = new Promise((done) => setTimeout(() => { document.getElementById('box').style.background = '#0000e0'; done(); }, 100));
    resolve();
  }, 300));
  registry.broken = Promise.reject(new Error('no WebGL here'));
  registry.broken.catch(() => {});
</script></body></html>`,
      },
      'fs-build-ready-',
    );
    const output = path.join(project, 'out.mp4');
    const result = await render(project, { output, workers: 1, quality: 'high' });
    const frames = await decodeFrames(output, { width: 160, height: 90 });
    const scene = pixel(frames, 0, 120, 60);
    expect(scene[1]!, `scene pixel ${scene}`).toBeGreaterThan(150);
    expect(scene[0]!).toBeLessThan(60);
    const box = pixel(frames, 0, 20, 20);
    expect(box[2]!, `box pixel ${box}`).toBeGreaterThan(150);
    expect(box[0]!).toBeLessThan(60);
    expect(result.warnings).toEqual([
      expect.objectContaining({
        code: 'page',
        message: expect.stringMatching(/window\.__hf\.buildReady\["broken"\] rejected \(no WebGL here\)/),
      }),
    ]);
  }, 60_000);
});
