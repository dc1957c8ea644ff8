/**
 * A VP9-with-alpha clip through render(). The clip (test/helpers/frame-media.ts, `vp9-alpha`) is black
 * at alpha 0.5 with opaque white cells that encode its frame number.
 *
 * - Over a red stage in an MP4: white cells are white, black cells are half red (the stage shows
 *   through), and every frame still reads as the expected source frame.
 * - On a transparent stage in a WebM: the output keeps the alpha — about 128 in black cells, 255 in
 *   white ones, 0 where nothing is drawn.
 */
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render } from '../../src/render.js';
import { makeIndexedVideo, readFrameIndexFromRaw } from '../helpers/frame-media.js';
import { decodeFrames, makeProject, page, pixel, probeVideo } from '../helpers/render-pixels.js';

const FRAMES = 20; // 30 fps output, 2/3 s
// The clip is drawn at (40, 30), 160x90. Cell 14 (bit 14) is black for every frame number < 16384:
// column 2, row 3 of the 4x4 grid.
const CLIP = { x: 40, y: 30, w: 160, h: 90 };
const BLACK_CELL = { x: CLIP.x + 100, y: CLIP.y + 79 };
const OUTSIDE = { x: 280, y: 160 };

let project: string;

function html(background: string): string {
  return page({
    duration: FRAMES / 30,
    rootBackground: background,
    style: `html, body { background: transparent; } video { position: absolute; left: ${CLIP.x}px; top: ${CLIP.y}px; width: ${CLIP.w}px; height: ${CLIP.h}px; }`,
    body: '<video id="alpha" src="alpha.webm" muted data-start="0" data-duration="1"></video>',
  });
}

/** A white cell of frame n (some bit i < 15 that is 1), as a pixel position; null for n = 0. */
function whiteCell(n: number): { x: number; y: number } | null {
  for (let i = 0; i < 15; i++) {
    if ((n >> i) & 1) return { x: CLIP.x + (i % 4) * 40 + 20, y: CLIP.y + Math.round(Math.floor(i / 4) * 22.5 + 11) };
  }
  return null;
}

beforeAll(async () => {
  project = await makeProject({});
  await makeIndexedVideo(path.join(project, 'alpha.webm'), { width: 160, height: 90, fps: 30, frames: 30, codec: 'vp9-alpha' });
}, 120_000);

afterAll(async () => {
  if (project) await rm(project, { recursive: true, force: true });
});

describe('video with alpha', () => {
  it('composites over the stage: the red background shows through where the clip is translucent', async () => {
    await writeFile(path.join(project, 'index.html'), html('#ff0000'));
    const output = path.join(project, 'over-red.mp4');
    await render(project, { output, quality: 'high', workers: 1 });
    const video = await decodeFrames(output, { width: 320, height: 180 });
    expect(video.frames.length).toBe(FRAMES);
    const wrong: string[] = [];
    for (let k = 0; k < FRAMES; k++) {
      const index = readFrameIndexFromRaw(video.frames[k]!, 320, 180, 'rgb24', CLIP);
      if (index !== k) wrong.push(`frame ${k}: shows ${index}`);
      const [r, g, b] = pixel(video, k, BLACK_CELL.x, BLACK_CELL.y);
      // Black at alpha 0.5 over pure red: about (128, 0, 0).
      if (!(r! > 95 && r! < 165 && g! < 40 && b! < 40)) wrong.push(`frame ${k}: black cell is (${r}, ${g}, ${b}), not half red`);
      const white = whiteCell(k);
      if (white) {
        const [wr, wg, wb] = pixel(video, k, white.x, white.y);
        if (!(wr! > 220 && wg! > 220 && wb! > 220)) wrong.push(`frame ${k}: white cell is (${wr}, ${wg}, ${wb})`);
      }
      const [or, og, ob] = pixel(video, k, OUTSIDE.x, OUTSIDE.y);
      if (!(or! > 220 && og! < 40 && ob! < 40)) wrong.push(`frame ${k}: the stage outside the clip is (${or}, ${og}, ${ob}), not red`);
    }
    expect(wrong).toEqual([]);
  }, 120_000);

  it('keeps the alpha in a WebM render of a transparent stage', async () => {
    await writeFile(path.join(project, 'index.html'), html('transparent'));
    const output = path.join(project, 'transparent.webm');
    await render(project, { output, workers: 1 });
    expect((await probeVideo(output)).tags_alpha_mode).toBe('1');
    // ffmpeg's native VP9 decoder drops alpha; libvpx keeps it.
    const video = await decodeFrames(output, { width: 320, height: 180, alpha: true, inputArgs: ['-c:v', 'libvpx-vp9'] });
    expect(video.frames.length).toBe(FRAMES);
    const wrong: string[] = [];
    for (let k = 0; k < FRAMES; k++) {
      const index = readFrameIndexFromRaw(video.frames[k]!, 320, 180, 'rgba', CLIP);
      if (index !== k) wrong.push(`frame ${k}: shows ${index}`);
      const black = pixel(video, k, BLACK_CELL.x, BLACK_CELL.y);
      if (!(black[3]! > 100 && black[3]! < 160)) wrong.push(`frame ${k}: black cell alpha ${black[3]}, expected about 128`);
      const white = whiteCell(k);
      if (white && pixel(video, k, white.x, white.y)[3]! < 235)
        wrong.push(`frame ${k}: white cell alpha ${pixel(video, k, white.x, white.y)[3]}`);
      if (pixel(video, k, OUTSIDE.x, OUTSIDE.y)[3]! > 10)
        wrong.push(`frame ${k}: alpha ${pixel(video, k, OUTSIDE.x, OUTSIDE.y)[3]} where nothing is drawn`);
    }
    expect(wrong).toEqual([]);
  }, 120_000);
});
