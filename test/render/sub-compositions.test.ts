/**
 * Sub-compositions from files (`data-composition-src`), rendered and read back by their pixels.
 *
 * The main composition (320x180, 2 s at 30 fps) mounts `compositions/level1.html` (a `<template>`)
 * at 0.5 s for 1.2 s. Level 1 mounts `level2.html` (a plain `<body>`, no template) 0.2 s into it for
 * 0.8 s, which mounts `deep/level3.html` 0.1 s into it for 0.3 s: the innermost label is on screen from
 * 0.5 + 0.2 + 0.1 = 0.8 s to 1.1 s, frames 24..32 exactly.
 *
 * Level 1 also carries: a GSAP timeline registered under its own id (its script finds its root with
 * `document.querySelector('[data-composition-id="level1"]')`), moving a box 100 px/s for 1 s
 * from its host's start (at composition time t the box is 100 × (t − 0.5) px right, then holds, the
 * timeline being shorter than its host); scoped CSS by class
 * (`.card`) and by id (`#badge`) that must not reach the main document's `.card` and `#badge`; an
 * `@import` of a stylesheet next to the file; and an image addressed relative to the file.
 */
import { mkdir, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render } from '../../src/render.js';
import { decodeFrames, leftEdge, makeProject, pixel, type DecodedVideo } from '../helpers/render-pixels.js';
import { expectedSourceFrame, makeIndexedVideo, readFrameIndexFromRaw, type IndexedVideo } from '../helpers/frame-media.js';
import { decodeMono, findBursts, makeBeepFile, streamCodecs } from '../helpers/audio-media.js';

const FPS = 30;
const FRAME = 1 / FPS;

/** Whether the region around (x, y) (5x5) is close to `rgb`. */
function near(video: DecodedVideo, frame: number, x: number, y: number, rgb: [number, number, number], tolerance = 40): boolean {
  for (let dy = -2; dy <= 2; dy++) {
    for (let dx = -2; dx <= 2; dx++) {
      const p = pixel(video, frame, x + dx, y + dy);
      if (Math.abs(p[0]! - rgb[0]) > tolerance || Math.abs(p[1]! - rgb[1]) > tolerance || Math.abs(p[2]! - rgb[2]) > tolerance)
        return false;
    }
  }
  return true;
}

const MAIN = `<!doctype html><html><head><meta charset="utf-8">
<style>html,body{margin:0} #root{background:#000}
.card{position:absolute;left:250px;top:10px;width:40px;height:40px;background:rgb(255,255,255)}
#badge{position:absolute;left:250px;top:120px;width:40px;height:40px;background:rgb(0,255,0)}</style>
<script src="/__framesmith/vendor/gsap/gsap.min.js"></script></head><body>
<div id="root" data-composition-id="main" data-width="320" data-height="180" data-duration="2">
  <div class="card"></div><div id="badge"></div>
  <div id="host1" data-composition-id="level1" data-composition-src="compositions/level1.html" data-start="0.5" data-duration="1.2"></div>
</div></body></html>`;

const LEVEL1 = `<!doctype html><html><head><style>.ignored-head-style{}</style></head><body><template>
<div id="l1" data-composition-id="level1" data-width="240" data-height="180">
  <style>@import url("theme.css");
    #l1{background:rgb(0,0,160)}
    .card{position:absolute;left:10px;top:10px;width:40px;height:40px;background:rgb(255,0,0)}
    #badge{position:absolute;left:10px;top:120px;width:40px;height:40px;background:rgb(255,0,255)}
    .mover{position:absolute;left:60px;top:60px;width:20px;height:20px;background:rgb(255,255,0)}
    .dot{position:absolute;left:120px;top:10px;width:20px;height:20px}</style>
  <div class="card"></div><div id="badge"></div><div class="mover"></div>
  <img class="dot" src="img/dot.svg">
  <div class="themed" style="position:absolute;left:120px;top:120px;width:20px;height:20px"></div>
  <div id="host2" data-composition-id="level2" data-composition-src="compositions/level2.html" data-start="0.2" data-duration="0.8"></div>
  <script>
    const tl = gsap.timeline({ paused: true });
    // The scoped document answers a query for the composition's own element with that element.
    const self = document.querySelector('[data-composition-id="level1"]');
    tl.to(self.querySelector('.mover'), { x: 100, duration: 1, ease: 'none' });
    window.__timelines['level1'] = tl;
  </script>
</div></template></body></html>`;

const LEVEL2 = `<!doctype html><html><head></head><body>
<div data-composition-id="level2" data-width="240" data-height="180">
  <div id="host3" data-composition-id="level3" data-composition-src="compositions/deep/level3.html" data-start="0.1" data-duration="0.3"></div>
</div></body></html>`;

