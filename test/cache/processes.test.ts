/**
 * The cache across real, separate processes: racing publishers, a writer killed mid-write, leases held
 * by live and killed processes during GC, and hardlinked frames counted once.
 */
import { link, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cacheKey } from '../../src/cache/key.js';
import { openFrameCache, type FrameCache } from '../../src/cache/store.js';
import {
  SAMPLE_RECIPE,
  SAMPLE_SOURCE,
  buildForChildren,
  readFrameBytes,
  removeBuild,
  runScript,
  tempDir,
  writeFrames,
  type Child,
} from './helpers.js';

let build: string;
let scripts: string;
let root: string;
const children: Child[] = [];

/** One child script with three roles, chosen by argv[2]. */
const CHILD = (buildDir: string) => `
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
const { openFrameCache } = await import(${JSON.stringify(path.join(buildDir, 'cache', 'store.js'))});
const [role, root, key, writer, countText, goFile] = process.argv.slice(2);
const recipe = ${JSON.stringify(SAMPLE_RECIPE)};
const sourceId = ${JSON.stringify(SAMPLE_SOURCE)};
const cache = await openFrameCache({ dir: root, budgetBytes: 1024 ** 3 });
const frame = (k) => Buffer.from(('slot=' + k + ' writer=' + writer + ';').padEnd(1000, '.'));
async function writeFrames(dir, count) {
  const names = [];
  for (let k = 0; k < count; k++) {
    const name = String(k).padStart(6, '0') + '.bin';
    await writeFile(path.join(dir, name), frame(k));
    names.push(name);
  }
  return names;
}
if (role === 'race') {
  console.log('ready');
  while (!existsSync(goFile)) await new Promise((r) => setTimeout(r, 2));
  const w = await cache.beginWrite(key);
  const names = await writeFrames(w.dir, Number(countText));
  const entry = await cache.publish(w, { frames: names, sourceId, recipe, meta: { writer } });
  console.log(JSON.stringify({ winner: entry.manifest.meta.writer, adopted: entry.adopted, dir: entry.dir, frames: entry.frames.length }));
  cache.close();
} else if (role === 'partial') {
  const w = await cache.beginWrite(key);
  await writeFrames(w.dir, Number(countText));
  console.log('partial ' + w.dir);
  setInterval(() => {}, 1000);
} else if (role === 'lease') {
  const hit = await cache.lookup(key);
  console.log('leased ' + (hit ? hit.frames.length : 'miss'));
  setInterval(() => {}, 1000);
}
`;

beforeAll(async () => {
  build = await buildForChildren();
  scripts = await tempDir('fs-cache-scripts-');
  await writeFile(path.join(scripts, 'child.mjs'), CHILD(build));
});
afterAll(async () => {
  await removeBuild(build);
  await rm(scripts, { recursive: true, force: true });
});

let cache: FrameCache;
beforeEach(async () => {
  root = await tempDir();
  cache = (await openFrameCache({ dir: root, budgetBytes: 1024 ** 3 }))!;
});
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
    await child.exited;
  }
  cache.close();
  await rm(root, { recursive: true, force: true });
});

function spawnChild(...args: string[]): Child {
  const child = runScript(path.join(scripts, 'child.mjs'), args);
  children.push(child);
  return child;
}

function keyFor(slotCount: number): string {
  return cacheKey({ sourceId: SAMPLE_SOURCE, recipe: { ...SAMPLE_RECIPE, slotCount } });
}

async function publishEntry(target: FrameCache, key: string, writer: string, count = 10): Promise<string> {
  const w = await target.beginWrite(key);
  const frames = await writeFrames(w.dir, count, writer);
  const entry = await target.publish(w, { frames, sourceId: SAMPLE_SOURCE, recipe: SAMPLE_RECIPE, meta: { writer } });
  await target.release(key);
  return entry.dir;
}

async function setLastUse(key: string, seconds: number): Promise<void> {
  await utimes(path.join(root, 'entries', key), seconds, seconds);
}

async function entryKeys(): Promise<string[]> {
  return (await readdir(path.join(root, 'entries'))).sort();
}

