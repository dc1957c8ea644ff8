/**
 * Frames shared through a render's storage (src/extract/shared-frames.ts), with real ffmpeg on a
 * source whose every frame shows its index: a non-aligned trim whose windows start mid-GOP. Two
 * fetchers wanting overlapping ranges at once decode each window once (the other waits), every frame
 * is the one due and byte for byte what a whole pass writes; a re-run decodes nothing; a claim left by
 * a dead worker is taken over once silent; a damaged published frame is decoded again.
 */
import { mkdtemp, readFile, rm, truncate, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceIdentity } from '../../src/cache/identity.js';
import { openFrameCache } from '../../src/cache/store.js';
import { runExtractionPass, passStats } from '../../src/extract/pass.js';
import { planVideo, type ExtractionPlan } from '../../src/extract/plan.js';
import { obtainFrames, sharedFramesStats, type SharedRecipe } from '../../src/extract/shared-frames.js';
import { normalizeRequest } from '../../src/extract/validate.js';
import { windowKey, WINDOW_SLOTS } from '../../src/extract/windows.js';
import { probeMedia } from '../../src/media/probe.js';
import { getTools } from '../../src/media/tools.js';
import { DirectoryStorage } from '../../src/storage/storage.js';
import { expectedSourceFrame, makeIndexedVideo, readImageSequenceIndices, type IndexedVideo } from '../helpers/frame-media.js';

const FAST = { beatMs: 50, staleMs: 600, pollMs: 40 };
const MEDIA_START = 0.517;

let dir: string;
let media: IndexedVideo;
let plan: ExtractionPlan;
let sourceId: string;
let whole: string[];

/** The recipe, and how often its source was asked for (only a decoding fetcher asks). */
function recipe(): SharedRecipe & { sourceAsked: number } {
  const r = {
    videoId: 'clip',
    plan,
    sourceId,
    sourceAsked: 0,
    ensureSource: async () => {
      r.sourceAsked++;
    },
  };
  return r;
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/**
 * Every slot's file has the bytes of a whole pass's frame for the slot (whose pixels were checked to
 * show the source frame due: beforeAll).
 */
async function expectExact(files: Map<number, string>, slots: number[]): Promise<void> {
  const wrong: string[] = [];
  for (const k of slots) if (!(await readFile(files.get(k)!)).equals(await readFile(whole[k]!))) wrong.push(`slot ${k}`);
  expect(wrong).toEqual([]);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fs-shared-frames-'));
  // A keyframe every 50 frames: windows (64 slots) start mid-GOP, so each decode has a preroll.
  media = await makeIndexedVideo(path.join(dir, 'src.mp4'), { width: 160, height: 96, fps: 30, frames: 240, codec: 'h264', gop: 50 });
  const request = normalizeRequest({ id: 'clip', src: media.path, mediaStart: MEDIA_START, duration: 6.5 }, dir);
  plan = planVideo(request, await probeMedia(media.path), {
    fps: { num: 30, den: 1 },
    format: 'jpg',
    jpegQuality: 3,
    colorTarget: 'sdr',
  }).plan;
  sourceId = await sourceIdentity(media.path);
  whole = (await runExtractionPass(plan, path.join(dir, 'whole'))).frames;
  const due = whole.map((_, k) => expectedSourceFrame(media.pts, MEDIA_START + k / 30));
  expect(await readImageSequenceIndices(path.join(dir, 'whole'), 'jpg')).toEqual(due);
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('frames shared through the storage', () => {
  it('two fetchers at once over overlapping windows: each window decoded once, the other waits; every frame exact; a re-run decodes nothing', async () => {
    expect(plan.frameCount).toBe(195);
    const storage = new DirectoryStorage(path.join(dir, 'storage-a'));
    const a = recipe();
    const b = recipe();
    const [sa, sb] = [sharedFramesStats(), sharedFramesStats()];
    const slotsA = range(40, 100); // windows 0, 1
    const slotsB = range(90, 150); // windows 1, 2
    const [fa, fb] = await Promise.all([
      obtainFrames(a, slotsA, { storage, timings: FAST }, sa),
      obtainFrames(b, slotsB, { storage, timings: FAST }, sb),
    ]);
    expect(sa.windows + sb.windows).toBe(4);
    // Three windows, three decodes in all: window 1 by exactly one of them, waited for or found by the other.
    expect(sa.decoded + sb.decoded).toBe(3);
    expect(sa.waited + sb.waited + sa.found + sb.found).toBe(1);
    await expectExact(fa, slotsA);
    await expectExact(fb, slotsB);
    // Claims are gone once published.
    expect(await storage.listShared(`frames/.claims/${windowKey(plan, sourceId, 1, (await getTools()).major)}`)).toEqual([]);

    const again = sharedFramesStats();
    const runs = passStats.runs;
    const c = recipe();
    await expectExact(await obtainFrames(c, range(0, 150), { storage, timings: FAST }, again), range(0, 150));
    expect(again).toMatchObject({ windows: 3, found: 3, decoded: 0, passes: 0 });
    expect(passStats.runs).toBe(runs);
    expect(c.sourceAsked).toBe(0);

    // With a frame cache, what was found is kept there: a storage that lost the windows is not needed.
    const cache = (await openFrameCache({ dir: path.join(dir, 'cache') }))!;
    try {
      await obtainFrames(recipe(), range(0, 150), { storage, cache, timings: FAST }, sharedFramesStats());
      const fromCache = sharedFramesStats();
      const empty = new DirectoryStorage(path.join(dir, 'storage-empty'));
      await expectExact(await obtainFrames(recipe(), range(0, 150), { storage: empty, cache, timings: FAST }, fromCache), range(0, 150));
      expect(fromCache).toMatchObject({ windows: 3, cached: 3, found: 0, decoded: 0 });
    } finally {
      cache.close();
    }
  });

  it("a dead worker's claim is taken over once silent (by the waiter's own clock); a damaged published frame is decoded again", async () => {
    const storage = new DirectoryStorage(path.join(dir, 'storage-b'));
    const major = (await getTools()).major;
    const key = windowKey(plan, sourceId, 2, major);
    // A claim nobody beats: its worker was killed mid-decode.
    await mkdir(path.join(storage.root, 'frames', '.claims', key), { recursive: true });
    await writeFile(path.join(storage.root, 'frames', '.claims', key, '1'), 'gone 1 x 0\n');
    const stats = sharedFramesStats();
    const slots = range(2 * WINDOW_SLOTS, 3 * WINDOW_SLOTS);
    await expectExact(await obtainFrames(recipe(), slots, { storage, timings: FAST }, stats), slots);
    expect(stats).toMatchObject({ windows: 1, takenOver: 1, decoded: 1 });

    // One frame of the published window loses its tail: the window is removed and decoded again.
    await truncate(path.join(storage.root, 'frames', key, `000${2 * WINDOW_SLOTS + 3}.jpg`), 100);
    const repaired = sharedFramesStats();
    await expectExact(await obtainFrames(recipe(), slots, { storage, timings: FAST }, repaired), slots);
    expect(repaired).toMatchObject({ windows: 1, found: 0, decoded: 1 });
  });
});
