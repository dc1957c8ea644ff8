/**
 * Source passes with real ffmpeg: every recipe of one source in one request (sizes, non-aligned
 * trims, rates, a loop) is decoded once — split into parallel segments at keyframes — and each recipe
 * is exact (every frame's index read from its pixels), byte for byte what a classic direct pass for
 * that recipe writes (`sourcePasses: false`), and `framesDecoded` is about the union of the windows,
 * not the sum. Also: VFR and 30000/1001, the same without the cache, a source pass killed with SIGKILL
 * serving nothing, and a warm run in a fresh process with no ffprobe at all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pLimit from 'p-limit';
import { extractVideos } from '../../src/extract/extract.js';
import { runExtractionPass } from '../../src/extract/pass.js';
import { planVideo } from '../../src/extract/plan.js';
import { runSourcePasses } from '../../src/extract/source-pass.js';
import type { ExtractResult, VideoRequest } from '../../src/extract/types.js';
import { normalizeRequest } from '../../src/extract/validate.js';
import { probeMedia } from '../../src/media/probe.js';
import { expectedSourceFrame, makeIndexedVideo, readImageSequenceIndices, type IndexedVideo } from '../helpers/frame-media.js';
import { REPO } from '../cache/helpers.js';

let dir: string;
let cfr: IndexedVideo;
let vfr: IndexedVideo;
let caches = 0;
const freshCache = () => path.join(dir, `cache-${caches++}`);

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fs-source-pass-'));
  // 8 s at 30 fps with a keyframe every second: room for segments.
  [cfr, vfr] = await Promise.all([
    makeIndexedVideo(path.join(dir, 'cfr.mp4'), { width: 320, height: 180, fps: 30, frames: 240, codec: 'h264', gop: 30 }),
    makeIndexedVideo(path.join(dir, 'vfr.mp4'), { width: 320, height: 180, fps: 30, frames: 240, codec: 'h264', gop: 30, vfr: 'pattern' }),
  ]);
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Four recipes of one source: native size, a scaled trim, a slower non-aligned one, a loop. */
const recipes = (src: string): VideoRequest[] => [
  { id: 'full', src, mediaStart: 0, duration: 6 },
  { id: 'pip', src, mediaStart: 2, duration: 4, width: 160, height: 90 },
  { id: 'slow', src, mediaStart: 3.517, duration: 3, playbackRate: 0.75, width: 80, height: 45 },
  { id: 'loop', src, mediaStart: 6.1, duration: 4, loop: true, width: 160, height: 90 },
];

async function expectExact(result: ExtractResult, requests: VideoRequest[], media: IndexedVideo, fps: number): Promise<void> {
  expect(result.errors).toEqual([]);
  for (const v of result.extracted) {
    const req = requests.find((r) => r.id === v.videoId)!;
    const rate = req.playbackRate ?? 1;
    const want = v.frames.map((_, k) => expectedSourceFrame(media.pts, (req.mediaStart ?? 0) + (k * rate) / fps));
    expect(await readImageSequenceIndices(v.outputDir, v.format), v.videoId).toEqual(want);
  }
}

async function bytesOf(result: ExtractResult): Promise<Record<string, Buffer[]>> {
  return Object.fromEntries(
    await Promise.all(result.extracted.map(async (v) => [v.videoId, await Promise.all(v.frames.map((f) => readFile(f)))] as const)),
  );
}

