import { describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import {
  expectedSourceFrame,
  makeIndexedVideo,
  readFrameIndex,
  readFrameIndexInRegion,
  readVideoFrameIndices,
  readRgba,
} from '../helpers/frame-media.js';
import { runFfmpeg } from '../../src/media/tools.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fs-media-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('frame-media helper', () => {
  it('every frame of an h264 clip reads back as its own index', async () => {
    const v = await makeIndexedVideo(path.join(dir, 'a.mp4'), { width: 160, height: 90, fps: 30, frames: 45, codec: 'h264', gop: 250 });
    expect(v.pts).toHaveLength(45);
    expect(v.pts[1]).toBeCloseTo(1 / 30, 6);
    const seen: number[] = [];
    const count = await readVideoFrameIndices(v.path, (index) => seen.push(index));
    expect(count).toBe(45);
    expect(seen).toEqual(Array.from({ length: 45 }, (_, i) => i));
  });

  it('VFR pattern and a non-zero start are what ffprobe reads back', async () => {
    const v = await makeIndexedVideo(path.join(dir, 'vfr.mp4'), {
      width: 160,
      height: 90,
      fps: 30,
      frames: 9,
      codec: 'h264',
      vfr: 'pattern',
      startTime: 1.4,
    });
    expect(v.streamStart).toBeCloseTo(1.4, 3);
    const ticks = v.pts.map((t) => Math.round(t * 60));
    expect(ticks).toEqual([0, 1, 3, 6, 7, 9, 12, 13, 15]);
    for (let i = 0; i < 9; i++) expect(Math.abs(v.pts[i]! - ticks[i]! / 60)).toBeLessThan(1e-3);
    expect(expectedSourceFrame(v.pts, 0)).toBe(0);
    expect(expectedSourceFrame(v.pts, 0.049)).toBe(1);
    expect(expectedSourceFrame(v.pts, 3 / 60)).toBe(2);
    expect(expectedSourceFrame(v.pts, 100)).toBe(8);
  });

  it('reads an index from an image and from a region of a larger image; rejects a non-pattern', async () => {
    const v = await makeIndexedVideo(path.join(dir, 'b.mp4'), { width: 320, height: 180, fps: 25, frames: 30, codec: 'h264' });
    const png = path.join(dir, 'f.png');
    await runFfmpeg(['-y', '-loglevel', 'error', '-i', v.path, '-vf', 'select=eq(n\\,27)', '-frames:v', '1', png]);
    expect(await readFrameIndex(png)).toBe(27);
    const big = path.join(dir, 'big.png');
    // Frame 27 pasted at (100, 50) scaled to 200x112 on a grey 640x360 canvas.
    await runFfmpeg([
      '-y',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      'color=c=gray:s=640x360',
      '-i',
      png,
      '-filter_complex',
      '[1]scale=200:112[s];[0][s]overlay=100:50',
      '-frames:v',
      '1',
      big,
    ]);
    expect(await readFrameIndexInRegion(big, { x: 100, y: 50, w: 200, h: 112 })).toBe(27);
    await expect(readFrameIndex(big)).rejects.toThrow(/grey|parity/);
  });

  it('vp9-alpha keeps real alpha: black cells half transparent, white cells opaque', async () => {
    const v = await makeIndexedVideo(path.join(dir, 'alpha.webm'), { width: 160, height: 96, fps: 30, frames: 4, codec: 'vp9-alpha' });
    const png = path.join(dir, 'alpha.png');
    await runFfmpeg(['-y', '-loglevel', 'error', '-c:v', 'libvpx-vp9', '-i', v.path, '-vf', 'select=eq(n\\,1)', '-frames:v', '1', png]);
    expect(await readFrameIndex(png)).toBe(1);
    const rgba = await readRgba(png, 160, 96);
    // cell 0 (bit 0 set) is white/opaque; cell 1 is black at alpha ~128.
    expect(rgba[(10 * 160 + 10) * 4 + 3]).toBe(255);
    const a = rgba[(10 * 160 + 60) * 4 + 3]!;
    expect(a).toBeGreaterThan(100);
    expect(a).toBeLessThan(160);
  });
});
