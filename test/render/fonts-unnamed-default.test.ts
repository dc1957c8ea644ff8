/**
 * Inter, framesmith's first fallback face, answers to its name only when the composition's stylesheets
 * ask for it (issue 18, found by bench/parity.mjs on a Tailwind CDN composition): HyperFrames injects
 * Inter only for families its compiler reads in the page's CSS, so a stack a script makes at run time
 * (`--font-sans: Inter, ui-sans-serif, system-ui, …` compiled by the Tailwind CDN) draws the next family
 * there. Each line is measured by the page (a bar as wide as the laid-out text) and read back by pixels.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render } from '../../src/render.js';
import { decodeFrames, makeProject, pixel, type DecodedVideo } from '../helpers/render-pixels.js';

const ROW = 10;
/** The stacks a script sets at run time, one line each. */
const STACKS = ['Inter, ui-sans-serif, system-ui, sans-serif', 'system-ui, sans-serif'];

/** The composition; `named` adds a stylesheet rule naming Inter (for no element). */
function composition(named: boolean): string {
  const lines = STACKS.map(
    (stack, i) => `<span class="t" data-stack="${stack}">Hamburgefonstiv 0123</span><div class="bar" style="top:${i * ROW}px"></div>`,
  ).join('\n');
  return `<!doctype html><html><head><style>
html,body{margin:0} #root{background:#000}${named ? '\n.unused{font-family:Inter}' : ''}
.t{position:absolute;left:0;top:100px;font-size:20px;white-space:nowrap;color:transparent}
.bar{position:absolute;left:0;height:${ROW - 2}px;background:#fff}</style></head><body>
<div id="root" data-composition-id="main" data-width="320" data-height="180" data-duration="0.1">${lines}</div>
<script>
  for (const el of document.querySelectorAll('[data-stack]')) el.style.fontFamily = el.dataset.stack;
  document.fonts.ready.then(() => {
    const texts = document.querySelectorAll('.t'), bars = document.querySelectorAll('.bar');
    texts.forEach((t, i) => { bars[i].style.width = t.getBoundingClientRect().width + 'px'; });
  });
</script></body></html>`;
}

/** Width of the bar on row `i` of frame 0. */
function bar(video: DecodedVideo, i: number): number {
  let x = 0;
  while (x < 320 && pixel(video, 0, x, i * ROW + 3)[0]! > 128) x++;
  return x;
}

describe('Inter by name only when the stylesheets name it', () => {
  const projects: string[] = [];
  const videos: Record<'unnamed' | 'named', DecodedVideo | undefined> = { unnamed: undefined, named: undefined };

  beforeAll(async () => {
    for (const kind of ['unnamed', 'named'] as const) {
      const project = await makeProject({ 'index.html': composition(kind === 'named') }, 'fs-fonts-default-');
      projects.push(project);
      const output = path.join(project, 'out.mp4');
      const result = await render(project, { output, quality: 'high', workers: 1 });
      expect(result.warnings).toEqual([]);
      videos[kind] = await decodeFrames(output, { width: 320, height: 180 });
    }
  }, 120_000);

  afterAll(async () => {
    for (const project of projects) await rm(project, { recursive: true, force: true });
  });

  it('a run-time stack naming Inter that no stylesheet names draws the next family (system-ui)', () => {
    const video = videos.unnamed!;
    expect(bar(video, 1)).toBeGreaterThan(100);
    expect(Math.abs(bar(video, 0) - bar(video, 1)), `Inter stack ${bar(video, 0)} px, system-ui ${bar(video, 1)} px`).toBeLessThanOrEqual(
      1,
    );
  });

  it('once a stylesheet names Inter, the same stack draws Inter', () => {
    const video = videos.named!;
    // Inter is narrower than DejaVu Sans (system-ui) by far more than a pixel on this text.
    expect(bar(video, 1) - bar(video, 0), `Inter stack ${bar(video, 0)} px, system-ui ${bar(video, 1)} px`).toBeGreaterThan(5);
  });
});
