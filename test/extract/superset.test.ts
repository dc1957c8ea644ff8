/**
 * Superset decoding with real ffmpeg: overlapping windows of one source share one union pass, and
 * every member's frames are byte-identical to a direct extraction (compared byte for byte) and show
 * the right source frames (read from the pixels). Grouping, fallback and cancellation are checked
 * through the engine's metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, rm, stat, truncate } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { extractVideos } from '../../src/extract/extract.js';
import { gridOffset, planSupersets } from '../../src/extract/superset.js';
import type { ExtractionPlan } from '../../src/extract/plan.js';
import type { VideoRequest } from '../../src/extract/types.js';
import { liveChildCount } from '../../src/media/process.js';
import { parseRational } from '../../src/media/rational.js';
import { runFfmpeg } from '../../src/media/tools.js';
import { expectedSourceFrame, makeIndexedVideo, readImageSequenceIndices, type IndexedVideo } from '../helpers/frame-media.js';

let dir: string;
const media: Record<string, IndexedVideo> = {};
let truncated: string;
let cacheCount = 0;
const freshCache = () => path.join(dir, `cache-${cacheCount++}`);

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fs-superset-'));
  const base = { width: 160, height: 90 } as const;
  await Promise.all([
    makeIndexedVideo(path.join(dir, 'cfr.mp4'), { ...base, fps: 30, frames: 90, codec: 'h264' }).then((v) => {
      media.cfr = v;
    }),
    makeIndexedVideo(path.join(dir, 'c24.mp4'), { ...base, fps: 24, frames: 72, codec: 'h264', gop: 250 }).then((v) => {
      media.c24 = v;
    }),
    makeIndexedVideo(path.join(dir, 'vfr.mp4'), { ...base, fps: 30, frames: 90, codec: 'h264', vfr: 'pattern' }).then((v) => {
      media.vfr = v;
    }),
    makeIndexedVideo(path.join(dir, 'ntsc.mp4'), { ...base, fps: '30000/1001', frames: 90, codec: 'h264' }).then((v) => {
      media.ntsc = v;
    }),
    makeIndexedVideo(path.join(dir, 'vp9.webm'), { ...base, fps: 30, frames: 60, codec: 'vp9' }).then((v) => {
      media.vp9 = v;
    }),
    makeIndexedVideo(path.join(dir, 'whole.webm'), { ...base, fps: 30, frames: 90, codec: 'vp9' }),
  ]);
  // Cut in half: probes as 3 s long, decodes only the first ~1.5 s.
  truncated = path.join(dir, 'truncated.webm');
  await runFfmpeg(['-y', '-loglevel', 'error', '-i', path.join(dir, 'whole.webm'), '-c', 'copy', truncated]);
  await truncate(truncated, Math.floor((await stat(truncated)).size / 2));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Window {
  mediaStart: number;
  duration: number;
  rate?: number;
}

/** Extracts windows of `src` with the cache (superset) and without (direct); returns both. */
async function both(src: IndexedVideo, fps: number | string, windows: Window[], extra: Partial<VideoRequest> = {}) {
  const requests = windows.map(
    (w, i): VideoRequest => ({
      id: `w${i}`,
      src: src.path,
      mediaStart: w.mediaStart,
      duration: w.duration,
      playbackRate: w.rate ?? 1,
      ...extra,
    }),
  );
  const superset = await extractVideos(requests, { fps, outDir: path.join(dir, 'unused'), cache: freshCache() });
  const direct = await extractVideos(requests, { fps, outDir: path.join(dir, `direct-${cacheCount}`), cache: false });
  expect(superset.errors).toEqual([]);
  expect(direct.errors).toEqual([]);
  return { superset, direct, requests };
}

