/**
 * `resolution` (CLI --resolution): the composition keeps its CSS size and is drawn at a whole device
 * scale factor, so frames land at the preset's size, sharp. A 320x180 composition at `1080p` (factor 6):
 * the file is 1920x1080, a 1 px CSS border is exactly 6 device pixels (no blur at its edges), and a
 * <video> is extracted at its drawn size times 6 and still shows the right frame. A portrait
 * composition whose size the page measures turns `1080p` into portrait (1080x1920). A size that
 * does not fit the preset is `invalid_option`, naming the composition's size and the preset, before
 * anything is written.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render, RenderError, type RenderResult } from '../../src/render.js';
import { runFfmpeg } from '../../src/media/tools.js';
import { makeIndexedVideo, readFrameIndexFromRaw } from '../helpers/frame-media.js';
import { makeProject, page, probeVideo } from '../helpers/render-pixels.js';

let project: string;
let result: RenderResult;
const FRAMES = 3;

/** Frame `index` of `file` as 8-bit luma (gray, full range: black 0, white 255), `width`×`height`. */
async function luma(file: string, index: number, width: number, height: number): Promise<Buffer> {
  const raw = path.join(path.dirname(file), `luma-${path.basename(file)}-${index}.gray`);
  await runFfmpeg(['-y', '-i', file, '-vf', `select=eq(n\\,${index})`, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'gray', raw]);
  const data = await readFile(raw);
  expect(data.length).toBe(width * height);
  return data;
}

beforeAll(async () => {
  project = await makeProject({});
  // A 640x360 source drawn in an 80x45 box: at factor 6 it is drawn over 480x270 device pixels.
  await makeIndexedVideo(path.join(project, 'clip.mp4'), { width: 640, height: 360, fps: 30, frames: 30, codec: 'h264' });
  await writeFile(
    path.join(project, 'index.html'),
    page({
      duration: FRAMES / 30,
      style: `#box { position: absolute; left: 10px; top: 10px; width: 50px; height: 50px; box-sizing: border-box; border: 1px solid #fff; background: #00f; }
video { position: absolute; left: 200px; top: 100px; width: 80px; height: 45px; }`,
      body: '<div id="box"></div><video id="v" src="clip.mp4" muted data-start="0" data-duration="1"></video>',
    }),
  );
  // crf 0: x264 lossless, so luma edges are the captured pixels.
  result = await render(project, {
    output: path.join(project, 'hd.mp4'),
    resolution: '1080p',
    quality: 'high',
    crf: 0,
    workers: 1,
    cache: false,
  });
}, 180_000);

afterAll(async () => {
  if (project) await rm(project, { recursive: true, force: true });
});

