/**
 * `framesmith preview` in a real browser: the CLI process serves the player, a Chromium (puppeteer)
 * opens it, and the stage is compared pixel for pixel with the frames `render` writes as a PNG
 * sequence (lossless, so the comparison is exact).
 *
 * The composition (320x180, 1 s at 30 fps): an indexed clip at (0,0) 160x90 on screen on [0.2, 0.8)
 * (its frame k at composition frame 6 + k), and a box moving 200 px/s along the bottom (CSS).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { bundledShell } from '../helpers/bundled-shell.js';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render } from '../../src/render.js';
import { RenderError } from '../../src/render/errors.js';
import '../../src/preview/player-api.js';
import { makeIndexedVideo, readFrameIndexFromRaw } from '../helpers/frame-media.js';
import { type startCli, startPreviewCli, waitFor } from '../helpers/render-cli.js';
import { decodeFrames, leftEdge, makeProject, pixel, type DecodedVideo } from '../helpers/render-pixels.js';

const CLIP = { x: 0, y: 0, w: 160, h: 90 };

function html(box: string, duration = '1'): string {
  return `<!doctype html><html><head><style>html,body{margin:0}
#root{position:relative;width:320px;height:180px;overflow:hidden;background:#203040}
video{position:absolute;left:0;top:0;width:160px;height:90px}
.box{position:absolute;left:0;top:140px;width:20px;height:20px;background:${box};animation:move 1s linear forwards}
@keyframes move{to{left:200px}}</style></head><body>
<div id="root" data-composition-id="main" data-width="320" data-height="180" data-fps="30" data-duration="${duration}">
<video src="clip.mp4" muted data-start="0.2" data-duration="0.6"></video><div class="box"></div>
</div></body></html>`;
}

let project: string;
let scratch: string;
let rendered: DecodedVideo;
let preview: ReturnType<typeof startCli>;
let url: string;
let browser: Browser;
let page: Page;

/** The stage as drawn in the page, decoded to RGB. */
async function stagePixels(): Promise<DecodedVideo> {
  const stage = await page.$('[data-preview-stage] img');
  // Outside the project: a file written into it would reload the preview.
  const file = path.join(scratch, `stage-${Date.now()}.png`);
  await writeFile(file, await stage!.screenshot({ type: 'png' }));
  return decodeFrames(file, { width: 320, height: 180 });
}

/** Pixels of `a` (frame 0) that differ from frame `k` of `b` by more than 2 in any channel. */
function differing(a: DecodedVideo, b: DecodedVideo, k: number): number {
  const x = a.frames[0]!;
  const y = b.frames[k]!;
  let n = 0;
  for (let i = 0; i < x.length; i += 3)
    if (Math.abs(x[i]! - y[i]!) > 2 || Math.abs(x[i + 1]! - y[i + 1]!) > 2 || Math.abs(x[i + 2]! - y[i + 2]!) > 2) n++;
  return n;
}

beforeAll(async () => {
  project = await makeProject({ 'index.html': html('#ff0000') }, 'fs-preview-');
  scratch = await makeProject({}, 'fs-preview-shots-');
  await makeIndexedVideo(path.join(project, 'clip.mp4'), { width: 160, height: 90, fps: 30, frames: 40, codec: 'h264' });
  const frames = path.join(scratch, 'rendered');
  await render(project, { output: frames, format: 'png', workers: 1 });
  rendered = await decodeFrames(path.join(frames, 'frame-%06d.png'), { width: 320, height: 180 });
  ({ preview, url } = await startPreviewCli(project));
  browser = await puppeteer.launch({
    executablePath: await bundledShell(),
    headless: 'shell',
    args: ['--no-sandbox', '--force-color-profile=srgb'],
  });
  page = await browser.newPage();
  await page.setViewport({ width: 800, height: 500, deviceScaleFactor: 1 });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  if (preview && preview.child.exitCode === null) preview.child.kill('SIGKILL');
  for (const dir of [project, scratch]) if (dir) await rm(dir, { recursive: true, force: true });
});