const cases: Array<{ name: string; src: string; fps: number | string; windows: Window[] }> = [
  {
    name: 'CFR, aligned trims',
    src: 'cfr',
    fps: 30,
    windows: [
      { mediaStart: 0, duration: 1 },
      { mediaStart: 0.5, duration: 1 },
      { mediaStart: 1.5, duration: 0.5 },
    ],
  },
  {
    name: 'non-aligned trims on one grid (0.51 + k/30)',
    src: 'cfr',
    fps: 30,
    windows: [
      { mediaStart: 0.51, duration: 0.8 },
      { mediaStart: 0.51 + 7 / 30, duration: 0.8 },
      { mediaStart: 0.51 + 24 / 30, duration: 0.5 },
    ],
  },
  {
    name: '24 fps source in 30, rate 1.5, sparse keyframes',
    src: 'c24',
    fps: 30,
    windows: [
      { mediaStart: 0.3, duration: 0.6, rate: 1.5 },
      { mediaStart: 0.3 + (10 * 1.5) / 30, duration: 0.6, rate: 1.5 },
    ],
  },
  {
    name: 'VFR',
    src: 'vfr',
    fps: 30,
    windows: [
      { mediaStart: 0.41, duration: 1 },
      { mediaStart: 0.41 + 13 / 30, duration: 1 },
    ],
  },
  {
    name: '30000/1001 in 30000/1001',
    src: 'ntsc',
    fps: '30000/1001',
    windows: [
      { mediaStart: 0.2, duration: 1.2 },
      { mediaStart: 0.2 + (20 * 1001) / 30000, duration: 1 },
    ],
  },
  {
    name: 'VP9 (millisecond timestamps)',
    src: 'vp9',
    fps: 30,
    windows: [
      { mediaStart: 0, duration: 1 },
      { mediaStart: 0.5, duration: 1 },
    ],
  },
];

describe('superset decoding', () => {
  it.each(cases)('$name: one pass, frames byte-identical to direct extraction and correct by pixels', async (c) => {
    const src = media[c.src]!;
    const { superset, direct, requests } = await both(src, c.fps, c.windows);
    expect(superset.metrics).toMatchObject({
      passes: 1,
      supersetGroups: 1,
      supersetMembers: c.windows.length,
      cacheMisses: c.windows.length,
    });
    expect(superset.metrics.supersetFramesSaved).toBeGreaterThan(0);
    const fps = parseRational(c.fps)!;
    for (const [i, v] of superset.extracted.entries()) {
      const d = direct.extracted[i]!;
      expect(v.frames.length, v.videoId).toBe(d.frames.length);
      for (const [k, file] of v.frames.entries())
        expect((await readFile(file)).equals(await readFile(d.frames[k]!)), `${v.videoId} slot ${k}`).toBe(true);
      const req = requests[i]!;
      const want = v.frames.map((_, k) => expectedSourceFrame(src.pts, req.mediaStart! + (k * req.playbackRate! * fps.den) / fps.num));
      expect(await readImageSequenceIndices(v.outputDir, v.format)).toEqual(want);
    }
    // Each member is its own published entry; the union's scratch directory is gone.
    await superset.release();
    const cache = path.dirname(path.dirname(superset.extracted[0]!.outputDir));
    expect(await readdir(path.join(cache, 'entries'))).toHaveLength(c.windows.length);
    expect(await readdir(path.join(cache, 'partial'))).toEqual([]);
  });

  it('a loop member shares the union with a plain clip', async () => {
    const { superset, direct } = await both(
      media.cfr!,
      30,
      [
        { mediaStart: 2, duration: 2 },
        { mediaStart: 2.5, duration: 0.3 },
      ],
      { loop: true },
    );
    expect(superset.metrics).toMatchObject({ passes: 1, supersetGroups: 1 });
    expect(superset.extracted[0]!.frames).toHaveLength(30);
    for (const [i, v] of superset.extracted.entries()) {
      for (const [k, file] of v.frames.entries())
        expect((await readFile(file)).equals(await readFile(direct.extracted[i]!.frames[k]!))).toBe(true);
    }
    await superset.release();
  });

  it('a disjoint outlier and a window off the grid stay direct', async () => {
    const windows = [
      { mediaStart: 0, duration: 0.5 },
      { mediaStart: 0.4, duration: 0.5 },
      { mediaStart: 2, duration: 0.3 },
      { mediaStart: 0.25 + 0.01, duration: 0.3 },
    ];
    const { superset, direct } = await both(media.cfr!, 30, windows);
    // One source: its three decodes (the group's union and the two others) are branches of one source pass.
    expect(superset.metrics).toMatchObject({ passes: 1, sourcePasses: 1, supersetGroups: 1, supersetMembers: 2, cacheMisses: 4 });
    for (const [i, v] of superset.extracted.entries()) {
      for (const [k, file] of v.frames.entries())
        expect((await readFile(file)).equals(await readFile(direct.extracted[i]!.frames[k]!))).toBe(true);
    }
    await superset.release();
  });

  it('touching windows share; the same windows without the cache are two branches of one source pass', async () => {
    const requests = [
      { id: 'x', src: media.cfr!.path, mediaStart: 0, duration: 0.5 },
      { id: 'y', src: media.cfr!.path, mediaStart: 0.5, duration: 0.5 },
    ];
    const cached = await extractVideos(requests, { fps: 30, outDir: dir, cache: freshCache() });
    expect(cached.metrics).toMatchObject({ passes: 1, supersetGroups: 1, supersetFramesSaved: 0 });
    await cached.release();
    const uncached = await extractVideos(requests, { fps: 30, outDir: path.join(dir, 'touch-direct'), cache: false });
    expect(uncached.metrics).toMatchObject({ passes: 1, sourcePasses: 1, supersetGroups: 0 });
  });

  it('a truncated file: the union serves what decodes, and the member running past the cut is reported short', async () => {
    // The union (0–2.4 s) runs past where the file really ends; the first member's window does not.
    const result = await extractVideos(
      [
        { id: 'early', src: truncated, mediaStart: 0, duration: 0.5 },
        { id: 'late', src: truncated, mediaStart: 0.4, duration: 2 },
      ],
      { fps: 30, outDir: dir, cache: freshCache() },
    );
    // A short decode is not a failure (the clip holds its last frame; a render warns): no fallback.
    expect(result.metrics).toMatchObject({ supersetGroups: 1, supersetFallbacks: 0, passes: 1, sourcePasses: 1 });
    expect(result.errors).toEqual([]);
    const [early, late] = result.extracted;
    expect(early!.truncated).toBeUndefined();
    expect(await readImageSequenceIndices(early!.outputDir, 'jpg')).toEqual(Array.from({ length: 15 }, (_, k) => k));
    const decoded = late!.frames.length;
    expect(late!.truncated).toEqual({ promised: 60, decoded });
    expect(decoded).toBeLessThan(50);
    expect(await readImageSequenceIndices(late!.outputDir, 'jpg')).toEqual(Array.from({ length: decoded }, (_, k) => 12 + k));
    await result.release();
  });

  it('a cancel during the union pass reports every member cancelled and starts no new pass', async () => {
    const controller = new AbortController();
    const cache = freshCache();
    const requests = [0, 0.5, 1].map((mediaStart, i) => ({ id: `c${i}`, src: media.cfr!.path, mediaStart, duration: 1.2 }));
    const result = await extractVideos(requests, {
      fps: 30,
      outDir: dir,
      cache,
      signal: controller.signal,
      onProgress: ({ done }) => {
        if (done > 0) controller.abort();
      },
    });
    expect(result.metrics).toMatchObject({ passes: 1, supersetGroups: 1, supersetFallbacks: 0 });
    expect(result.errors.map((e) => [e.videoId, e.kind])).toEqual([
      ['c0', 'cancelled'],
      ['c1', 'cancelled'],
      ['c2', 'cancelled'],
    ]);
    expect(liveChildCount()).toBe(0);
    await result.release();
    expect(await readdir(path.join(cache, 'entries'))).toEqual([]);
    expect(await readdir(path.join(cache, 'partial'))).toEqual([]);
  });
});

