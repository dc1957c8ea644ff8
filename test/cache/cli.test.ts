/**
 * `framesmith cache stats | gc | clear` as a real child process running the compiled CLI entry point
 * (main()), against a real cache directory.
 */
import { execFile } from 'node:child_process';
import { readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cacheKey } from '../../src/cache/key.js';
import { openFrameCache, type FrameCache } from '../../src/cache/store.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { SAMPLE_RECIPE, SAMPLE_SOURCE, buildForChildren, removeBuild, tempDir, writeFrames } from './helpers.js';

let build: string;
let launcher: string;
let scripts: string | undefined;
let root: string;
let cache: FrameCache;

beforeAll(async () => {
  build = await buildForChildren();
  // The launcher lives beside the test's files, not in the (possibly shared) build: it imports the build by URL.
  scripts = await tempDir();
  launcher = path.join(scripts, 'launch.mjs');
  const main = JSON.stringify(pathToFileURL(path.join(build, 'cli', 'main.js')).href);
  await writeFile(launcher, `import { main } from ${main};\nmain(process.argv.slice(2)).then((code) => { process.exitCode = code; });\n`);
});
afterAll(async () => {
  await removeBuild(build);
  if (scripts) await rm(scripts, { recursive: true, force: true });
});
beforeEach(async () => {
  root = await tempDir();
  cache = (await openFrameCache({ dir: root, budgetBytes: 1024 ** 3 }))!;
});
afterEach(async () => {
  cache.close();
  await rm(root, { recursive: true, force: true });
});

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [launcher, ...args],
      { env: { ...process.env, FRAMESMITH_CACHE_DIR: '', FRAMESMITH_CACHE_BUDGET: '', ...env } },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

const keys = [1, 2, 3].map((slotCount) => cacheKey({ sourceId: SAMPLE_SOURCE, recipe: { ...SAMPLE_RECIPE, slotCount } }));

async function fill(): Promise<void> {
  for (const key of keys) {
    const w = await cache.beginWrite(key);
    const frames = await writeFrames(w.dir, 8, key.slice(0, 4));
    await cache.publish(w, { frames, sourceId: SAMPLE_SOURCE, recipe: SAMPLE_RECIPE });
    await cache.release(key);
  }
}

describe('framesmith cache', () => {
  it('stats reports entries, bytes, budget and directory (JSON and text)', async () => {
    await fill();
    const expected = await cache.stats();
    const json = await cli(['cache', 'stats', '--json', '--cache-dir', root, '--budget', '3MiB']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      dir: root,
      entries: 3,
      bytes: expected.bytes,
      budgetBytes: 3 * 1024 ** 2,
      leasedEntries: 0,
    });
    const text = await cli(['cache', 'stats'], { FRAMESMITH_CACHE_DIR: root });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`cache dir: ${root}`);
    expect(text.stdout).toMatch(/entries: +3 /);
  });

  it('gc evicts down to the budget and reports what it freed', async () => {
    await fill();
    const { bytes } = await cache.stats();
    const perEntry = bytes / 3;
    const result = await cli(['cache', 'gc', '--json', '--cache-dir', root, '--budget', String(Math.floor(1.5 * perEntry))]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ evicted: 2, bytesFreed: 2 * perEntry, bytesAfter: perEntry });
    expect(await readdir(path.join(root, 'entries'))).toHaveLength(1);
  });

  it('clear removes everything not leased by a live process', async () => {
    await fill();
    // This test process leases one entry; it must survive the clear run by another process.
    expect(await cache.lookup(keys[1]!)).not.toBeNull();
    const result = await cli(['cache', 'clear', '--json', '--cache-dir', root]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ evicted: 2 });
    expect(await readdir(path.join(root, 'entries'))).toEqual([keys[1]]);
    expect(await cache.lookup(keys[1]!)).not.toBeNull();
  });

  it('exits 2 on usage errors and 1 when the directory is unusable', async () => {
    // In-process (cli-in-process.ts): none of these needs a process of its own. The suite's
    // environment has FRAMESMITH_CACHE_DIR=off (vitest.config.ts): the disabled case.
    expect(process.env.FRAMESMITH_CACHE_DIR).toBe('off');
    expect((await runCliInProcess(['cache', 'frobnicate', '--cache-dir', root])).code).toBe(2);
    const badBudget = await runCliInProcess(['cache', 'gc', '--cache-dir', root, '--budget', 'lots']);
    expect(badBudget.code).toBe(2);
    expect(badBudget.stderr).toContain('"lots"');
    const disabled = await runCliInProcess(['cache', 'stats']);
    expect(disabled.code).toBe(2);
    expect(disabled.stderr).toContain('--cache-dir');
    const blocker = path.join(root, 'file');
    await writeFile(blocker, 'x');
    const unusable = await runCliInProcess(['cache', 'stats', '--cache-dir', path.join(blocker, 'cache')]);
    expect(unusable.code).toBe(1);
    expect(unusable.stderr).toContain(path.join(blocker, 'cache'));
  });
});
