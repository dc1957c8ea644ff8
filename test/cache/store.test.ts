/**
 * In-process behaviour of the frame cache against a real directory: keys, round trip, validation of
 * damaged entries, configuration and the unusable-directory fallback.
 */
import { mkdir, readdir, readFile, rm, truncate, unlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cacheKey, normalizeRecipe } from '../../src/cache/key.js';
import { openFrameCache, type FrameCache } from '../../src/cache/store.js';
import { parseByteSize, resolveBudget, resolveCacheDir, DEFAULT_BUDGET_BYTES } from '../../src/cache/config.js';
import { CacheError } from '../../src/cache/errors.js';
import { SAMPLE_RECIPE, SAMPLE_SOURCE, readFrameBytes, tempDir, writeFrames } from './helpers.js';

let root: string;
let cache: FrameCache;

beforeEach(async () => {
  root = await tempDir();
  cache = (await openFrameCache({ dir: root, budgetBytes: 1024 ** 3 }))!;
});
afterEach(async () => {
  cache.close();
  await rm(root, { recursive: true, force: true });
});

async function publishSample(key: string, count: number, writer: string) {
  const w = await cache.beginWrite(key);
  const frames = await writeFrames(w.dir, count, writer);
  return cache.publish(w, { frames, sourceId: SAMPLE_SOURCE, recipe: SAMPLE_RECIPE, meta: { writer } });
}

/** Checks each frame of an entry is the expected slot from the expected writer. */
async function expectFrames(paths: string[], count: number, writer: string) {
  expect(paths).toHaveLength(count);
  for (let k = 0; k < count; k++) {
    expect(readFrameBytes(await readFile(paths[k]!))).toEqual({ slot: k, writer });
  }
}

describe('cacheKey', () => {
  const key = cacheKey({ sourceId: SAMPLE_SOURCE, recipe: SAMPLE_RECIPE });

  it('changes with every recipe field and the source, and only with them', () => {
    const variants: Array<Partial<typeof SAMPLE_RECIPE> | Record<string, unknown>> = [
      { mediaStart: 0.5 },
      { slotCount: 11 },
      { slotCount: null },
      { playbackRate: 2 },
      { loop: true },
      { fps: '30000/1001' },
      { width: 65 },
      { height: 37 },
      { jpegQuality: 4 },
      { format: 'png', jpegQuality: null },
      { colorTarget: 'pq' },
      { ffmpegMajor: 6 },
    ];
    const keys = new Set([key]);
    for (const change of variants)
      keys.add(cacheKey({ sourceId: SAMPLE_SOURCE, recipe: { ...SAMPLE_RECIPE, ...change } as typeof SAMPLE_RECIPE }));
    keys.add(cacheKey({ sourceId: `sha256:${'cd'.repeat(32)}`, recipe: SAMPLE_RECIPE }));
    expect(keys.size).toBe(variants.length + 2);
    expect(key).toMatch(/^[0-9a-f]{40}$/);
  });

  it('normalises equivalent recipes to one key', () => {
    expect(cacheKey({ sourceId: SAMPLE_SOURCE, recipe: { ...SAMPLE_RECIPE, fps: '60/2' } })).toBe(key);
    expect(cacheKey({ sourceId: SAMPLE_SOURCE, recipe: { ...SAMPLE_RECIPE, mediaStart: -0 } })).toBe(key);
    const png = { ...SAMPLE_RECIPE, format: 'png' as const };
    expect(cacheKey({ sourceId: SAMPLE_SOURCE, recipe: { ...png, jpegQuality: 3 } })).toBe(
      cacheKey({ sourceId: SAMPLE_SOURCE, recipe: { ...png, jpegQuality: 9 } }),
    );
    expect(normalizeRecipe({ ...SAMPLE_RECIPE, fps: '29.97' }).fps).toBe('2997/100');
  });

  it('rejects malformed recipes with a typed error naming the field', () => {
    expect(() => cacheKey({ sourceId: SAMPLE_SOURCE, recipe: { ...SAMPLE_RECIPE, fps: 'fast' } })).toThrow(/fps "fast"/);
    expect(() => cacheKey({ sourceId: SAMPLE_SOURCE, recipe: { ...SAMPLE_RECIPE, width: 0 } })).toThrow(CacheError);
    expect(() => cacheKey({ sourceId: 'video.mp4', recipe: SAMPLE_RECIPE })).toThrow(/sourceIdentity/);
  });
});