describe('resolution', () => {
  it('writes frames at the preset size and reports it', async () => {
    expect(result).toMatchObject({ width: 1920, height: 1080, frames: FRAMES });
    const info = await probeVideo(path.join(project, 'hd.mp4'));
    expect(info).toMatchObject({ width: '1920', height: '1080', nb_read_frames: String(FRAMES) });
  });

  it('draws a 1 px CSS border as exactly 6 sharp device pixels', async () => {
    const y = await luma(path.join(project, 'hd.mp4'), 0, 1920, 1080);
    const row = 35 * 6; // a row through the middle of the box
    const at = (x: number) => y[row * 1920 + x]!;
    // Black (0) outside, white (255) for x = 60..65, blue (BT.709 luma 0.0722 → 18) inside: no
    // in-between values, as an upscaled 1 px line would have.
    expect(at(59)).toBeLessThanOrEqual(3);
    for (let x = 60; x <= 65; x++) expect(at(x)).toBeGreaterThanOrEqual(250);
    expect(Math.abs(at(66) - 18)).toBeLessThanOrEqual(3);
    // The bottom border too: rows 354..359 white (box bottom at CSS 60 → device 360).
    for (let r = 354; r <= 359; r++) expect(y[r * 1920 + 200]!).toBeGreaterThanOrEqual(250);
    expect(Math.abs(y[353 * 1920 + 200]! - 18)).toBeLessThanOrEqual(3);
  });

  it('extracts video frames at the drawn size times the scale, showing the right frames', async () => {
    expect(result.stages['video-frames']!.perVideo).toEqual([
      { element: expect.stringContaining('v'), width: 480, height: 270, format: 'jpg' },
    ]);
    const file = path.join(project, 'hd.mp4');
    for (let k = 0; k < FRAMES; k++) {
      const raw = await luma(file, k, 1920, 1080);
      expect(readFrameIndexFromRaw(raw, 1920, 1080, 'gray', { x: 1200, y: 600, w: 480, h: 270 })).toBe(k);
    }
  });

  it('keeps the factor in a planned render: every chunk draws at it', async () => {
    const output = path.join(project, 'planned.mp4');
    const planned = await render(project, {
      output,
      resolution: '1080p',
      chunkFrames: 2,
      crf: 0,
      quality: 'high',
      workers: 1,
      cache: false,
    });
    expect(planned).toMatchObject({ width: 1920, height: 1080, frames: FRAMES });
    expect(planned.chunks).toHaveLength(2);
    expect(await probeVideo(output)).toMatchObject({ width: '1920', height: '1080', nb_read_frames: String(FRAMES) });
    // The last frame comes from the second chunk: its border is 6 device pixels too.
    const y = await luma(output, FRAMES - 1, 1920, 1080);
    for (let x = 60; x <= 65; x++) expect(y[210 * 1920 + x]!).toBeGreaterThanOrEqual(250);
    expect(y[210 * 1920 + 59]!).toBeLessThanOrEqual(3);
  });

  it('turns an aspect-agnostic alias to the orientation of a measured composition', async () => {
    const dir = await makeProject({
      'index.html': `<!doctype html><html><head><style>html,body{margin:0}#root{width:180px;height:320px;background:#0f0}</style></head><body>
<div id="root" data-composition-id="tall" data-fps="30" data-duration="0.034"></div></body></html>`,
    });
    try {
      const tall = await render(dir, { output: path.join(dir, 'tall.mp4'), resolution: '1080p', workers: 1, cache: false });
      expect(tall).toMatchObject({ width: 1080, height: 1920 });
      expect(await probeVideo(path.join(dir, 'tall.mp4'))).toMatchObject({ width: '1080', height: '1920' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  const refused: Array<[string, number, number, string, RegExp]> = [
    [
      'another aspect',
      320,
      240,
      '1080p',
      /`resolution` 1080p \(landscape, 1920x1080\) does not have the aspect of the composition .*index\.html is 320x240: no preset has its aspect/,
    ],
    [
      'a square preset for a landscape composition',
      320,
      180,
      'square',
      /does not have the aspect of the composition .* is 320x180: use `resolution` landscape/,
    ],
    [
      'a factor that is not whole',
      1280,
      720,
      'landscape',
      /needs a device scale factor of 1\.5, and only whole multiples keep pixels sharp; the composition .* is 1280x720/,
    ],
    [
      'a preset smaller than the composition',
      3840,
      2160,
      '1080p',
      /is smaller than the composition .* is 3840x2160; `resolution` only scales up/,
    ],
  ];
  for (const [what, width, height, preset, message] of refused) {
    it(`refuses ${what} before anything is written (invalid_option)`, async () => {
      const dir = await makeProject({ 'index.html': page({ width, height, body: '' }) });
      const output = path.join(dir, 'out.mp4');
      try {
        const error = await render(dir, { output, resolution: preset, workers: 1, cache: false }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(RenderError);
        expect(error).toMatchObject({ code: 'invalid_option' });
        expect((error as Error).message).toMatch(message);
        expect(existsSync(output)).toBe(false);
        expect(await readdir(dir)).toEqual(['index.html']);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }

  it('refuses an unknown preset and --hdr with a preset, naming what is accepted', async () => {
    const unknown = await render(project, { output: path.join(project, 'x.mp4'), resolution: '720p' }).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ code: 'invalid_option' });
    expect((unknown as Error).message).toMatch(
      /`resolution` "720p" is not a preset: use one of landscape, portrait, landscape-4k, portrait-4k, square, square-4k \(or the aliases 1080p, hd/,
    );
    const hdr = await render(project, { output: path.join(project, 'x.mp4'), resolution: '4k', dynamicRange: 'hdr' }).catch(
      (e: unknown) => e,
    );
    expect(hdr).toMatchObject({ code: 'invalid_option' });
    expect((hdr as Error).message).toMatch(/`resolution` cannot be combined with `dynamicRange: 'hdr'`/);
    expect(existsSync(path.join(project, 'x.mp4'))).toBe(false);
  });
});