describe('source passes', () => {
  for (const [name, get] of [
    ['CFR', () => cfr],
    ['VFR', () => vfr],
  ] as const) {
    it(`${name}: four recipes of one source, one decode in segments: exact, and byte-identical to direct passes`, async () => {
      const media = get();
      const requests = recipes(media.path);
      const source = await extractVideos(requests, { fps: 30, outDir: path.join(dir, 'unused'), cache: freshCache(), concurrency: 3 });
      await expectExact(source, requests, media, 30);
      expect(source.metrics).toMatchObject({ sourcePasses: 1, cacheMisses: 4 });
      expect(source.metrics.passes).toBeGreaterThan(1);
      const direct = await extractVideos(requests, {
        fps: 30,
        outDir: path.join(dir, `direct-${name}`),
        cache: false,
        sourcePasses: false,
      });
      expect(direct.metrics).toMatchObject({ passes: 4, sourcePasses: 0 });
      expect(await bytesOf(source)).toEqual(await bytesOf(direct));
      // One decode of the union (0 s to the loop's end, the whole 8 s = 240 frames) in two segments cut
      // cleanly at a keyframe: no frame decoded twice, none past the end (was 243: the keyframe and two
      // frames after it decoded by both segments), against the sum of four windows.
      expect(source.metrics.framesDecoded).toBe(240);
      expect(direct.metrics.framesDecoded!).toBeGreaterThan(380);
      await source.release();
    });
  }

  it('three segments (two keyframe cuts): exact and byte-identical to direct passes; clean cuts decode the union once', async () => {
    // A fifth recipe makes 537 slots: three segments. The VFR file's keyframe at 3 s follows a frame
    // (2.95 s) whose duration ends before it, so that cut stays classic (a clean one would lose slot 89).
    const decoded: number[] = [];
    for (const media of [cfr, vfr]) {
      const requests = [
        ...recipes(media.path),
        { id: 'fast', src: media.path, mediaStart: 1.013, duration: 4, playbackRate: 1.25, width: 96, height: 54 },
      ];
      const info = await probeMedia(media.path);
      const options = { fps: { num: 30, den: 1 }, format: 'jpg', jpegQuality: 3, colorTarget: 'sdr' } as const;
      const plans = requests.map((r) => planVideo(normalizeRequest(r, dir), info, options).plan);
      const jobs = await Promise.all(
        plans.map(async (plan, i) => {
          const out = path.join(dir, `three-${path.basename(media.path)}-${i}`);
          await mkdir(out, { recursive: true });
          return { plan, dir: out, videoId: requests[i]!.id };
        }),
      );
      const result = await runSourcePasses(jobs, { pool: pLimit(3), maxSegments: 3 });
      expect(result.processes).toBe(3);
      decoded.push(result.framesDecoded!);
      for (const [i, plan] of plans.entries()) {
        const direct = await runExtractionPass(plan, path.join(dir, `three-direct-${path.basename(media.path)}-${i}`));
        const ours = await Promise.all(result.results[i]!.frames.map((f) => readFile(f)));
        const theirs = await Promise.all(direct.frames.map((f) => readFile(f)));
        expect(ours, requests[i]!.id).toEqual(theirs);
        const req = requests[i]!;
        const want = ours.map((_, k) => expectedSourceFrame(media.pts, (req.mediaStart ?? 0) + (k * (req.playbackRate ?? 1)) / 30));
        expect(await readImageSequenceIndices(jobs[i]!.dir, 'jpg'), req.id).toEqual(want);
      }
    }
    // CFR: two clean cuts, 240 of 240 frames; VFR: one classic cut decodes two frames twice.
    expect(decoded).toEqual([240, 242]);
  });

  it('30000/1001 in 30, without the cache: the same frames as direct passes', async () => {
    const requests = recipes(cfr.path).slice(0, 3);
    const source = await extractVideos(requests, { fps: '30000/1001', outDir: path.join(dir, 'ntsc-source'), cache: false });
    const direct = await extractVideos(requests, {
      fps: '30000/1001',
      outDir: path.join(dir, 'ntsc-direct'),
      cache: false,
      sourcePasses: false,
    });
    expect(source.metrics.sourcePasses).toBe(1);
    expect(await bytesOf(source)).toEqual(await bytesOf(direct));
    const want = (req: VideoRequest, k: number) =>
      expectedSourceFrame(cfr.pts, (req.mediaStart ?? 0) + (k * (req.playbackRate ?? 1) * 1001) / 30000);
    for (const v of source.extracted) {
      const req = requests.find((r) => r.id === v.videoId)!;
      expect(await readImageSequenceIndices(v.outputDir, v.format)).toEqual(v.frames.map((_, k) => want(req, k)));
    }
    // Nothing but the frame directories is left under outDir.
    expect((await readdir(path.join(dir, 'ntsc-source'))).every((d) => !d.includes('.partial-'))).toBe(true);
  });
});

const bin = path.join(REPO, 'bin/framesmith.js');

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: dir, timeout: 120_000, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

describe('source passes as processes', () => {
  it('a source pass killed with SIGKILL serves nothing; the next run extracts everything exactly', async () => {
    const cache = freshCache();
    const spec = path.join(dir, 'kill.json');
    const requests = recipes(cfr.path).map((r) => ({ ...r, src: 'cfr.mp4' }));
    await writeFile(spec, JSON.stringify({ fps: 30, format: 'png', videos: requests }));
    const child = spawn(process.execPath, [bin, 'extract', spec, '--out', 'unused', '--json', '--cache-dir', cache], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Kill the process (and with it the run) once frames are being written into the partial entries.
    await new Promise<void>((resolve) => {
      const timer = setInterval(async () => {
        const partial = await readdir(path.join(cache, 'partial')).catch(() => [] as string[]);
        const written = await Promise.all(partial.map((p) => readdir(path.join(cache, 'partial', p)).catch(() => [] as string[])));
        if (written.some((files) => files.length > 5)) {
          clearInterval(timer);
          child.kill('SIGKILL');
          resolve();
        }
      }, 20);
    });
    await new Promise((resolve) => child.once('close', resolve));
    expect(await readdir(path.join(cache, 'entries')).catch(() => [])).toEqual([]);
    const again = await cli(['extract', spec, '--out', 'unused', '--json', '--cache-dir', cache]);
    expect(again.code, again.stderr).toBe(0);
    const doc = JSON.parse(again.stdout) as ExtractResult;
    expect(doc.extracted.every((v) => !v.cacheHit)).toBe(true);
    await expectExact(
      doc,
      requests.map((r) => ({ ...r, src: cfr.path })),
      cfr,
      30,
    );
  }, 120_000);

  it('a warm run in a fresh process starts no ffprobe: probes and the packet index persist in the cache', async () => {
    const cache = freshCache();
    const spec = path.join(dir, 'warm.json');
    await writeFile(spec, JSON.stringify({ fps: 30, videos: recipes('cfr.mp4') }));
    const cold = await cli(['extract', spec, '--out', 'unused', '--json', '--cache-dir', cache]);
    expect(cold.code, cold.stderr).toBe(0);
    expect(JSON.parse(cold.stdout).metrics.probes).toBeGreaterThan(0);
    const warm = await cli(['extract', spec, '--out', 'unused', '--json', '--cache-dir', cache]);
    const doc = JSON.parse(warm.stdout) as ExtractResult;
    expect(doc.metrics).toMatchObject({ probes: 0, passes: 0, cacheHits: 4 });
  }, 120_000);
});