const LEVEL3 = `<template><div data-composition-id="level3"><style>.label{position:absolute;left:160px;top:60px;width:30px;height:30px;background:rgb(0,255,255);margin:0;color:transparent}</style>
<p class="label">innermost</p></div></template>`;

let project: string;
let video: DecodedVideo;

beforeAll(async () => {
  project = await makeProject(
    {
      'index.html': MAIN,
      'compositions/level1.html': LEVEL1,
      'compositions/theme.css': '.themed{background:rgb(255,128,0)}',
      'compositions/img/dot.svg':
        '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20"><rect width="20" height="20" fill="rgb(128,255,128)"/></svg>',
      'compositions/level2.html': LEVEL2,
      'compositions/deep/level3.html': LEVEL3,
    },
    'fs-subcomp-',
  );
  const output = path.join(project, 'out.mp4');
  await render(project, { output, workers: 2, quality: 'high' });
  video = await decodeFrames(output, { width: 320, height: 180 });
}, 120_000);

afterAll(async () => {
  if (project) await rm(project, { recursive: true, force: true });
});

describe('sub-compositions from files', () => {
  it('a three-level nest: the innermost label is on screen exactly on frames 24..32', () => {
    const shown = video.frames.map((_, k) => k).filter((k) => near(video, k, 175, 75, [0, 255, 255]));
    expect(shown).toEqual([24, 25, 26, 27, 28, 29, 30, 31, 32]);
  });

  it('the host shows its file on [0.5, 1.7) s and nothing of it outside', () => {
    const shown = video.frames.map((_, k) => k).filter((k) => near(video, k, 30, 30, [255, 0, 0]));
    expect(shown[0]).toBe(15);
    expect(shown.at(-1)).toBe(50);
    expect(shown).toHaveLength(36);
  });

  it('the sub-composition timeline runs on host time: the box is 100 × (t − 0.5) px right, held after its 1 s', () => {
    for (const k of [16, 21, 30, 42, 46, 50]) {
      const local = Math.min(k / FPS - 0.5, 1);
      const x = leftEdge(video, k, 70, [255, 255, 0]);
      expect(Math.abs(x - (60 + 100 * local)), `frame ${k}: box at ${x}`).toBeLessThanOrEqual(1);
    }
  });

  it('scoped CSS by class and id stays inside the sub-composition', () => {
    for (const k of [10, 30]) {
      // The main document's own .card and #badge keep their styles…
      expect(near(video, k, 270, 30, [255, 255, 255])).toBe(true);
      expect(near(video, k, 270, 140, [0, 255, 0])).toBe(true);
    }
    // …and the sub-composition's get its own, while it is on screen.
    expect(near(video, 30, 30, 140, [255, 0, 255])).toBe(true);
    expect(near(video, 30, 150, 100, [0, 0, 160])).toBe(true);
  });

  it('relative URLs and @import resolve next to the sub-composition file', () => {
    expect(near(video, 30, 130, 20, [128, 255, 128])).toBe(true);
    expect(near(video, 30, 130, 130, [255, 128, 0])).toBe(true);
  });
});

