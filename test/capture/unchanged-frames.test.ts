/**
 * Frames nothing changed are not captured again (beginframe mode): a worker reuses its previous image
 * when the compositor drew nothing since. Exactness is checked by bytes: the frames of a composition
 * that moves, then holds still with single-pixel changes in single frames (a DOM change, a canvas
 * draw), are the same PNGs whether every frame is captured or unchanged ones are reused — with one
 * worker, and with two workers taking frames in turn.
 *
 * How many frames are reused is asserted as a floor, not exactly: a frame drawn while a slow seek is
 * pumped, or a WebGL canvas's frame reaching the display one draw late, reports damage and costs a
 * capture more (never a change missed), and how often that happens depends on the machine's load.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type LaunchedBrowser } from '../../src/browser/launch.js';
import { runtimeConfigFor, runtimeScript } from '../../src/browser/runtime-config.js';
import { startProjectServer, type ProjectServer } from '../../src/browser/server.js';
import { captureFrames } from '../../src/capture/pool.js';
import { CaptureWorker } from '../../src/capture/worker.js';
import type { Composition } from '../../src/composition/model.js';
import { parseComposition } from '../../src/load/index.js';
import { makeProject, page } from '../helpers/render-pixels.js';

const FPS = 30;
/** 2 s: the box moves for 0.5 s (frames 0-15), then everything holds still but for these frames. */
const FRAMES = 60;
/** The one frame a 1x1 element is shown (a DOM change). */
const DOM_PIXEL_FRAME = 40;
/** The one frame a canvas has one white pixel (a draw, no DOM change). */
const CANVAS_PIXEL_FRAME = 47;

/** The page sets its state from the animation-frame time; the canvas is drawn only when its pixel changes. */
const SCRIPT = `
const dot = document.getElementById('dot');
const ctx = document.getElementById('cv').getContext('2d');
let lit = false;
function tick(ms) {
  const frame = Math.round(ms * ${FPS} / 1000);
  dot.style.display = frame === ${DOM_PIXEL_FRAME} ? 'block' : 'none';
  const want = frame === ${CANVAS_PIXEL_FRAME};
  if (want !== lit) {
    lit = want;
    ctx.clearRect(0, 0, 8, 8);
    if (want) { ctx.fillStyle = '#fff'; ctx.fillRect(3, 3, 1, 1); }
  }
  requestAnimationFrame(tick);
}
requestAnimationFrame(tick);
`;

let dir: string;
let composition: Composition;
let server: ProjectServer;
let browser: LaunchedBrowser;
let runtime: string;
/** Opened first: it also keeps the browser up while other tests close their pages (the shell exits with its last page). */
let single: CaptureWorker;

beforeAll(async () => {
  dir = await makeProject({
    'index.html': page({
      duration: FRAMES / FPS,
      body: '<div id="box"></div><div id="dot"></div><canvas id="cv" width="8" height="8"></canvas>',
      style: `#box { position: absolute; left: 0; top: 20px; width: 40px; height: 40px; background: #e33; animation: m 0.5s linear both; }
@keyframes m { to { transform: translateX(200px); } }
#dot { display: none; position: absolute; left: 300px; top: 170px; width: 1px; height: 1px; background: #fff; }
#cv { position: absolute; left: 100px; top: 150px; }`,
      script: SCRIPT,
    }),
  });
  composition = await parseComposition(dir);
  server = await startProjectServer(dir);
  browser = await launchBrowser();
  runtime = runtimeScript(runtimeConfigFor(composition, 1));
  single = (await openWorkers(1, true))[0]!;
}, 60_000);

afterAll(async () => {
  await single?.close();
  await browser?.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

async function openWorkers(count: number, reuseUnchanged: boolean): Promise<CaptureWorker[]> {
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      CaptureWorker.open(browser.browser, browser.captureMode, i, {
        url: server.urlFor(composition.entryFile),
        runtime,
        width: 320,
        height: 180,
        transparent: false,
        reuseUnchanged,
      }),
    ),
  );
}

/** Every frame of the composition through the capture pool, in order. */
async function captureAll(workers: CaptureWorker[]): Promise<Buffer[]> {
  const frames: Buffer[] = [];
  await captureFrames({
    workers,
    frameCount: FRAMES,
    fps: composition.fps,
    sink: async (frame) => {
      frames.push(frame);
    },
  });
  return frames;
}

