/**
 * `videoFrameFormat` (CLI --video-frame-format): the format <video> frames are extracted in for the
 * page. A detailed, noisy 320x180 source (lossless H.264) drawn at its size in a 320x180 composition,
 * rendered losslessly (x264 crf 0): with `png` the frames are PNG (the stage's report says so) and the
 * rendered luma matches the source's more closely than with `jpg` — which also needs PNG frames to
 * carry no gAMA/cHRM chunks, or the browser colour-manages them; the format is part of the frame cache
 * key (switching it is a miss). Under `jpg`, a source with alpha is still extracted as PNG.
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractVideos } from '../../src/extract/extract.js';
import { runFfmpeg } from '../../src/media/tools.js';
import { render, type RenderResult } from '../../src/render.js';
import { makeIndexedVideo } from '../helpers/frame-media.js';
import { makeProject, page } from '../helpers/render-pixels.js';

let project: string;
const results: Record<'png' | 'jpg', RenderResult> = {} as Record<'png' | 'jpg', RenderResult>;

/** First frame of `file` as full-range 8-bit luma. */
async function luma(file: string): Promise<Buffer> {
  const raw = `${file}.gray`;
  await runFfmpeg(['-y', '-i', file, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'gray', raw]);
  return readFile(raw);
}

function meanAbsDiff(a: Buffer, b: Buffer): number {
  expect(a.length).toBe(b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

beforeAll(async () => {
  project = await makeProject({
    'index.html': page({
      duration: 0.1,
      style: 'video { position: absolute; left: 0; top: 0; width: 320px; height: 180px; }',
      body: '<video id="v" src="detail.mp4" muted data-start="0" data-duration="1"></video>',
    }),
  });
  // Fine detail and luma noise: what JPEG compression changes and PNG keeps. Grey (neutral chroma), so
  // the RGB round trip clips nothing; lossless, tagged BT.709.
  await runFfmpeg([
    '-y',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=s=320x180:r=30:d=0.5,hue=s=0,noise=c0s=30:c0f=t',
    '-c:v',
    'libx264',
    '-qp',
    '0',
    '-pix_fmt',
    'yuv420p',
    '-color_primaries',
    'bt709',
    '-color_trc',
    'bt709',
    '-colorspace',
    'bt709',
    path.join(project, 'detail.mp4'),
  ]);
  const cache = path.join(project, 'cache');
  for (const format of ['jpg', 'png'] as const) {
    results[format] = await render(project, {
      output: path.join(project, `${format}.mp4`),
      videoFrameFormat: format,
      quality: 'high',
      crf: 0,
      workers: 1,
      cache,
    });
  }
}, 180_000);

afterAll(async () => {
  if (project) await rm(project, { recursive: true, force: true });
});

describe('videoFrameFormat', () => {
  it('extracts in the asked format, and the format is part of the cache key', () => {
    expect(results.jpg.stages['video-frames']).toMatchObject({
      perVideo: [{ width: 320, height: 180, format: 'jpg' }],
      cacheMisses: 1,
      cacheHits: 0,
    });
    expect(results.png.stages['video-frames']).toMatchObject({
      perVideo: [{ width: 320, height: 180, format: 'png' }],
      cacheMisses: 1,
      cacheHits: 0,
    });
  });

  it('renders the video closer to its source with png than with jpg', async () => {
    const source = await luma(path.join(project, 'detail.mp4'));
    const png = meanAbsDiff(await luma(path.join(project, 'png.mp4')), source);
    const jpg = meanAbsDiff(await luma(path.join(project, 'jpg.mp4')), source);
    // Measured: png 0.45 (at most 2 levels off: RGB rounding), jpg 3.2 (up to 20).
    expect(png).toBeLessThan(1);
    expect(jpg).toBeGreaterThan(png * 3);
  });

  it('keeps a source with alpha in PNG under jpg', async () => {
    await makeIndexedVideo(path.join(project, 'alpha.webm'), { width: 64, height: 64, fps: 30, frames: 3, codec: 'vp9-alpha' });
    const result = await extractVideos([{ id: 'a', src: path.join(project, 'alpha.webm') }], {
      fps: 30,
      format: 'jpg',
      outDir: path.join(project, 'out'),
      cache: false,
    });
    try {
      expect(result.errors).toEqual([]);
      expect(result.extracted[0]).toMatchObject({ format: 'png' });
      expect(result.extracted[0]!.frames[0]).toMatch(/\.png$/);
    } finally {
      await result.release();
    }
  });
});
