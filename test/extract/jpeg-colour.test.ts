/**
 * JPEG frames must read back with the source's colours. JPEG readers (Chromium, ffmpeg) decode with the
 * BT.601 matrix; a BT.709 (HD) source written without converting reads back visibly off (pure red as
 * 231,0,1). The reference is ffmpeg's own RGB decode of the source, which honours its matrix tag.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { extractVideos } from '../../src/extract/extract.js';
import { runFfmpeg } from '../../src/media/tools.js';
import { readRgba } from '../helpers/frame-media.js';

let dir: string;
const W = 160;
const H = 96;
/** Saturated colours, where a matrix mix-up shows most. */
const COLOURS = ['FF0000', '00FF00', '0000FF', 'FFA500'];

/** The RGB of the middle pixel of the first frame of `file`, decoded by ffmpeg (honours its tags). */
async function centreRgb(file: string): Promise<number[]> {
  const png = path.join(dir, `${path.basename(file)}.ref.png`);
  await runFfmpeg(['-y', '-loglevel', 'error', '-i', file, '-frames:v', '1', png]);
  return centreOf(png);
}

async function centreOf(image: string): Promise<number[]> {
  const rgba = await readRgba(image, W, H);
  const at = ((H / 2) * W + W / 2) * 4;
  return [rgba[at]!, rgba[at + 1]!, rgba[at + 2]!];
}

async function makeSource(name: string, colour: string, matrix: 'bt709' | 'bt601' | null): Promise<string> {
  const file = path.join(dir, name);
  const tags =
    matrix === 'bt709'
      ? ['-colorspace', 'bt709', '-color_primaries', 'bt709', '-color_trc', 'bt709']
      : matrix === 'bt601'
        ? ['-colorspace', 'smpte170m', '-color_primaries', 'smpte170m', '-color_trc', 'smpte170m']
        : [];
  const convert = `scale=out_color_matrix=${matrix ?? 'bt601'}:out_range=tv,format=yuv420p`;
  await runFfmpeg([
    '-y',
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    `color=c=0x${colour}:s=${W}x${H}:r=30:d=0.2`,
    '-vf',
    convert,
    '-c:v',
    'libx264',
    ...tags,
    '-color_range',
    'tv',
    file,
  ]);
  return file;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fs-jpeg-colour-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('JPEG frames keep the source colours', () => {
  for (const matrix of ['bt709', 'bt601', null] as const) {
    it(`${matrix ?? 'untagged'} sources`, async () => {
      // The colours are independent extractions (each into its own directory): run them side by side.
      await Promise.all(
        COLOURS.map(async (colour) => {
          const name = `${matrix ?? 'untagged'}-${colour}`;
          const src = await makeSource(`${name}.mp4`, colour, matrix);
          const expected = await centreRgb(src);
          const result = await extractVideos([{ id: colour, src, duration: 0.1 }], {
            fps: 30,
            format: 'jpg',
            outDir: path.join(dir, 'out', name),
            cache: false,
          });
          expect(result.errors).toEqual([]);
          const got = await centreOf(result.extracted[0]!.frames[0]!);
          for (let c = 0; c < 3; c++)
            expect(Math.abs(got[c]! - expected[c]!), `${colour} channel ${c}: ${got} vs ${expected}`).toBeLessThanOrEqual(6);
        }),
      );
    });
  }
});
