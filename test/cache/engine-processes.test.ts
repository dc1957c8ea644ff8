/**
 * The cache under real `framesmith extract` processes (the built CLI, bin/framesmith.js): four processes
 * racing on one cold cache, a process killed with SIGKILL mid-extraction, and the CLI's cache flags.
 * Frames are checked by the index their pixels show.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expectedSourceFrame, makeIndexedVideo, readImageSequenceIndices, type IndexedVideo } from '../helpers/frame-media.js';
import { REPO } from './helpers.js';

const bin = path.join(REPO, 'bin/framesmith.js');
let dir: string;
let clip: IndexedVideo;

interface Doc {
  extracted: Array<{ videoId: string; outputDir: string; frames: string[]; format: string; cacheHit: boolean }>;
  errors: unknown[];
  metrics: Record<string, number>;
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; doc: Doc | null; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: dir, timeout: 120_000, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      let doc: Doc | null = null;
      try {
        doc = JSON.parse(stdout) as Doc;
      } catch {
        /* not JSON */
      }
      resolve({ code, doc, stderr });
    });
  });
}

const list = (d: string) => readdir(d).catch(() => [] as string[]);

beforeAll(async () => {
  if (!existsSync(path.join(REPO, 'dist/cli/extract-command.js'))) throw new Error('build first: npx tsc -p . (npm test does it)');
  dir = await mkdtemp(path.join(os.tmpdir(), 'fs-engine-proc-'));
  [clip] = await Promise.all([
    makeIndexedVideo(path.join(dir, 'clip.mp4'), { width: 160, height: 90, fps: 30, frames: 90, codec: 'h264' }),
    makeIndexedVideo(path.join(dir, 'big.mp4'), { width: 1280, height: 720, fps: 30, frames: 240, codec: 'h264' }),
  ]);
  await writeFile(
    path.join(dir, 'spec.json'),
    JSON.stringify({
      fps: 30,
      videos: [
        { id: 'a', src: 'clip.mp4', mediaStart: 0, duration: 1 },
        { id: 'b', src: 'clip.mp4', mediaStart: 0.5, duration: 1 }, // overlaps a: a superset pair
        { id: 'c', src: 'clip.mp4', mediaStart: 2.5, duration: 0.4, width: 80, height: 45 },
      ],
    }),
  );
  await writeFile(path.join(dir, 'big.json'), JSON.stringify({ fps: 30, format: 'png', videos: [{ id: 'big', src: 'big.mp4' }] }));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const starts: Record<string, number> = { a: 0, b: 0.5, c: 2.5 };

async function expectSpecFrames(doc: Doc): Promise<void> {
  expect(doc.errors).toEqual([]);
  for (const v of doc.extracted) {
    const seen = await readImageSequenceIndices(v.outputDir, v.format);
    expect(seen, v.videoId).toEqual(v.frames.map((_, k) => expectedSourceFrame(clip.pts, starts[v.videoId]! + k / 30)));
  }
}

describe('framesmith extract with the cache, as processes', () => {
  it('four concurrent processes on one cold cache: all correct, one entry per extraction, no leftovers', async () => {
    const cache = path.join(dir, 'race');
    const runs = await Promise.all(
      [0, 1, 2, 3].map(() => cli(['extract', 'spec.json', '--out', 'unused', '--json', '--cache-dir', cache])),
    );
    for (const run of runs) {
      expect(run.code, run.stderr).toBe(0);
      await expectSpecFrames(run.doc!);
      expect(run.doc!.extracted.every((v) => v.outputDir.startsWith(path.join(cache, 'entries')))).toBe(true);
    }
    // Every process names the same entries; there is exactly one per extraction.
    const dirs = runs.map((r) => r.doc!.extracted.map((v) => v.outputDir));
    for (const d of dirs) expect(d).toEqual(dirs[0]);
    expect((await list(path.join(cache, 'entries'))).sort()).toEqual(dirs[0]!.map((d) => path.basename(d)).sort());
    expect(await list(path.join(cache, 'partial'))).toEqual([]);
    expect(await list(path.join(cache, 'trash'))).toEqual([]);
    expect(await list(path.join(cache, 'leases'))).toEqual([]);
    expect(await list(path.join(dir, 'unused'))).toEqual([]);
  });

  it('a process killed with SIGKILL mid-extraction leaves nothing a later run serves; the next run is correct', async () => {
    const cache = path.join(dir, 'killed');
    const child = spawn(process.execPath, [bin, 'extract', 'big.json', '--out', 'unused', '--json', '--cache-dir', cache], {
      cwd: dir,
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // Wait until ffmpeg is writing frames into the cache's partial directory, then kill the process.
    let writing = false;
    for (let i = 0; i < 1200 && !writing; i++) {
      for (const name of await list(path.join(cache, 'partial'))) {
        if ((await list(path.join(cache, 'partial', name))).length >= 3) writing = true;
      }
      if (!writing) await new Promise((r) => setTimeout(r, 25));
    }
    expect(writing).toBe(true);
    child.kill('SIGKILL');
    await exited;
    // The orphaned ffmpeg ends on its broken progress pipe; wait for it so the state below is final.
    for (let i = 0; i < 400 && (await ffmpegWritingInto(cache)); i++) await new Promise((r) => setTimeout(r, 25));
    expect(await list(path.join(cache, 'entries'))).toEqual([]);

    const next = await cli(['extract', 'big.json', '--out', 'unused', '--json', '--cache-dir', cache]);
    expect(next.code, next.stderr).toBe(0);
    const v = next.doc!.extracted[0]!;
    expect(v.cacheHit).toBe(false);
    expect(v.frames).toHaveLength(240);
    expect(await readImageSequenceIndices(v.outputDir, 'png')).toEqual(Array.from({ length: 240 }, (_, k) => k));
    expect(await list(path.join(cache, 'partial'))).toEqual([]);
  });

  it('CLI flags: --no-cache writes to --out; --cache-dir and the default directory serve from the cache', async () => {
    const noCache = await cli(['extract', 'spec.json', '--out', 'plain', '--json', '--no-cache']);
    expect(noCache.code).toBe(0);
    await expectSpecFrames(noCache.doc!);
    expect(noCache.doc!.extracted.every((v) => v.outputDir.startsWith(path.join(dir, 'plain')))).toBe(true);
    // One source: its three extractions are branches of one source pass, with or without the cache.
    expect(noCache.doc!.metrics).toMatchObject({ cacheHits: 0, cacheMisses: 0, passes: 1, sourcePasses: 1 });

    // Default: FRAMESMITH_CACHE_DIR unset → $XDG_CACHE_HOME/framesmith.
    const xdg = path.join(dir, 'xdg');
    const env = { FRAMESMITH_CACHE_DIR: '', XDG_CACHE_HOME: xdg };
    const cold = await cli(['extract', 'spec.json', '--out', 'unused2', '--json'], env);
    expect(cold.code).toBe(0);
    expect(cold.doc!.metrics).toMatchObject({ cacheHits: 0, cacheMisses: 3, passes: 1, sourcePasses: 1, supersetGroups: 1 });
    expect(cold.doc!.extracted[0]!.outputDir.startsWith(path.join(xdg, 'framesmith', 'entries'))).toBe(true);
    const warm = await cli(['extract', 'spec.json', '--out', 'unused2', '--json'], env);
    expect(warm.doc!.metrics).toMatchObject({ cacheHits: 3, cacheMisses: 0, passes: 0 });
    expect(warm.doc!.extracted.every((v) => v.cacheHit)).toBe(true);
    await expectSpecFrames(warm.doc!);
    expect(await list(path.join(dir, 'unused2'))).toEqual([]);
    // The CLI drops its leases when it ends.
    expect(await list(path.join(xdg, 'framesmith', 'leases'))).toEqual([]);
  });
});

/** True while some process's command line names `cache` (an ffmpeg orphaned by the kill above). */
async function ffmpegWritingInto(cache: string): Promise<boolean> {
  for (const pid of await list('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = await readFile(path.join('/proc', pid, 'cmdline'), 'utf8').catch(() => '');
    if (cmdline.includes(path.join(cache, 'partial'))) return true;
  }
  return false;
}