describe('across processes', () => {
  it('racing publishers in separate processes end with one valid entry, adopted by all, and no leftovers', async () => {
    const key = keyFor(40);
    const go = path.join(root, 'go');
    const writers = ['w0', 'w1', 'w2', 'w3'];
    const racers = writers.map((w) => spawnChild('race', root, key, w, '40', go));
    await Promise.all(racers.map((c) => c.waitFor(/^ready$/)));
    await writeFile(go, '');
    const results = await Promise.all(
      racers.map(async (c) => JSON.parse(await c.waitFor(/^\{/)) as { winner: string; adopted: boolean; dir: string; frames: number }),
    );
    for (const c of racers) expect((await c.exited).code).toBe(0);

    const winner = results[0]!.winner;
    expect(writers).toContain(winner);
    // Exactly one rename won; every other writer found the entry in place and adopted it.
    expect(results.map((r, i) => [writers[i], r.adopted])).toEqual(writers.map((w) => [w, w !== winner]));
    for (const result of results) expect(result).toMatchObject({ winner, dir: path.join(root, 'entries', key), frames: 40 });
    // The entry is wholly the winner's: no frame from a loser got mixed in.
    const hit = (await cache.lookup(key))!;
    expect(hit.frames).toHaveLength(40);
    for (let k = 0; k < 40; k++) expect(readFrameBytes(await readFile(hit.frames[k]!))).toEqual({ slot: k, writer: winner });
    expect(await readdir(path.join(root, 'partial'))).toEqual([]);
    expect(await readdir(path.join(root, 'trash'))).toEqual([]);
    expect(await entryKeys()).toEqual([key]);
    // Children exited normally, so their leases went with them; only ours (from lookup) remains.
    expect((await readdir(path.join(root, 'leases'))).filter((n) => !n.startsWith(`${key}.${process.pid}-`))).toEqual([]);
  });

  it('a writer killed mid-write leaves a partial that is never served and is swept once its process is dead', async () => {
    const key = keyFor(5);
    const writer = spawnChild('partial', root, key, 'killed', '5');
    const partial = (await writer.waitFor(/^partial /)).slice('partial '.length);
    expect((await readdir(partial)).length).toBe(5);
    expect(await cache.lookup(key)).toBeNull();

    // While the writer lives, opening the cache (which sweeps) must not touch its partial.
    (await openFrameCache({ dir: root }))!.close();
    expect((await readdir(partial)).length).toBe(5);

    writer.process.kill('SIGKILL');
    expect((await writer.exited).signal).toBe('SIGKILL');
    expect(await cache.lookup(key)).toBeNull();
    (await openFrameCache({ dir: root }))!.close();
    await expect(stat(partial)).rejects.toThrow(/ENOENT/);
    expect(await readdir(path.join(root, 'partial'))).toEqual([]);

    // And the key is publishable afresh.
    await publishEntry(cache, key, 'fresh', 5);
    expect(readFrameBytes(await readFile((await cache.lookup(key))!.frames[4]!))).toEqual({ slot: 4, writer: 'fresh' });
  });

  it('GC evicts least recently used down to the budget, skips an entry leased by a live process, and not one of a killed process', async () => {
    const [a, b, c, d] = [1, 2, 3, 4].map(keyFor) as [string, string, string, string];
    for (const key of [a, b, c, d]) await publishEntry(cache, key, key.slice(0, 6));
    const holder = spawnChild('lease', root, a);
    expect(await holder.waitFor(/^leased /)).toBe('leased 10');
    // Oldest first: a, b, c, d (set after the child's lookup, which refreshed a).
    for (const [i, key] of [a, b, c, d].entries()) await setLastUse(key, 1_000_000 + i * 1000);

    const total = (await cache.stats()).bytes;
    const perEntry = total / 4;
    expect(Number.isInteger(perEntry)).toBe(true);
    const tight = (await openFrameCache({ dir: root, budgetBytes: Math.floor(2.5 * perEntry) }))!;
    const first = await tight.gc();
    // a is the oldest but leased: b and c go instead.
    expect(first).toMatchObject({ evicted: 2, bytesFreed: 2 * perEntry, bytesAfter: 2 * perEntry, skipped: false });
    expect(await entryKeys()).toEqual([a, d].sort());
    expect(tight.metrics).toMatchObject({ gcEvictions: 2, gcBytesFreed: 2 * perEntry });
    tight.close();

    holder.process.kill('SIGKILL');
    await holder.exited;
    const tighter = (await openFrameCache({ dir: root, budgetBytes: Math.floor(1.5 * perEntry) }))!;
    expect(await tighter.gc()).toMatchObject({ evicted: 1, bytesFreed: perEntry });
    expect(await entryKeys()).toEqual([d]);
    // The dead child's lease file was cleaned up on the way.
    expect((await readdir(path.join(root, 'leases'))).filter((n) => n.startsWith(a))).toEqual([]);
    tighter.close();
  });

  it('counts hardlinked frames once and frees their bytes only with the last entry linking them', async () => {
    const [e, f] = [keyFor(7), keyFor(8)];
    const eDir = await publishEntry(cache, e, 'shared', 10);
    const w = await cache.beginWrite(f);
    const names: string[] = [];
    for (const name of (await readdir(eDir)).filter((n) => n.endsWith('.bin')).sort()) {
      await link(path.join(eDir, name), path.join(w.dir, name));
      names.push(name);
    }
    await cache.publish(w, { frames: names, sourceId: SAMPLE_SOURCE, recipe: SAMPLE_RECIPE });
    await cache.release(f);
    const manifestE = (await stat(path.join(root, 'entries', e, 'manifest.json'))).size;
    const manifestF = (await stat(path.join(root, 'entries', f, 'manifest.json'))).size;
    expect((await cache.stats()).bytes).toBe(10 * 1000 + manifestE + manifestF);

    await setLastUse(e, 1_000_000);
    await setLastUse(f, 2_000_000);
    const justF = (await openFrameCache({ dir: root, budgetBytes: 10 * 1000 + manifestF }))!;
    // Evicting e frees only its manifest: f still links every frame.
    expect(await justF.gc()).toMatchObject({ evicted: 1, bytesFreed: manifestE });
    justF.close();
    const none = (await openFrameCache({ dir: root, budgetBytes: 0 }))!;
    expect(await none.gc()).toMatchObject({ evicted: 1, bytesFreed: 10 * 1000 + manifestF, bytesAfter: 0 });
    none.close();
    expect(await entryKeys()).toEqual([]);
  });
});
