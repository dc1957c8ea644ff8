/**
 * Clips that outlast their media, loops, display sizing, rotation, alpha and in-render dedupe — every
 * frame checked by the index it shows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { extractVideos } from '../../src/extract/extract.js';
import { FrameLookupTable } from '../../src/extract/lookup.js';
import { probeMedia } from '../../src/media/probe.js';
import { runFfmpeg } from '../../src/media/tools.js';
import {
  expectedSourceFrame,
  makeIndexedVideo,
  readDimensions,
  readFrameIndex,
  readImageSequenceIndices,
  readRgba,
  type IndexedVideo,
} from '../helpers/frame-media.js';

let dir: string;
let c30: IndexedVideo;
let alpha: IndexedVideo;
let opaqueVp9: IndexedVideo;
let rotated: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fs-behaviour-'));
  [c30, alpha, opaqueVp9] = await Promise.all([
    makeIndexedVideo(path.join(dir, 'c30.mp4'), { width: 160, height: 96, fps: 30, frames: 90, codec: 'h264' }),
    makeIndexedVideo(path.join(dir, 'alpha.webm'), { width: 160, height: 96, fps: 30, frames: 30, codec: 'vp9-alpha' }),
    makeIndexedVideo(path.join(dir, 'opaque.webm'), { width: 160, height: 96, fps: 30, frames: 30, codec: 'vp9-opaque' }),
  ]);
  rotated = path.join(dir, 'rotated.mp4');
  // ffmpeg 5.1's mp4 muxer turns the rotate tag into a display matrix (a phone video held upright).
  await runFfmpeg(['-y', '-loglevel', 'error', '-i', c30.path, '-c', 'copy', '-metadata:s:v:0', 'rotate=90', rotated]);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const out = (name: string) => path.join(dir, 'out', name);

describe('clips longer than their media', () => {
  it('extracts up to the media end and reports the full slot count (hold)', async () => {
    const result = await extractVideos([{ id: 'h', src: c30.path, mediaStart: 2.5, duration: 2 }], { fps: 30, outDir: out('hold') });
    expect(result.errors).toEqual([]);
    const v = result.extracted[0]!;
    expect(v.slotCount).toBe(60);
    expect(v.frames).toHaveLength(15);
    expect(await readImageSequenceIndices(v.outputDir, v.format)).toEqual(Array.from({ length: 15 }, (_, k) => 75 + k));
    // The lookup holds the last frame after the media ends and stops at the clip's end.
    const table = new FrameLookupTable({ start: 10, duration: 2, fps: v.fps, frames: v.frames, loop: false });
    expect(table.frameAt(10)).toBe(v.frames[0]);
    expect(table.frameAt(11.9)).toBe(v.frames[14]);
    expect(table.frameAt(12)).toBeNull();
  });

  it('a loop extracts one cycle and the lookup wraps', async () => {
    const result = await extractVideos([{ id: 'l', src: c30.path, mediaStart: 2.2, duration: 3, loop: true, playbackRate: 2 }], {
      fps: 30,
      outDir: out('loop'),
    });
    expect(result.errors).toEqual([]);
    const v = result.extracted[0]!;
    // 0.8 s of media at rate 2 is 0.4 s of clip: 12 slots per cycle.
    expect(v.loop).toBe(true);
    expect(v.slotCount).toBe(90);
    expect(v.frames).toHaveLength(12);
    const seen = await readImageSequenceIndices(v.outputDir, v.format);
    expect(seen).toEqual(Array.from({ length: 12 }, (_, k) => expectedSourceFrame(c30.pts, 2.2 + (k * 2) / 30)));
    const table = new FrameLookupTable({ start: 0, duration: 3, fps: v.fps, frames: v.frames, loop: true });
    expect(table.frameAt(13 / 30)).toBe(v.frames[1]);
    expect(table.indexAt(2.99)).toBe(89 % 12);
  });

  it('without a duration the clip runs to the media end', async () => {
    const result = await extractVideos([{ id: 'e', src: c30.path, mediaStart: 1 }], { fps: 24, outDir: out('toend') });
    const v = result.extracted[0]!;
    expect(v.slotCount).toBe(48);
    expect(await readImageSequenceIndices(v.outputDir, v.format)).toEqual(
      Array.from({ length: 48 }, (_, k) => expectedSourceFrame(c30.pts, 1 + k / 24)),
    );
  });
});

describe('display size', () => {
  it.each([
    { box: [80, 40], want: [80, 48] },
    { box: [100, 90], want: [150, 90] },
    { box: [40, undefined], want: [40, 24] },
    { box: [400, 400], want: [160, 96] },
  ])('box $box decodes at $want (covers, keeps aspect, never upscales)', async ({ box, want }) => {
    const result = await extractVideos([{ id: 's', src: c30.path, mediaStart: 0.5, duration: 0.2, width: box[0], height: box[1] }], {
      fps: 30,
      outDir: out(`size-${box.join('x')}`),
    });
    expect(result.errors).toEqual([]);
    const v = result.extracted[0]!;
    expect([v.width, v.height]).toEqual(want);
    expect(await readDimensions(v.frames[0]!)).toEqual({ width: want[0], height: want[1] });
    expect(await readImageSequenceIndices(v.outputDir, v.format)).toEqual([15, 16, 17, 18, 19, 20]);
  });

  it('honours rotation metadata: reported and written sizes are the upright ones', async () => {
    const info = await probeMedia(rotated);
    // The tag turns the picture a quarter counter-clockwise: 270° clockwise.
    expect(info.rotation).toBe(270);
    expect([info.width, info.height]).toEqual([96, 160]);
    const result = await extractVideos([{ id: 'r', src: rotated, mediaStart: 1, duration: 0.1 }], { fps: 30, outDir: out('rotated') });
    const v = result.extracted[0]!;
    expect([v.width, v.height]).toEqual([96, 160]);
    expect(await readDimensions(v.frames[0]!)).toEqual({ width: 96, height: 160 });
    // Turn it back clockwise and the pattern reads as the right frame.
    const back = path.join(dir, 'back.png');
    await runFfmpeg(['-y', '-loglevel', 'error', '-i', v.frames[2]!, '-vf', 'transpose=clock', back]);
    expect(await readFrameIndex(back)).toBe(32);
  });
});

describe('format and alpha', () => {
  it('VP9 with alpha → PNG with real alpha values, right frames', async () => {
    const result = await extractVideos([{ id: 'a', src: alpha.path, mediaStart: 0.2, duration: 0.3 }], { fps: 30, outDir: out('alpha') });
    expect(result.errors).toEqual([]);
    const v = result.extracted[0]!;
    expect(v.format).toBe('png');
    expect(v.frames[0]!.endsWith('.png')).toBe(true);
    expect(await readImageSequenceIndices(v.outputDir, 'png')).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14]);
    // Frame 6 = bits 1 and 2 set: cell 0 black (half transparent), cell 1 white (opaque).
    const rgba = await readRgba(v.frames[0]!, 160, 96);
    const alphaAt = (x: number, y: number) => rgba[(y * 160 + x) * 4 + 3]!;
    expect(alphaAt(20, 12)).toBeGreaterThan(100);
    expect(alphaAt(20, 12)).toBeLessThan(160);
    expect(alphaAt(60, 12)).toBe(255);
  });

  it('alpha in the pixel format itself (QuickTime RLE, argb) → RGBA PNG', async () => {
    const mov = path.join(dir, 'alpha.mov');
    await runFfmpeg([
      '-y',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      'color=c=red@0.5:s=64x64:r=30:d=0.2,format=yuva444p',
      '-c:v',
      'qtrle',
      mov,
    ]);
    const result = await extractVideos([{ id: 'q', src: mov }], { fps: 30, outDir: out('qtrle') });
    const v = result.extracted[0]!;
    expect(v.format).toBe('png');
    const pixel = (await readRgba(v.frames[0]!, 64, 64)).subarray(0, 4);
    expect(pixel[0]).toBeGreaterThan(240);
    expect(Math.abs(pixel[3]! - 128)).toBeLessThan(4);
  });

  it('opaque VP9 → JPEG', async () => {
    const result = await extractVideos([{ id: 'o', src: opaqueVp9.path, mediaStart: 0, duration: 0.2 }], {
      fps: 30,
      outDir: out('opaque'),
    });
    const v = result.extracted[0]!;
    expect(v.format).toBe('jpg');
    expect(await readImageSequenceIndices(v.outputDir, 'jpg')).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('an explicit format is honoured (png for an opaque H.264)', async () => {
    const result = await extractVideos([{ id: 'p', src: c30.path, mediaStart: 0, duration: 0.1 }], {
      fps: 30,
      format: 'png',
      outDir: out('explicit'),
    });
    const v = result.extracted[0]!;
    expect(v.format).toBe('png');
    expect(await readImageSequenceIndices(v.outputDir, 'png')).toEqual([0, 1, 2]);
  });
});

describe('colour', () => {
  it('an HDR (PQ) source in an SDR render is tone-mapped in the same pass, frames still exact; the target is part of the key', async () => {
    const pq = await makeIndexedVideo(path.join(dir, 'pq.mp4'), {
      width: 160,
      height: 96,
      fps: 30,
      frames: 30,
      codec: 'h264',
      pixFmt: 'yuv420p10le',
      hdr: 'pq',
    });
    const sdr = await extractVideos([{ id: 'h', src: pq.path, mediaStart: 0.3, duration: 0.2 }], { fps: 30, outDir: out('hdr-sdr') });
    expect(sdr.errors).toEqual([]);
    expect(await readImageSequenceIndices(sdr.extracted[0]!.outputDir, 'jpg')).toEqual([9, 10, 11, 12, 13, 14]);
    const keep = await extractVideos([{ id: 'h', src: pq.path, mediaStart: 0.3, duration: 0.2 }], {
      fps: 30,
      outDir: out('hdr-sdr'),
      colorTarget: 'pq',
    });
    expect(keep.extracted[0]!.outputDir).not.toBe(sdr.extracted[0]!.outputDir);
    // Mid grey labelled PQ: tone mapping to SDR changes the code value; the PQ target leaves it alone.
    const grey = path.join(dir, 'pq-grey.mp4');
    await runFfmpeg([
      '-y',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      'color=c=0x808080:s=64x64:r=30:d=0.2',
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p10le',
      '-color_trc',
      'smpte2084',
      '-color_primaries',
      'bt2020',
      '-colorspace',
      'bt2020nc',
      grey,
    ]);
    const level = async (colorTarget: 'sdr' | 'pq') => {
      const r = await extractVideos([{ id: 'g', src: grey, duration: 0.1 }], { fps: 30, outDir: out(`grey-${colorTarget}`), colorTarget });
      return (await readRgba(r.extracted[0]!.frames[0]!, 64, 64))[(32 * 64 + 32) * 4]!;
    };
    const untouched = await level('pq');
    const mapped = await level('sdr');
    expect(Math.abs(untouched - 128)).toBeLessThan(6);
    expect(Math.abs(mapped - untouched)).toBeGreaterThan(15);
  });
});

describe('in-render dedupe', () => {
  it('three identical videos: one pass, one directory, three results', async () => {
    const outDir = out('dedupe');
    const same = { src: c30.path, mediaStart: 0.4, duration: 0.5, width: 80, height: 48 };
    const result = await extractVideos(
      [
        { id: 'a', ...same },
        { id: 'b', ...same },
        { id: 'c', ...same },
        { id: 'd', ...same, mediaStart: 0.5 },
      ],
      { fps: 30, outDir },
    );
    expect(result.errors).toEqual([]);
    expect(result.metrics.uniqueExtractions).toBe(2);
    expect(result.metrics.dedupeHits).toBe(2);
    const [a, b, c, d] = result.extracted;
    expect(a!.videoId).toBe('a');
    expect(b!.videoId).toBe('b');
    expect(c!.videoId).toBe('c');
    expect(b!.outputDir).toBe(a!.outputDir);
    expect(c!.frames).toEqual(a!.frames);
    expect(b!.sharedWith).toBe('a');
    expect(a!.sharedWith).toBeUndefined();
    expect(d!.outputDir).not.toBe(a!.outputDir);
    expect((await readdir(outDir)).sort()).toHaveLength(2);
    expect(result.metrics.framesExtracted).toBe(30);
    expect(await readImageSequenceIndices(a!.outputDir, 'jpg')).toEqual(Array.from({ length: 15 }, (_, k) => 12 + k));
  });
});
