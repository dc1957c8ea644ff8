/**
 * Unchanged frames through render(): a composition that holds still after a short move, with one frame
 * in the hold where a single pixel lights up, reuses the hold's captures (RenderResult.capture) and
 * still shows that pixel on that frame only; a 10 fps video in a 30 fps render is captured once per
 * source frame (the painter sends nothing new for the slots that repeat it, so nothing is drawn) and
 * every output frame shows the source frame due.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render } from '../../src/render.js';
import { makeIndexedVideo, readFrameIndexFromRaw } from '../helpers/frame-media.js';
import { decodeFrames, makeProject, page, pixel } from '../helpers/render-pixels.js';

const FPS = 30;
const FRAMES = 45;
const PIXEL_FRAME = 30;
const PIXEL = { x: 300, y: 170 };

let dir: string;
beforeAll(async () => {
  dir = await makeProject({}, 'fs-hold-render-');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a render holding still', () => {
  it("reuses the hold's frames and still shows a single pixel lit for one frame of it", async () => {
    const project = path.join(dir, 'hold');
    await mkdir(project, { recursive: true });
    await writeFile(
      path.join(project, 'index.html'),
      page({
        duration: FRAMES / FPS,
        body: '<div id="box"></div><div id="dot"></div>',
        style: `#box { position: absolute; left: 0; top: 20px; width: 40px; height: 40px; background: #e33; animation: m 0.3s linear both; }
@keyframes m { to { transform: translateX(200px); } }
#dot { display: none; position: absolute; left: ${PIXEL.x}px; top: ${PIXEL.y}px; width: 1px; height: 1px; background: #fff; }`,
        script: `(function tick(ms) { document.getElementById('dot').style.display = Math.round(ms * ${FPS} / 1000) === ${PIXEL_FRAME} ? 'block' : 'none'; requestAnimationFrame(tick); })(0);`,
      }),
    );
    // ProRes 4444 from PNG captures: close enough to lossless to read one pixel back.
    const output = path.join(dir, 'hold.mov');
    const result = await render(project, { output, workers: 1 });
    expect(result.captureMode).toBe('beginframe');
    expect(result.frames).toBe(FRAMES);
    // 10 moving frames (0.3 s), the lit frame and the one after it at least; the rest of the hold is
    // reused (but for a few drawn again under load: see test/capture/unchanged-frames.test.ts).
    expect(result.capture!.captured + result.capture!.reused).toBe(FRAMES);
    expect(result.capture!.captured).toBeGreaterThanOrEqual(12);
    expect(result.capture!.reused).toBeGreaterThanOrEqual(FRAMES - 12 - 5);
    const video = await decodeFrames(output, { width: 320, height: 180 });
    expect(video.frames).toHaveLength(FRAMES);
    for (let k = 20; k < FRAMES; k++) {
      const [r, g, b] = pixel(video, k, PIXEL.x, PIXEL.y);
      expect(Math.min(r!, g!, b!) > 200, `frame ${k}: pixel ${r},${g},${b}`).toBe(k === PIXEL_FRAME);
    }
  });

  it('a 10 fps video in a 30 fps render: one capture per source frame, every frame the one due', async () => {
    const project = path.join(dir, 'video');
    await makeIndexedVideo(path.join(project, 'clip.mp4'), { width: 160, height: 90, fps: 10, frames: 10, codec: 'h264' });
    await writeFile(
      path.join(project, 'index.html'),
      page({
        duration: 1,
        style: 'video { position: absolute; left: 0; top: 0; width: 160px; height: 90px; }',
        body: '<video src="clip.mp4" data-start="0" data-duration="1" muted></video>',
      }),
    );
    const output = path.join(dir, 'video.mp4');
    const result = await render(project, { output, workers: 1, quality: 'high' });
    expect(result.frames).toBe(30);
    // One capture per source frame; the 20 repeating slots reused (but for a few drawn again under load).
    expect(result.capture!.captured + result.capture!.reused).toBe(30);
    expect(result.capture!.captured).toBeGreaterThanOrEqual(10);
    expect(result.capture!.reused).toBeGreaterThanOrEqual(15);
    const video = await decodeFrames(output, { width: 320, height: 180 });
    const shown = video.frames.map((f) => readFrameIndexFromRaw(f, 320, 180, 'rgb24', { x: 0, y: 0, w: 160, h: 90 }));
    expect(shown).toEqual(Array.from({ length: 30 }, (_, k) => Math.floor(k / 3)));
  });
});