describe('media inside a sub-composition', () => {
  let dir: string;
  let clip: IndexedVideo;
  let out: DecodedVideo;
  let output: string;

  beforeAll(async () => {
    dir = await makeProject(
      {
        'index.html': `<!doctype html><html><head><style>html,body{margin:0} #root{background:#00f}</style></head><body>
<div id="root" data-composition-id="main" data-width="320" data-height="180" data-duration="1.5">
  <div data-composition-id="scene" data-composition-src="scenes/scene.html" data-start="0.4" data-duration="1"></div>
</div></body></html>`,
        'scenes/scene.html': `<template><div data-composition-id="scene">
  <video id="v" src="media/clip.mp4" data-start="0.2" data-media-start="0.5" muted style="position:absolute;left:0;top:0;width:160px;height:90px"></video>
  <audio id="a" src="media/beep.wav" data-start="0.3"></audio>
</div></template>`,
      },
      'fs-subcomp-media-',
    );
    clip = await makeIndexedVideo(path.join(dir, 'scenes/media/clip.mp4'), { width: 160, height: 90, fps: 30, frames: 60, codec: 'h264' });
    await makeBeepFile(path.join(dir, 'scenes/media'), 'beep.wav', { duration: 1, beeps: [{ at: 0.2, length: 0.1 }] });
    output = path.join(dir, 'out.mp4');
    await render(dir, { output, workers: 2, quality: 'high' });
    out = await decodeFrames(output, { width: 320, height: 180 });
  }, 120_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('video frames are exact at absolute time: host 0.4 s + 0.2 s, trimmed by 0.5 s, cut at the host end', () => {
    const wrong: string[] = [];
    for (let k = 0; k < out.frames.length; k++) {
      const t = k / FPS;
      const on = t >= 0.6 - 1e-6 && t < 1.4 - 1e-6;
      if (!on) {
        if (!near(out, k, 80, 45, [0, 0, 255])) wrong.push(`frame ${k}: expected the background`);
        continue;
      }
      const slot = Math.floor((t - 0.6) * FPS + 1e-6);
      const want = expectedSourceFrame(clip.pts, 0.5 + slot / FPS);
      let got: number | string;
      try {
        got = readFrameIndexFromRaw(out.frames[k]!, 320, 180, 'rgb24', { x: 0, y: 0, w: 160, h: 90 });
      } catch (error) {
        got = (error as Error).message;
      }
      if (got !== want) wrong.push(`frame ${k}: got ${got}, expected ${want}`);
    }
    expect(wrong).toEqual([]);
  });

  it('audio lands at absolute time: the beep at media 0.2 s is heard at 0.4 + 0.3 + 0.2 = 0.9 s', async () => {
    expect(await streamCodecs(output)).toEqual(['h264', 'aac']);
    const bursts = findBursts(await decodeMono(output));
    expect(bursts).toHaveLength(1);
    expect(Math.abs(bursts[0]!.start - 0.9)).toBeLessThan(FRAME);
  });
});

describe('symlinked asset folders', () => {
  it('an assets/ folder that is a symlink out of the project is served', async () => {
    const outside = await makeProject(
      {
        'logo.svg':
          '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><rect width="40" height="40" fill="rgb(255,0,0)"/></svg>',
      },
      'fs-symlink-target-',
    );
    const dir = await makeProject(
      {
        'index.html': `<!doctype html><html><head><style>html,body{margin:0} #root{background:#000}</style></head><body>
<div id="root" data-composition-id="main" data-width="160" data-height="90" data-duration="0.2"><img src="assets/logo.svg" style="position:absolute;left:10px;top:10px"></div></body></html>`,
      },
      'fs-symlink-',
    );
    try {
      await mkdir(dir, { recursive: true });
      await symlink(outside, path.join(dir, 'assets'), 'dir');
      const output = path.join(dir, 'out.mp4');
      await render(dir, { output, workers: 1 });
      const frames = await decodeFrames(output, { width: 160, height: 90 });
      expect(near(frames, 0, 30, 30, [255, 0, 0])).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await rm(outside, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('a host whose id the file does not carry', () => {
  // HyperFrames mounts such a file whole: its composition element keeps its own id inside the host, so
  // the file's CSS naming that id applies, markup beside it stays, and its timeline (registered under
  // the file's id) runs on the host's time. A style pack's captions are written this way.
  it("mounts the file's content whole: CSS by the file's id, markup beside its root, its timeline", async () => {
    const dir = await makeProject(
      {
        'index.html': `<!doctype html><html><head><style>html,body{margin:0} #root{position:relative;background:#000}</style>
<script src="/__framesmith/vendor/gsap/gsap.min.js"></script></head><body>
<div id="root" data-composition-id="main" data-width="160" data-height="90" data-duration="1">
  <div id="captions-layer" data-composition-id="captions-host" data-composition-src="compositions/captions.html" data-start="0.2" data-duration="0.8"></div>
</div></body></html>`,
        'compositions/captions.html': `<template>
<div class="beside" style="position:absolute;left:100px;top:10px;width:20px;height:20px;background:rgb(0,0,255)"></div>
<div data-composition-id="captions" data-width="160" data-height="90">
  <div id="line">caption</div>
  <style>[data-composition-id="captions"] #line{position:absolute;left:10px;top:10px;width:40px;height:40px;background:rgb(255,0,0);color:transparent;opacity:0}</style>
  <script>
    const tl = gsap.timeline({ paused: true });
    tl.to('#line', { opacity: 1, duration: 0.01 }, 0.25);
    window.__timelines['captions'] = tl;
  </script>
</div></template>`,
      },
      'fs-subcomp-other-id-',
    );
    try {
      const output = path.join(dir, 'out.mp4');
      await render(dir, { output, workers: 1, fps: 10 });
      const frames = await decodeFrames(output, { width: 160, height: 90 });
      // The line shows from host time 0.26 s (composition 0.46 s): frame 5 on, not frame 4 (0.2 s in).
      expect([3, 4, 5, 6].map((k) => near(frames, k, 30, 30, [255, 0, 0]))).toEqual([false, false, true, true]);
      expect(near(frames, 4, 30, 30, [0, 0, 0])).toBe(true);
      expect([1, 5].map((k) => near(frames, k, 110, 20, [0, 0, 255]))).toEqual([false, true]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
