/**
 * One decode per source inside a render: the same file shown by a `<video>` of the main composition
 * (240x135, from media time 0) and by one inside a sub-composition (64x36, trimmed by 0.35 s, a
 * non-aligned trim: 10.5 frames at 30 fps) is decoded by one source pass, and each element still shows
 * exactly the source frame due at its media time — and the same frames when the page decodes both
 * (`videoDecode: 'page'`).
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render } from '../../src/render.js';
import { audioStage } from '../../src/stages/audio.js';
import { videoFramesStage, type VideoFramesStage } from '../../src/stages/video-frames.js';
import { expectedSourceFrame, makeIndexedVideo, readFrameIndexFromRaw, type IndexedVideo } from '../helpers/frame-media.js';
import { decodeFrames, makeProject, type DecodedVideo } from '../helpers/render-pixels.js';

const FPS = 30;
const PIP_HOST_START = 0.2;
const PIP_TRIM = 0.35;

let dir: string;
let clip: IndexedVideo;

beforeAll(async () => {
  dir = await makeProject(
    {
      'index.html': `<!doctype html><html><head><style>html,body{margin:0} #root{background:#00f} video{position:absolute}</style></head><body>
<div id="root" data-composition-id="main" data-width="320" data-height="180" data-duration="1">
  <video id="big" src="clip.mp4" muted data-start="0" style="left:0;top:0;width:240px;height:135px"></video>
  <div data-composition-id="pip" data-composition-src="pip.html" data-start="${PIP_HOST_START}" data-duration="0.8"></div>
</div></body></html>`,
      'pip.html': `<template><div data-composition-id="pip">
  <video id="small" src="clip.mp4" muted data-start="0" data-media-start="${PIP_TRIM}" style="position:absolute;left:250px;top:140px;width:64px;height:36px"></video>
</div></template>`,
    },
    'fs-same-source-',
  );
  clip = await makeIndexedVideo(path.join(dir, 'clip.mp4'), { width: 320, height: 180, fps: FPS, frames: 60, codec: 'h264', gop: 12 });
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

// Both decode paths show the same frames: the extraction engine (one source pass for both elements)
// and the page's own decoder (`videoDecode: 'page'`, each element decoded in the page).
describe.each(['ffmpeg', 'page'] as const)('videoDecode %s', (videoDecode) => {
  let out: DecodedVideo;
  let stage: VideoFramesStage;
  beforeAll(async () => {
    stage = videoFramesStage({ cache: false, videoDecode });
    await render(dir, { output: path.join(dir, `out-${videoDecode}.mp4`), workers: 2, quality: 'high', stages: [stage, audioStage()] });
    out = await decodeFrames(path.join(dir, `out-${videoDecode}.mp4`), { width: 320, height: 180 });
  }, 120_000);

  it('each element is decoded on the path asked for', () => {
    expect(stage.stats.decode.choices.map((c) => [c.element, c.path])).toEqual([
      ['video#big', videoDecode],
      ['video#small', videoDecode],
    ]);
  });

  it.runIf(videoDecode === 'ffmpeg')(
    'both elements, at two sizes and two trims, come from one source pass that decodes the union once',
    () => {
      const sizes = Object.fromEntries(stage.stats.perVideo.map((v) => [v.element, [v.width, v.height]]));
      expect(sizes).toEqual({ 'video#big': [240, 135], 'video#small': [64, 36] });
      // Frames decoded per element: the main one only to the composition's end (1 s of its 2 s media).
      expect(stage.stats.perVideo.map((v) => v.frames)).toEqual([30, 24]);
      const m = stage.stats.extraction!;
      expect(m.uniqueExtractions).toBe(2);
      expect(m.sourcePasses).toBe(1);
      // The union is media 0–1.15 s (source frames 0..34, 35 frames; the main video is cut at the
      // composition's end, 1 s, though its media runs 2 s); the two windows apart decode 30 + 24.
      expect(m.framesDecoded).toBeGreaterThanOrEqual(35);
      expect(m.framesDecoded).toBeLessThan(54);
    },
  );

  it('the main video shows source frame k on frame k', () => {
    const wrong: string[] = [];
    for (let k = 0; k < out.frames.length; k++) {
      const shown = readFrameIndexFromRaw(out.frames[k]!, 320, 180, 'rgb24', { x: 0, y: 0, w: 240, h: 135 });
      const due = expectedSourceFrame(clip.pts, k / FPS);
      if (shown !== due) wrong.push(`frame ${k}: ${shown}, due ${due}`);
    }
    expect(wrong).toEqual([]);
  });

  it('the sub-composition video shows the frame due at its trimmed media time, only while its host is on', () => {
    const wrong: string[] = [];
    for (let k = Math.round(PIP_HOST_START * FPS); k < out.frames.length; k++) {
      const shown = readFrameIndexFromRaw(out.frames[k]!, 320, 180, 'rgb24', { x: 250, y: 140, w: 64, h: 36 });
      const due = expectedSourceFrame(clip.pts, PIP_TRIM + k / FPS - PIP_HOST_START);
      if (shown !== due) wrong.push(`frame ${k}: ${shown}, due ${due}`);
    }
    expect(wrong).toEqual([]);
  });
});