describe('publish and lookup', () => {
  const key = cacheKey({ sourceId: SAMPLE_SOURCE, recipe: SAMPLE_RECIPE });

  it('round-trips frames in slot order, counting hits and misses', async () => {
    expect(await cache.lookup(key)).toBeNull();
    const published = await publishSample(key, 12, 'w1');
    expect(published.dir).toBe(path.join(root, 'entries', key));
    await expectFrames(published.frames, 12, 'w1');
    const hit = await cache.lookup(key);
    expect(hit).not.toBeNull();
    await expectFrames(hit!.frames, 12, 'w1');
    expect(hit!.manifest.meta).toEqual({ writer: 'w1' });
    expect(hit!.manifest.recipe).toEqual(SAMPLE_RECIPE);
    expect(cache.metrics).toMatchObject({ cacheHits: 1, cacheMisses: 1, publishFailures: 0 });
    expect(await readdir(path.join(root, 'partial'))).toEqual([]);
  });

  it('a hit in a second cache object (same directory) sees the entry', async () => {
    await publishSample(key, 3, 'w1');
    const other = (await openFrameCache({ dir: root }))!;
    try {
      await expectFrames((await other.lookup(key))!.frames, 3, 'w1');
    } finally {
      other.close();
    }
  });

  for (const damage of ['delete', 'truncate', 'manifest'] as const) {
    it(`detects a damaged entry (${damage}), misses, and the next publish replaces it`, async () => {
      const first = await publishSample(key, 5, 'old');
      if (damage === 'delete') await unlink(first.frames[3]!);
      if (damage === 'truncate') await truncate(first.frames[2]!, 10);
      if (damage === 'manifest') await writeFile(path.join(first.dir, 'manifest.json'), '{"schema":1,');
      expect(await cache.lookup(key)).toBeNull();
      expect(cache.metrics.cacheMisses).toBe(1);
      const replaced = await publishSample(key, 5, 'new');
      await expectFrames(replaced.frames, 5, 'new');
      await expectFrames((await cache.lookup(key))!.frames, 5, 'new');
    });
  }

  it('replaces a damaged entry even when it is still in place at publish time', async () => {
    const first = await publishSample(key, 4, 'old');
    await truncate(first.frames[0]!, 1);
    // No lookup in between: publish itself must notice the existing entry is damaged.
    const replaced = await publishSample(key, 4, 'new');
    await expectFrames(replaced.frames, 4, 'new');
  });

  it('a lookup refreshes last use, so GC evicts the entry that was not used', async () => {
    const other = cacheKey({ sourceId: SAMPLE_SOURCE, recipe: { ...SAMPLE_RECIPE, slotCount: 99 } });
    await publishSample(key, 3, 'used');
    await publishSample(other, 3, 'unused');
    await cache.release(key);
    await cache.release(other);
    // `key` is the older entry by a wide margin...
    await utimes(path.join(root, 'entries', key), 1_000_000, 1_000_000);
    await utimes(path.join(root, 'entries', other), 2_000_000, 2_000_000);
    // ...until it is used.
    expect(await cache.lookup(key)).not.toBeNull();
    await cache.release(key);
    const { bytes } = await cache.stats();
    const small = (await openFrameCache({ dir: root, budgetBytes: Math.ceil(bytes / 2) }))!;
    expect(await small.gc()).toMatchObject({ evicted: 1 });
    small.close();
    expect(await readdir(path.join(root, 'entries'))).toEqual([key]);
  });

  it("two cache objects in one process share a lease file; closing one keeps the other's protection", async () => {
    await publishSample(key, 2, 'w');
    await cache.release(key);
    const second = (await openFrameCache({ dir: root }))!;
    expect(await cache.lookup(key)).not.toBeNull();
    expect(await second.lookup(key)).not.toBeNull();
    const leaseFiles = () => readdir(path.join(root, 'leases'));
    expect(await leaseFiles()).toHaveLength(1);
    second.close();
    expect(await leaseFiles()).toHaveLength(1);
    const evictAll = (await openFrameCache({ dir: root, budgetBytes: 0 }))!;
    expect(await evictAll.gc()).toMatchObject({ evicted: 0 });
    cache.close();
    expect(await leaseFiles()).toEqual([]);
    expect(await evictAll.gc()).toMatchObject({ evicted: 1 });
    evictAll.close();
  });

  it('publishing keeps the cache within its budget on its own, evicting the least recently used', async () => {
    const keys = [1, 2, 3, 4, 5].map((slotCount) => cacheKey({ sourceId: SAMPLE_SOURCE, recipe: { ...SAMPLE_RECIPE, slotCount } }));
    await publishSample(keys[0]!, 10, 'k0');
    await cache.release(keys[0]!);
    const perEntry = (await cache.stats()).bytes;
    const budgeted = (await openFrameCache({ dir: root, budgetBytes: Math.floor(2.5 * perEntry) }))!;
    for (const [i, key] of keys.slice(1).entries()) {
      // Distinct last-use times one second apart, oldest first, without sleeping.
      await utimes(path.join(root, 'entries', keys[i]!), 1_000_000 + i, 1_000_000 + i);
      const w = await budgeted.beginWrite(key);
      const frames = await writeFrames(w.dir, 10, `k${i + 1}`);
      await budgeted.publish(w, { frames, sourceId: SAMPLE_SOURCE, recipe: SAMPLE_RECIPE, meta: { writer: `k${i + 1}` } });
      await budgeted.release(key);
      expect((await budgeted.stats()).bytes).toBeLessThanOrEqual(2.5 * perEntry);
    }
    expect((await readdir(path.join(root, 'entries'))).sort()).toEqual([keys[3], keys[4]].sort());
    expect(budgeted.metrics.gcEvictions).toBe(3);
    budgeted.close();
  });

  it('abort removes the partial directory and publishes nothing', async () => {
    const w = await cache.beginWrite(key);
    await writeFrames(w.dir, 3, 'w');
    await cache.abort(w);
    expect(await readdir(path.join(root, 'partial'))).toEqual([]);
    expect(await cache.lookup(key)).toBeNull();
  });

  it('refuses to publish a frame that was never written, leaving the partial for abort', async () => {
    const w = await cache.beginWrite(key);
    const names = await writeFrames(w.dir, 2, 'w');
    await expect(cache.publish(w, { frames: [...names, '000002.bin'], sourceId: SAMPLE_SOURCE, recipe: SAMPLE_RECIPE })).rejects.toThrow(
      /000002\.bin was not written/,
    );
    expect(cache.metrics.publishFailures).toBe(1);
    expect(await readdir(path.join(root, 'partial'))).toHaveLength(1);
    expect(await cache.lookup(key)).toBeNull();
    await cache.abort(w);
  });
});