describe('unchanged frames', () => {
  it('the headless shell captures in beginframe mode (what reuse needs)', () => {
    expect(browser.captureMode).toBe('beginframe');
  });

  it('frames are byte-identical to capturing every frame, single-pixel changes in a hold included, and holds reuse', async () => {
    const every = await openWorkers(1, false);
    const reusing = await openWorkers(1, true);
    const pair = await openWorkers(2, true);
    try {
      const reference = await captureAll(every);
      expect(every[0]!.frames).toEqual({ captured: FRAMES, reused: 0 });
      // The single-pixel frames differ from their neighbours (the test would prove nothing otherwise).
      for (const k of [DOM_PIXEL_FRAME, CANVAS_PIXEL_FRAME]) {
        expect(reference[k]!.equals(reference[k - 1]!)).toBe(false);
        expect(reference[k]!.equals(reference[k + 1]!)).toBe(false);
      }
      expect(reference[30]!.equals(reference[31]!)).toBe(true);

      for (const workers of [reusing, pair]) {
        const frames = await captureAll(workers);
        expect(frames).toHaveLength(FRAMES);
        for (let k = 0; k < FRAMES; k++) expect(frames[k]!.equals(reference[k]!), `frame ${k}`).toBe(true);
        const captured = workers.reduce((n, w) => n + w.frames.captured, 0);
        const reused = workers.reduce((n, w) => n + w.frames.reused, 0);
        expect(captured + reused).toBe(FRAMES);
        // Two workers each see every other frame: the hold's frames are reused all the same.
        expect(reused).toBeGreaterThanOrEqual(30);
      }
      // One worker: the 16 moving frames, the 2 single-pixel frames and the 2 after them at least; the
      // hold's other 40 reused (but for a few drawn again under load).
      expect(reusing[0]!.frames.captured).toBeGreaterThanOrEqual(20);
      expect(reusing[0]!.frames.reused).toBeGreaterThanOrEqual(FRAMES - 20 - 5);
    } finally {
      for (const w of [...every, ...reusing, ...pair]) await w.close();
    }
  });

  it('a frame that changed only after a reused frame is captured (seek back and forth on one page)', async () => {
    const a = await single.renderFrame(30, 30 / FPS);
    for (let k = 31; k < 36; k++) expect((await single.renderFrame(k, k / FPS)).equals(a)).toBe(true);
    expect(single.frames.reused).toBeGreaterThan(0);
    const lit = await single.renderFrame(DOM_PIXEL_FRAME, DOM_PIXEL_FRAME / FPS);
    expect(lit.equals(a)).toBe(false);
    const back = await single.renderFrame(36, 36 / FPS);
    expect(back.equals(a)).toBe(true);
    expect(back).not.toBe(lit);
  });

  it('a WebGL canvas drawn on one frame of a hold (SwiftShader, the GPU process): that frame is captured', async () => {
    const glDir = await makeProject({
      'index.html': page({
        duration: 1,
        body: '<canvas id="gl" width="16" height="16"></canvas>',
        style: '#gl { position: absolute; left: 10px; top: 10px; }',
        // Drawn only when the colour changes: green on frame 20, red otherwise.
        script: `const gl = document.getElementById('gl').getContext('webgl');
let shown = null;
(function tick(ms) {
  const green = Math.round(ms * ${FPS} / 1000) === 20;
  if (green !== shown) { shown = green; gl.clearColor(green ? 0 : 1, green ? 1 : 0, 0, 1); gl.clear(gl.COLOR_BUFFER_BIT); }
  requestAnimationFrame(tick);
})(0);`,
      }),
    });
    const glServer = await startProjectServer(glDir);
    const glBrowser = await launchBrowser({ webgl: true });
    try {
      const glComposition = await parseComposition(glDir);
      const glRuntime = runtimeScript(runtimeConfigFor(glComposition, 1));
      const open = (reuseUnchanged: boolean) =>
        CaptureWorker.open(glBrowser.browser, glBrowser.captureMode, 0, {
          url: glServer.urlFor(glComposition.entryFile),
          runtime: glRuntime,
          width: 320,
          height: 180,
          transparent: false,
          reuseUnchanged,
        });
      const [every, reusing] = [await open(false), await open(true)];
      const want: Buffer[] = [];
      const got: Buffer[] = [];
      for (let k = 14; k < 28; k++) {
        want.push(await every.renderFrame(k, k / FPS));
        got.push(await reusing.renderFrame(k, k / FPS));
      }
      expect(want[20 - 14]!.equals(want[19 - 14]!)).toBe(false);
      expect(want[21 - 14]!.equals(want[20 - 14]!)).toBe(false);
      for (let i = 0; i < want.length; i++) expect(got[i]!.equals(want[i]!), `frame ${14 + i}`).toBe(true);
      // Frames 14, 20 and 21 captured; the rest reused (but for a few drawn again under load).
      expect(reusing.frames.captured).toBeGreaterThanOrEqual(3);
      expect(reusing.frames.reused).toBeGreaterThanOrEqual(want.length - 3 - 3);
    } finally {
      await glBrowser.close();
      await glServer.close();
      await rm(glDir, { recursive: true, force: true });
    }
  });
});
