/**
 * Renders one small composition (320x180, 1.2 s at 30 fps = 36 frames) and reads every output frame's
 * pixels back: four 20x20 boxes move right at 200 px/s, each driven differently — CSS keyframes, the
 * Web Animations API, a GSAP timeline in window.__timelines, and a requestAnimationFrame loop reading
 * Date.now(). The three animations stop at 1 s (fill forwards); the Date.now() box keeps going. A
 * class="clip" box is visible on [0.1 s, 1.1 s): exactly frames 3..32. A box the GSAP timeline shows
 * with `set()` at 0 and hides at 0.5 s is on frames 0..14 (frame 0 too, as HyperFrames draws it).
 *
 * Both capture modes are checked (beginframe: the bundled headless shell; screenshot: Debian's
 * chromium), both frame formats (JPEG at the default quality, PNG at high), 1 and 2 workers give
 * identical frames, and rendering twice gives identical frames.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render, type RenderResult } from '../../src/render.js';
import { liveChildCount } from '../../src/media/process.js';
import { decodeFrames, hashFrames, leftEdge, makeProject, page, probeVideo, type DecodedVideo } from '../helpers/render-pixels.js';

const FPS = 30;
const FRAMES = 36;
const START_X = 10;
const SPEED = 200; // px per second
const ROWS = { css: 10, waapi: 45, gsap: 80, date: 115 } as const;
const COLORS = { css: [255, 0, 0], waapi: [0, 255, 0], gsap: [0, 96, 255], date: [255, 255, 255], clip: [255, 255, 0] } as const;
const CLIP_ROW = 150;

const html = page({
  duration: 1.2,
  head: '<script src="/__framesmith/vendor/gsap/gsap.min.js"></script>',
  style: `
.box { position: absolute; left: ${START_X}px; width: 20px; height: 20px; }
#css { top: ${ROWS.css}px; background: rgb(${COLORS.css}); animation: slide 1s linear both; }
#waapi { top: ${ROWS.waapi}px; background: rgb(${COLORS.waapi}); }
#gsap { top: ${ROWS.gsap}px; background: rgb(${COLORS.gsap}); }
#date { top: ${ROWS.date}px; background: rgb(${COLORS.date}); }
#clip { top: ${CLIP_ROW}px; left: 150px; background: rgb(${COLORS.clip}); }
#set { top: ${CLIP_ROW}px; left: 250px; background: rgb(255, 0, 255); opacity: 0; }
@keyframes slide { from { transform: translateX(0); } to { transform: translateX(${SPEED}px); } }`,
  body: `
<div id="css" class="box"></div>
<div id="waapi" class="box"></div>
<div id="gsap" class="box"></div>
<div id="date" class="box"></div>
<div id="clip" class="box clip" data-start="0.1" data-duration="1"></div>
<div id="set" class="box"></div>`,
  script: `
document.getElementById('waapi').animate([{ transform: 'translateX(0)' }, { transform: 'translateX(${SPEED}px)' }], { duration: 1000, fill: 'both', easing: 'linear' });
const tl = gsap.timeline({ paused: true }).to('#gsap', { x: ${SPEED}, duration: 1, ease: 'none' });
tl.set('#set', { opacity: 1 }, 0).set('#set', { opacity: 0 }, 0.5);
window.__timelines = { main: tl };
const t0 = Date.now();
const dateBox = document.getElementById('date');
function tick() { dateBox.style.transform = 'translateX(' + ((Date.now() - t0) / 1000 * ${SPEED}) + 'px)'; requestAnimationFrame(tick); }
requestAnimationFrame(tick);`,
});

/** Where the box of `kind` must be on frame k (left edge, px). */
function expectedX(kind: keyof typeof ROWS, k: number): number {
  const t = k / FPS;
  return START_X + SPEED * (kind === 'date' ? t : Math.min(t, 1));
}

function checkFrames(video: DecodedVideo): void {
  expect(video.frames.length).toBe(FRAMES);
  const misplaced: string[] = [];
  for (let k = 0; k < FRAMES; k++) {
    for (const kind of Object.keys(ROWS) as Array<keyof typeof ROWS>) {
      const x = leftEdge(video, k, ROWS[kind] + 10, COLORS[kind] as unknown as [number, number, number]);
      const want = expectedX(kind, k);
      if (Math.abs(x - want) > 2) misplaced.push(`frame ${k} ${kind}: x=${x}, expected ${want.toFixed(1)}`);
    }
    const clipVisible = leftEdge(video, k, CLIP_ROW + 10, COLORS.clip as unknown as [number, number, number]) === 150;
    if (clipVisible !== (k >= 3 && k <= 32)) misplaced.push(`frame ${k}: clip ${clipVisible ? 'visible' : 'hidden'}`);
  }
  expect(misplaced).toEqual([]);
}

let project: string;
const outputs: string[] = [];
let beginframe: { result: RenderResult; video: DecodedVideo };

async function renderAndDecode(name: string, options: Parameters<typeof render>[1]) {
  const output = path.join(project, 'out', `${name}.mp4`);
  outputs.push(output);
  const result = await render(project, { ...options, output });
  return { result, video: await decodeFrames(output, { width: 320, height: 180 }) };
}

beforeAll(async () => {
  project = await makeProject({ 'index.html': html });
  beginframe = await renderAndDecode('beginframe-2', { workers: 2 });
}, 120_000);

afterAll(async () => {
  await rm(project, { recursive: true, force: true });
});

describe('animations on every frame', () => {
  it('beginframe capture (headless shell, 2 workers, JPEG frames): every box where it should be, clip on frames 3..32', async () => {
    expect(beginframe.result.captureMode).toBe('beginframe');
    expect(beginframe.result.workers).toBe(2);
    expect(beginframe.result.frames).toBe(FRAMES);
    checkFrames(beginframe.video);
    const info = await probeVideo(beginframe.result.output);
    expect(Number(info.nb_read_frames)).toBe(FRAMES);
    expect(info).toMatchObject({ codec_name: 'h264', pix_fmt: 'yuv420p', width: '320', height: '180', r_frame_rate: '30/1' });
    expect(liveChildCount()).toBe(0);
  });

  it('a GSAP set() at 0 is drawn on frame 0, and the one at 0.5 s from frame 15', () => {
    const shown = Array.from({ length: FRAMES }, (_, k) => leftEdge(beginframe.video, k, CLIP_ROW + 10, [255, 0, 255]) === 250);
    expect(shown.map((s, k) => (s ? k : -1)).filter((k) => k >= 0)).toEqual(Array.from({ length: 15 }, (_, k) => k));
  });

  it('1 worker and a second run give the same frames, bit for bit', async () => {
    const single = await renderAndDecode('beginframe-1', { workers: 1 });
    const again = await renderAndDecode('beginframe-2-again', { workers: 2 });
    const reference = hashFrames(beginframe.video);
    expect(new Set(reference).size).toBeGreaterThan(30); // the frames really differ from each other
    expect(hashFrames(single.video)).toEqual(reference);
    expect(hashFrames(again.video)).toEqual(reference);
  }, 120_000);

  it.runIf(existsSync('/usr/bin/chromium'))(
    'screenshot capture (Debian chromium, PNG frames at high quality): the same positions',
    async () => {
      // One browser: the pool is checked above (2 workers against 1, bit for bit); this is about the capture mode.
      const shot = await renderAndDecode('screenshot', { workers: 1, browser: '/usr/bin/chromium', quality: 'high' });
      expect(shot.result.captureMode).toBe('screenshot');
      checkFrames(shot.video);
      expect(liveChildCount()).toBe(0);
    },
    120_000,
  );
});
