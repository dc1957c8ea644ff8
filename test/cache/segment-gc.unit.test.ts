/**
 * The chunk segments incremental renders keep (src/cache/segments.ts) are under the cache budget:
 * counted by `cacheStats`, evicted least recently used first by `runGc` (a segment taken again is
 * recently used), all removed by `cache clear`; a segment evicted between the check and the link is a
 * miss, not an error.
 */
import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cacheStats, runGc } from '../../src/cache/gc.js';
import { SegmentStore } from '../../src/cache/segments.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** A cache directory holding segments `a`, `b`, `c` of 1000 bytes each, last used in that order (a oldest). */
async function cacheWithSegments(): Promise<{ root: string; store: SegmentStore; work: string }> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'fs-segment-gc-'));
  dirs.push(root);
  const work = path.join(root, 'work');
  const store = new SegmentStore(root);
  await writeFile(path.join(root, 'seed.mp4'), Buffer.alloc(1000, 7));
  const now = Date.now() / 1000;
  for (const [i, key] of ['a', 'b', 'c'].entries()) {
    await store.put(key, 'mp4', path.join(root, 'seed.mp4'));
    await rm(path.join(root, 'seed.mp4'));
    await writeFile(path.join(root, 'seed.mp4'), Buffer.alloc(1000, 7 + i + 1));
    await utimes(store.segmentPath(key, 'mp4'), now - 3000 + i * 1000, now - 3000 + i * 1000);
  }
  await store.writeRecord('ranges', 'r1', { lists: [['x']] });
  await rm(path.join(root, 'seed.mp4'));
  await mkdir(work);
  return { root, store, work };
}

describe('segments under the cache budget', () => {
  it('are counted and evicted oldest first; a segment taken is used again', async () => {
    const { root, store, work } = await cacheWithSegments();
    expect((await cacheStats(root, 10_000)).segmentBytes).toBeGreaterThanOrEqual(3000);
    // Taking `a` makes it the most recently used: `b` is now the oldest.
    expect(await store.take('a', 'mp4', path.join(work, 'a.mp4'))).toBe(true);
    const gc = await runGc(root, { budgetBytes: 2100 });
    expect(gc.evicted).toBe(1);
    expect(await store.has('b', 'mp4')).toBe(false);
    expect(await store.has('a', 'mp4')).toBe(true);
    expect(await store.has('c', 'mp4')).toBe(true);
    // The render's own link survives the store's eviction.
    await runGc(root, { budgetBytes: 0, clear: true });
    expect((await readdir(store.dir)).filter((n) => n.endsWith('.mp4'))).toEqual([]);
    expect((await stat(path.join(work, 'a.mp4'))).size).toBe(1000);
    // The records are hints and stay; a segment gone is a miss.
    expect(await store.readRecord('ranges', 'r1')).toEqual({ lists: [['x']] });
    expect(await store.take('c', 'mp4', path.join(work, 'c.mp4'))).toBe(false);
  });
});