describe('planSupersets', () => {
  const plan = (mediaStart: number, frameCount: number, extra: Partial<ExtractionPlan> = {}) =>
    ({
      source: '/s.mp4',
      identity: { dev: 1, ino: 1, size: 1, mtimeMs: 1 },
      mediaStart,
      frameCount,
      playbackRate: 1,
      fps: { num: 30, den: 1 },
      key: `k${mediaStart}`,
      ...extra,
    }) as ExtractionPlan;

  it('groups overlap-connected members on one grid; offsets are whole slots', () => {
    expect(gridOffset(plan(0.1, 5), plan(0.1 + 7 / 30, 5))).toBe(7);
    expect(gridOffset(plan(0.1, 5), plan(0.12, 5))).toBeNull();
    expect(gridOffset(plan(0, 5), plan(0.1, 5, { playbackRate: 2 }))).toBeNull();
    const { groups, direct } = planSupersets([
      { item: 'a', plan: plan(0, 10), bucket: 's' },
      { item: 'b', plan: plan(0.3, 10), bucket: 's' }, // slot 9: overlaps a
      { item: 'c', plan: plan(1, 5), bucket: 's' }, // slot 30: after the group's end (19)
      { item: 'd', plan: plan(0.3, 10), bucket: 'other' },
    ]);
    expect(direct.sort()).toEqual(['c', 'd']);
    expect(groups).toHaveLength(1);
    expect(groups[0]!.members.map((m) => [m.item, m.offset])).toEqual([
      ['a', 0],
      ['b', 9],
    ]);
    expect(groups[0]!.union.frameCount).toBe(19);
    expect(groups[0]!.framesSaved).toBe(1);
  });
});