describe('configuration', () => {
  it('resolves the directory from option, environment, XDG and home, with "off" disabling', () => {
    expect(resolveCacheDir({ dir: '/x/y', env: { FRAMESMITH_CACHE_DIR: '/env' } })).toBe('/x/y');
    expect(resolveCacheDir({ dir: false, env: {} })).toBeNull();
    expect(resolveCacheDir({ env: { FRAMESMITH_CACHE_DIR: 'off', XDG_CACHE_HOME: '/xdg' } })).toBeNull();
    expect(resolveCacheDir({ env: { FRAMESMITH_CACHE_DIR: '/env', XDG_CACHE_HOME: '/xdg' } })).toBe('/env');
    expect(resolveCacheDir({ env: { XDG_CACHE_HOME: '/xdg', HOME: '/home/u' } })).toBe('/xdg/framesmith');
    expect(resolveCacheDir({ env: { HOME: '/home/u' } })).toBe('/home/u/.cache/framesmith');
  });

  it('parses budgets in bytes and units, and rejects malformed ones naming the variable', () => {
    expect(parseByteSize('5GiB')).toBe(5 * 1024 ** 3);
    expect(parseByteSize('500 MB')).toBe(500_000_000);
    expect(parseByteSize('1.5k')).toBe(1536);
    expect(parseByteSize('123')).toBe(123);
    expect(parseByteSize('lots')).toBeNull();
    expect(resolveBudget(undefined, {})).toBe(DEFAULT_BUDGET_BYTES);
    expect(resolveBudget(undefined, { FRAMESMITH_CACHE_BUDGET: '2MiB' })).toBe(2 * 1024 ** 2);
    expect(() => resolveBudget(undefined, { FRAMESMITH_CACHE_BUDGET: 'huge' })).toThrow(/FRAMESMITH_CACHE_BUDGET "huge"/);
  });

  it('opens disabled as null, and an unusable directory as null with exactly one warning', async () => {
    expect(await openFrameCache({ env: { FRAMESMITH_CACHE_DIR: 'off' } })).toBeNull();
    const blocker = path.join(root, 'a-file');
    await writeFile(blocker, 'not a directory');
    const warnings: string[] = [];
    const unusable = path.join(blocker, 'cache');
    for (let i = 0; i < 3; i++) expect(await openFrameCache({ dir: unusable, warn: (m) => warnings.push(m) })).toBeNull();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(unusable);
    expect(warnings[0]).toContain('FRAMESMITH_CACHE_DIR');
  });

  it('uses FRAMESMITH_CACHE_DIR from the environment', async () => {
    const dir = path.join(root, 'from-env');
    const fromEnv = (await openFrameCache({ env: { FRAMESMITH_CACHE_DIR: dir } }))!;
    expect(fromEnv.dir).toBe(dir);
    fromEnv.close();
    await mkdir(dir, { recursive: true });
    expect((await readdir(dir)).sort()).toEqual(['entries', 'leases', 'partial', 'remote', 'trash']);
  });
});