describe('framesmith preview', () => {
  it('opened at ?t=0.5&scale=1, the stage is the frame the render writes at 0.5 s (clip frame 9, the box at 100 px)', async () => {
    await page.goto(`${url}?t=0.5&scale=1`);
    await page.evaluate(() => window.framesmithPreview.ready);
    expect(await page.evaluate(() => window.framesmithPreview.time)).toBeCloseTo(0.5, 6);
    expect(await page.evaluate(() => window.framesmithPreview.duration)).toBe(1);
    const stage = await stagePixels();
    expect(differing(stage, rendered, 15)).toBe(0);
    expect(readFrameIndexFromRaw(stage.frames[0]!, 320, 180, 'rgb24', CLIP)).toBe(9);
    expect(leftEdge(stage, 0, 150, [255, 0, 0])).toBe(100);
    // The player shows the composition's size, rate and length.
    expect(await page.$eval('#meta', (el) => el.textContent)).toContain('320×180 · 30 fps · 1.00 s');
  }, 60_000);

  it('seek() through the API draws the frame due, forwards and backwards; → steps one frame', async () => {
    for (const [t, k] of [
      [0.7, 21],
      [0.1, 3],
      [0.3, 9],
    ] as const) {
      await page.evaluate((s) => window.framesmithPreview.seek(s), t);
      expect(differing(await stagePixels(), rendered, k)).toBe(0);
    }
    // 0.1 s: before the clip's window, nothing of it drawn.
    await page.evaluate(() => window.framesmithPreview.seek(0.1));
    expect(pixel(await stagePixels(), 0, 80, 45)).toEqual(pixel(rendered, 3, 80, 45));
    await page.evaluate(() => window.framesmithPreview.seek(0.3));
    await page.keyboard.press('ArrowRight');
    await waitFor('the next frame', async () => (await page.evaluate(() => window.framesmithPreview.time)) > 0.32);
    expect(differing(await stagePixels(), rendered, 10)).toBe(0);
  }, 60_000);

  it('an edit to the HTML reaches the open page by itself, at the same time', async () => {
    await page.evaluate(() => window.framesmithPreview.seek(0.3));
    await page.evaluate(() => {
      (window as unknown as { marker: number }).marker = 42;
    });
    await writeFile(path.join(project, 'index.html'), html('#0000ff'));
    const blue = await waitFor('the blue box', async () => {
      const stage = await stagePixels();
      return leftEdge(stage, 0, 150, [0, 0, 255]) === 60 ? stage : null;
    });
    expect(readFrameIndexFromRaw(blue.frames[0]!, 320, 180, 'rgb24', CLIP)).toBe(3);
    expect(await page.evaluate(() => window.framesmithPreview.time)).toBeCloseTo(0.3, 6);
    // Not reloaded by hand (nor by the player): the page's own state is still there.
    expect(await page.evaluate(() => (window as unknown as { marker: number }).marker)).toBe(42);
  }, 60_000);

  it("a composition error is shown over the stage with the render's message, and clears once fixed", async () => {
    const broken = html('#0000ff', 'banana');
    const expected = await render(await copyProject(broken), { output: path.join(os.tmpdir(), 'never.mp4') }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(expected).toBeInstanceOf(RenderError);
    await writeFile(path.join(project, 'index.html'), broken);
    const shown = await waitFor('the error', async () =>
      page.$eval('#error', (el) => (el.classList.contains('shown') ? el.textContent : null)),
    );
    // The same words, about this project's file.
    expect(shown).toBe((expected as RenderError).message.replaceAll(path.dirname((expected as RenderError).fields.file!), project));
    await writeFile(path.join(project, 'index.html'), html('#00ff00'));
    await waitFor('the error to clear', async () => page.$eval('#error', (el) => !el.classList.contains('shown')));
    await waitFor('the green box', async () => leftEdge(await stagePixels(), 0, 150, [0, 255, 0]) === 60);
  }, 60_000);

  it('Ctrl-C stops the server cleanly (exit 0)', async () => {
    preview.child.kill('SIGINT');
    const run = await preview.done;
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/stopping/);
  }, 30_000);
});

/** A copy of the project with `index.html` replaced: the render's message for the same content. */
async function copyProject(indexHtml: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'fs-preview-copy-'));
  await writeFile(path.join(dir, 'index.html'), indexHtml);
  await writeFile(path.join(dir, 'clip.mp4'), await readFile(path.join(project, 'clip.mp4')));
  return dir;
}
