/**
 * GSAP callbacks fire in render seeks, the same whichever frames a worker renders: a counter bumped by
 * `.call()`s, a counter bumped by the timeline's `onUpdate`, and a velocity-driven blur computed in a
 * tween's `onUpdate` from the previous frame's position. Rendered with 1 and 2 workers and as a frame
 * range starting at 150 (a worker that starts late), as PNG sequences, then read back by their pixels.
 *
 * 160x90 at 30 fps, 7 s (210 frames). Bars grow 1 px per count: the `.call()` bar from the left on
 * row 10, the onUpdate bar on row 30. A white box moves with an ease on rows 50-70, blurred by its
 * speed.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render } from '../../src/render.js';
import { decodeFrames, makeProject, pixel, type DecodedVideo } from '../helpers/render-pixels.js';

const FPS = 30;
/** `.call()` times: every 0.1 s from 0.05 s, so no call sits on a frame boundary. */
const CALLS = Array.from({ length: 69 }, (_, i) => 0.05 + i * 0.1);

const html = `<!doctype html><html><head><script src="/__framesmith/vendor/gsap/gsap.min.js"></script>
<style>html,body{margin:0} #root{background:#000}
.bar{position:absolute;left:0;height:6px;background:#fff;width:0}
#calls{top:8px} #updates{top:28px}
#mover{position:absolute;left:0;top:50px;width:20px;height:20px;background:#fff}</style></head><body>
<div id="root" data-composition-id="main" data-width="160" data-height="90" data-duration="7">
  <div id="calls" class="bar"></div><div id="updates" class="bar"></div><div id="mover"></div>
</div>
<script>
  let calls = 0, updates = 0, lastX = 0;
  const tl = gsap.timeline({ paused: true });
  ${JSON.stringify(CALLS)}.forEach((t) => tl.call(() => { calls++; document.getElementById('calls').style.width = calls + 'px'; }, null, t));
  tl.eventCallback('onUpdate', () => { updates++; document.getElementById('updates').style.width = (updates % 160) + 'px'; });
  tl.to('#mover', { x: 120, duration: 7, ease: 'sine.inOut', onUpdate() {
    const x = gsap.getProperty('#mover', 'x');
    document.getElementById('mover').style.filter = 'blur(' + (Math.abs(x - lastX) * 2).toFixed(2) + 'px)';
    lastX = x;
  } }, 0);
  window.__timelines.main = tl;
</script></body></html>`;

let project: string;
const videos: Record<string, DecodedVideo> = {};

/** Width of the white bar on row `y` (pixels brighter than half). */
function barWidth(video: DecodedVideo, frame: number, y: number): number {
  let x = 0;
  while (x < 160 && pixel(video, frame, x, y)[0]! > 128) x++;
  return x;
}

/** How many columns on row 60 are partly lit (20..235): the blur's spread. */
function blurSpread(video: DecodedVideo, frame: number): number {
  let n = 0;
  for (let x = 0; x < 160; x++) {
    const v = pixel(video, frame, x, 60)[0]!;
    if (v > 20 && v < 235) n++;
  }
  return n;
}

beforeAll(async () => {
  project = await makeProject({ 'index.html': html }, 'fs-gsap-callbacks-');
  for (const [name, options] of Object.entries({
    one: { workers: 1 },
    two: { workers: 2 },
    late: { workers: 2, frames: { first: 150, last: 209 } },
  })) {
    // PNG sequences: lossless, so frames of different renders compare byte for byte.
    const output = path.join(project, name);
    await render(project, { output, format: 'png', ...options });
    videos[name] = await decodeFrames(path.join(output, 'frame-%06d.png'), { width: 160, height: 90 });
  }
}, 180_000);

afterAll(async () => {
  if (project) await rm(project, { recursive: true, force: true });
});

describe('GSAP callbacks in render seeks', () => {
  it('.call() callbacks fire: the counter at frame k is the number of calls at or before k / fps', () => {
    for (const k of [0, 1, 2, 10, 45, 100, 150, 209]) {
      const expected = CALLS.filter((t) => t <= k / FPS).length;
      expect([k, barWidth(videos.one!, k, 10)]).toEqual([k, expected]);
      expect([k, barWidth(videos.two!, k, 10)]).toEqual([k, expected]);
    }
  });

  it('onUpdate runs once per frame, in order: 1 and 2 workers give the same counter on every frame', () => {
    const one = videos.one!.frames.map((_, k) => barWidth(videos.one!, k, 30));
    const two = videos.two!.frames.map((_, k) => barWidth(videos.two!, k, 30));
    expect(two).toEqual(one);
    // One update per frame: the bar grows by 1 px a frame (modulo 160).
    expect((one[100]! - one[50]! + 160) % 160).toBe(50);
  });

  it('a worker that starts at frame 150 reads the same counters at frame 200 as one that started at 0', () => {
    for (const k of [150, 175, 200, 209]) {
      expect([k, barWidth(videos.late!, k - 150, 30)]).toEqual([k, barWidth(videos.one!, k, 30)]);
      expect([k, barWidth(videos.late!, k - 150, 10)]).toEqual([k, barWidth(videos.one!, k, 10)]);
    }
  });

  it('a velocity-driven blur: strongest mid-move, none at rest, identical for 1 and 2 workers and a late start', () => {
    const spreads = [5, 105, 204].map((k) => blurSpread(videos.one!, k));
    expect(spreads[1]!).toBeGreaterThan(spreads[0]! + 4);
    expect(spreads[1]!).toBeGreaterThan(spreads[2]! + 4);
    for (const k of [5, 60, 105, 160, 204]) {
      expect(videos.two!.frames[k]!.equals(videos.one!.frames[k]!), `frame ${k}, 2 workers`).toBe(true);
    }
    for (const k of [160, 180, 204]) {
      expect(videos.late!.frames[k - 150]!.equals(videos.one!.frames[k]!), `frame ${k}, late start`).toBe(true);
    }
  });
});
