/**
 * Frame checksums: a cached frame changed in place (same size, so a stat cannot tell) is never served.
 * The lookup finds it by its SHA-256, warns naming the frame file, removes the entry and misses; the
 * engine then extracts again, serves the right frames (by the index their pixels show) and the entry
 * on disk is whole again. Real ffmpeg and files.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { open, readFile, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { cacheKey } from '../../src/cache/key.js';
import { openFrameCache } from '../../src/cache/store.js';
import { extractVideos } from '../../src/extract/extract.js';
import { makeIndexedVideo, readImageSequenceIndices, type IndexedVideo } from '../helpers/frame-media.js';
import { SAMPLE_RECIPE, SAMPLE_SOURCE, readFrameBytes, tempDir, writeFrames } from './helpers.js';

let dir: string;
let media: IndexedVideo;

beforeAll(async () => {
  dir = await tempDir('fs-cache-verify-');
  media = await makeIndexedVideo(path.join(dir, 'clip.mp4'), { width: 160, height: 96, fps: 30, frames: 30, codec: 'h264' });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Overwrites `length` bytes of `file` at `offset` with their inverse: same size, other content. */
async function corruptInPlace(file: string, offset: number, length: number): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    const bytes = Buffer.alloc(length);
    await handle.read(bytes, 0, length, offset);
    for (let i = 0; i < length; i++) bytes[i] = 255 - bytes[i]!;
    await handle.write(bytes, 0, length, offset);
  } finally {
    await handle.close();
  }
}

describe('frame checksums in the store', () => {
  it('a frame changed in place is a miss with one warning naming it; the next publish replaces the entry', async () => {
    const root = path.join(dir, 'store');
    const warnings: string[] = [];
    const cache = (await openFrameCache({ dir: root, budgetBytes: 1024 ** 3, warn: (m) => warnings.push(m) }))!;
    try {
      const key = cacheKey({ sourceId: SAMPLE_SOURCE, recipe: SAMPLE_RECIPE });
      const w = await cache.beginWrite(key);
      const published = await cache.publish(w, {
        frames: await writeFrames(w.dir, 4, 'old'),
        sourceId: SAMPLE_SOURCE,
        recipe: SAMPLE_RECIPE,
      });
      expect(published.manifest.files.every((f) => /^[0-9a-f]{64}$/.test(f.sha256))).toBe(true);
      await cache.release(key);
      const size = (await stat(published.frames[2]!)).size;
      await corruptInPlace(published.frames[2]!, 100, 50);
      expect((await stat(published.frames[2]!)).size).toBe(size);

      expect(await cache.lookup(key)).toBeNull();
      expect(cache.metrics).toMatchObject({ cacheHits: 0, cacheMisses: 1, corruptEntries: 1 });
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(path.join(root, 'entries', key, '000002.bin'));
      expect(warnings[0]).toMatch(/does not match the checksum .*extracting its frames again/);
      // The damaged entry is gone, not left for the next reader.
      expect(await readdir(path.join(root, 'entries'))).toEqual([]);

      const again = await cache.beginWrite(key);
      const replaced = await cache.publish(again, {
        frames: await writeFrames(again.dir, 4, 'new'),
        sourceId: SAMPLE_SOURCE,
        recipe: SAMPLE_RECIPE,
      });
      const hit = await cache.lookup(key);
      expect(hit?.frames).toEqual(replaced.frames);
      for (const [k, frame] of hit!.frames.entries()) expect(readFrameBytes(await readFile(frame))).toEqual({ slot: k, writer: 'new' });
      expect(warnings).toHaveLength(1);
    } finally {
      cache.close();
    }
  });
});

describe('frame checksums in the engine', () => {
  it('a corrupted cached frame is re-extracted: right pixels, one warning naming the file, the entry fixed on disk', async () => {
    const cache = path.join(dir, 'engine');
    const request = [{ id: 'v', src: media.path, mediaStart: 0.2, duration: 0.5 }];
    const want = Array.from({ length: 15 }, (_, k) => 6 + k);
    const cold = await extractVideos(request, { fps: 30, outDir: path.join(dir, 'unused'), cache });
    expect(cold.errors).toEqual([]);
    const entry = cold.extracted[0]!;
    expect(await readImageSequenceIndices(entry.outputDir, 'jpg')).toEqual(want);
    await cold.release();

    // Frame 7 of the entry changes under the cache (a bad sector, a stray write): same size, other bytes.
    const victim = entry.frames[7]!;
    const original = await readFile(victim);
    await corruptInPlace(victim, Math.floor(original.length / 2), Math.min(100, Math.floor(original.length / 2) - 2));
    expect((await readFile(victim)).equals(original)).toBe(false);
    expect((await stat(victim)).size).toBe(original.length);

    const warnings: string[] = [];
    const repaired = await extractVideos(request, { fps: 30, outDir: path.join(dir, 'unused'), cache, onWarning: (m) => warnings.push(m) });
    expect(repaired.errors).toEqual([]);
    expect(repaired.metrics).toMatchObject({ cacheHits: 0, cacheMisses: 1, corruptEntries: 1, passes: 1 });
    expect(warnings).toEqual([expect.stringContaining(victim)]);
    const served = repaired.extracted[0]!;
    expect(served.cacheHit).toBe(false);
    // Same key, same entry path: the frame on disk is the original again, and every frame is right.
    expect(served.frames[7]).toBe(victim);
    expect((await readFile(victim)).equals(original)).toBe(true);
    expect(await readImageSequenceIndices(served.outputDir, 'jpg')).toEqual(want);
    await repaired.release();

    const warm = await extractVideos(request, { fps: 30, outDir: path.join(dir, 'unused'), cache, onWarning: (m) => warnings.push(m) });
    expect(warm.metrics).toMatchObject({ cacheHits: 1, cacheMisses: 0, corruptEntries: 0, passes: 0 });
    expect(warnings).toHaveLength(1);
    await warm.release();
    // Nothing was written where uncached passes go, and the source is untouched.
    expect(await readdir(path.join(dir, 'unused')).catch(() => [])).toEqual([]);
  });
});
