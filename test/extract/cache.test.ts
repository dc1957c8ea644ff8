/**
 * The frame cache inside the extraction engine (in process, real ffmpeg and files): warm runs serve
 * byte-identical frames without a pass, content identity (copy hits, change misses), damaged entries
 * are rebuilt, GC respects the budget and this call's leases, an unusable directory degrades to
 * uncached, and remote sources are downloaded into the cache. Every frame is checked by its pixels.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFile, mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createReadStream, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { extractVideos } from '../../src/extract/extract.js';
import type { ExtractResult, VideoRequest } from '../../src/extract/types.js';
import { expectedSourceFrame, makeIndexedVideo, readImageSequenceIndices, type IndexedVideo } from '../helpers/frame-media.js';

let dir: string;
let a: IndexedVideo;
let b: IndexedVideo;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fs-engine-cache-'));
  [a, b] = await Promise.all([
    makeIndexedVideo(path.join(dir, 'a.mp4'), { width: 160, height: 90, fps: 30, frames: 60, codec: 'h264' }),
    makeIndexedVideo(path.join(dir, 'b.webm'), { width: 160, height: 90, fps: 25, frames: 50, codec: 'vp9' }),
  ]);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Four videos on two sources, windows far enough apart that no superset pass merges them. */
const spec = (): VideoRequest[] => [
  { id: 'a1', src: a.path, mediaStart: 0, duration: 0.4 },
  { id: 'a2', src: a.path, mediaStart: 1.21, duration: 0.5, width: 80, height: 45 },
  { id: 'b1', src: b.path, mediaStart: 0.3, duration: 0.6 },
  { id: 'b2', src: b.path, mediaStart: 0.3, duration: 0.6, playbackRate: 1.5 },
];

/** Checks every video's frames by the index each pixel pattern shows. */
async function expectPixels(result: ExtractResult, requests: VideoRequest[]): Promise<void> {
  expect(result.errors).toEqual([]);
  for (const v of result.extracted) {
    const req = requests.find((r) => r.id === v.videoId)!;
    const media = req.src.endsWith('.webm') ? b : a;
    const rate = req.playbackRate ?? 1;
    const want = Array.from({ length: v.frames.length }, (_, k) => expectedSourceFrame(media.pts, (req.mediaStart ?? 0) + (k * rate) / 30));
    expect(await readImageSequenceIndices(v.outputDir, v.format), v.videoId).toEqual(want);
  }
}

async function bytesOf(result: ExtractResult): Promise<Buffer[][]> {
  return Promise.all(result.extracted.map((v) => Promise.all(v.frames.map((f) => readFile(f)))));
}

describe('cache in the engine', () => {
  it('a warm run serves every video from the cache, byte-identical to an uncached pass, with no ffmpeg pass', async () => {
    const cache = path.join(dir, 'cache-warm');
    const cold = await extractVideos(spec(), { fps: 30, outDir: path.join(dir, 'unused'), cache });
    await expectPixels(cold, spec());
    // Two sources: one source pass each, both of their recipes branches of it.
    expect(cold.metrics).toMatchObject({ cacheHits: 0, cacheMisses: 4, passes: 2, sourcePasses: 2, supersetGroups: 0 });
    expect(cold.extracted.every((v) => !v.cacheHit && v.outputDir.startsWith(path.join(cache, 'entries')))).toBe(true);
    await cold.release();

    const warm = await extractVideos(spec(), { fps: 30, outDir: path.join(dir, 'unused'), cache });
    expect(warm.metrics).toMatchObject({ cacheHits: 4, cacheMisses: 0, passes: 0, framesExtracted: 0 });
    expect(warm.extracted.every((v) => v.cacheHit)).toBe(true);
    await expectPixels(warm, spec());

    const direct = await extractVideos(spec(), { fps: 30, outDir: path.join(dir, 'direct'), cache: false });
    expect(direct.metrics).toMatchObject({ passes: 2, sourcePasses: 2, cacheHits: 0, cacheMisses: 0 });
    expect(await bytesOf(warm)).toEqual(await bytesOf(direct));
    // Nothing was written where uncached passes go.
    expect(await readdir(path.join(dir, 'unused')).catch(() => [])).toEqual([]);
    await warm.release();
  });

  it('a copy of the source at another path hits; a changed source misses', async () => {
    const cache = path.join(dir, 'cache-identity');
    const copy = path.join(dir, 'copy-of-a.mp4');
    await copyFile(a.path, copy);
    const first = await extractVideos([{ id: 'v', src: a.path, mediaStart: 0.2, duration: 0.3 }], { fps: 30, outDir: dir, cache });
    await first.release();
    const copied = await extractVideos([{ id: 'v', src: copy, mediaStart: 0.2, duration: 0.3 }], { fps: 30, outDir: dir, cache });
    expect(copied.metrics).toMatchObject({ cacheHits: 1, passes: 0 });
    expect(copied.extracted[0]!.outputDir).toBe(first.extracted[0]!.outputDir);
    await copied.release();
    // Overwrite the copy with other content (the frames of b): same path, new identity.
    await copyFile(b.path, copy);
    const changed = await extractVideos([{ id: 'v', src: copy, mediaStart: 0.2, duration: 0.3 }], { fps: 30, outDir: dir, cache });
    expect(changed.metrics).toMatchObject({ cacheHits: 0, cacheMisses: 1, passes: 1 });
    expect(await readImageSequenceIndices(changed.extracted[0]!.outputDir, 'jpg')).toEqual(
      Array.from({ length: 9 }, (_, k) => expectedSourceFrame(b.pts, 0.2 + k / 30)),
    );
    await changed.release();
  });

  it('two paths with one content in one call share one extraction', async () => {
    const cache = path.join(dir, 'cache-same-call');
    const copy = path.join(dir, 'second-copy-of-a.mp4');
    await copyFile(a.path, copy);
    const result = await extractVideos(
      [
        { id: 'x', src: a.path, duration: 0.2 },
        { id: 'y', src: copy, duration: 0.2 },
      ],
      { fps: 30, outDir: dir, cache },
    );
    expect(result.metrics).toMatchObject({ passes: 1, uniqueExtractions: 2, dedupeHits: 1 });
    expect(result.extracted[1]!.frames).toEqual(result.extracted[0]!.frames);
    await result.release();
  });

  it('a damaged entry (a frame deleted) is detected and rebuilt', async () => {
    const cache = path.join(dir, 'cache-damaged');
    const request = [{ id: 'd', src: a.path, mediaStart: 0.5, duration: 0.3 }];
    const first = await extractVideos(request, { fps: 30, outDir: dir, cache });
    await first.release();
    await unlink(first.extracted[0]!.frames[4]!);
    const again = await extractVideos(request, { fps: 30, outDir: dir, cache });
    expect(again.metrics).toMatchObject({ cacheHits: 0, cacheMisses: 1, passes: 1 });
    expect(await readImageSequenceIndices(again.extracted[0]!.outputDir, 'jpg')).toEqual([15, 16, 17, 18, 19, 20, 21, 22, 23]);
    await again.release();
    const third = await extractVideos(request, { fps: 30, outDir: dir, cache });
    expect(third.metrics).toMatchObject({ cacheHits: 1, passes: 0 });
    await third.release();
  });

  it('GC keeps the cache within its budget but never evicts what a running call leases', async () => {
    const cache = path.join(dir, 'cache-gc');
    const first = await extractVideos([{ id: 'old', src: a.path, duration: 0.3 }], { fps: 30, outDir: dir, cache, cacheBudget: 1 });
    // Over budget, but leased by `first`: kept.
    expect(first.metrics.gcEvictions).toBe(0);
    const both = await extractVideos(
      [
        { id: 'new1', src: a.path, mediaStart: 1, duration: 0.3 },
        { id: 'new2', src: b.path, duration: 0.3 },
      ],
      { fps: 30, outDir: dir, cache, cacheBudget: 1 },
    );
    expect(both.metrics.gcEvictions).toBe(0);
    await first.release();
    const later = await extractVideos([{ id: 'last', src: b.path, mediaStart: 1, duration: 0.3 }], {
      fps: 30,
      outDir: dir,
      cache,
      cacheBudget: 1,
    });
    // `old` lost its lease and is evicted; `new1`/`new2` are still leased by `both`; `last` by `later`.
    expect(later.metrics.gcEvictions).toBe(1);
    expect(later.metrics.gcBytesFreed).toBeGreaterThan(0);
    expect(await readdir(path.join(cache, 'entries')).then((names) => names.sort())).toEqual(
      [...both.extracted, ...later.extracted].map((v) => path.basename(v.outputDir)).sort(),
    );
    for (const v of [...both.extracted, ...later.extracted]) expect((await readImageSequenceIndices(v.outputDir, 'jpg')).length).toBe(9);
    await both.release();
    await later.release();
  });

  it('a publish failure: the frames are still served for this call, counted, warned once, deleted on release', async () => {
    const cache = path.join(dir, 'cache-publish-fails');
    const warnings: string[] = [];
    let broken = false;
    const result = await extractVideos([{ id: 'p', src: a.path, mediaStart: 0.5, duration: 0.3 }], {
      fps: 30,
      outDir: dir,
      cache,
      onWarning: (m) => warnings.push(m),
      // While ffmpeg writes, entries/ becomes a plain file: the publish rename then fails for real.
      onProgress: ({ done }) => {
        if (done === 0 || broken) return;
        broken = true;
        rmSync(path.join(cache, 'entries'), { recursive: true, force: true });
        writeFileSync(path.join(cache, 'entries'), 'not a directory');
      },
    });
    expect(broken).toBe(true);
    expect(result.errors).toEqual([]);
    expect(result.metrics).toMatchObject({ publishFailures: 1, passes: 1 });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/could not publish/);
    const v = result.extracted[0]!;
    expect(v.outputDir.startsWith(path.join(cache, 'partial'))).toBe(true);
    expect(await readImageSequenceIndices(v.outputDir, 'jpg')).toEqual([15, 16, 17, 18, 19, 20, 21, 22, 23]);
    await result.release();
    expect(await readdir(path.join(cache, 'partial'))).toEqual([]);
  });

  it('an unusable cache directory: one warning, and the run goes on uncached into outDir', async () => {
    const notADir = path.join(dir, 'plain-file');
    await writeFile(notADir, 'x');
    const warnings: string[] = [];
    const outDir = path.join(dir, 'out-nocache');
    const result = await extractVideos(
      [
        { id: 'u', src: a.path, mediaStart: 0.5, duration: 0.2 },
        { id: 'w', src: b.path, duration: 0.2 },
      ],
      {
        fps: 30,
        outDir,
        cache: path.join(notADir, 'cache'),
        onWarning: (m) => warnings.push(m),
      },
    );
    expect(result.errors).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(path.join(notADir, 'cache'));
    expect(result.metrics).toMatchObject({ passes: 2, cacheHits: 0, cacheMisses: 0 });
    expect(result.extracted[0]!.outputDir.startsWith(outDir)).toBe(true);
    expect(await readImageSequenceIndices(result.extracted[0]!.outputDir, 'jpg')).toEqual([15, 16, 17, 18, 19, 20]);
  });
});

describe('remote sources', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/a.mp4') {
        res.writeHead(200, { 'content-type': 'video/mp4', etag: '"a1"' });
        createReadStream(a.path).pipe(res);
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('a URL is downloaded into the cache and extracted; a 404 and an uncached URL are typed errors', async () => {
    const cache = path.join(dir, 'cache-remote');
    const result = await extractVideos(
      [
        { id: 'web', src: `${base}/a.mp4`, mediaStart: 0.5, duration: 0.2 },
        { id: 'gone', src: `${base}/gone.mp4` },
      ],
      { fps: 30, outDir: dir, cache, allowPrivateHosts: true },
    );
    expect(await readImageSequenceIndices(result.extracted[0]!.outputDir, 'jpg')).toEqual([15, 16, 17, 18, 19, 20]);
    expect(result.errors).toEqual([
      {
        videoId: 'gone',
        kind: 'source_missing',
        retryable: true,
        message: expect.stringMatching(new RegExp(`^video "gone": .*${base}/gone\\.mp4`)),
        reason: expect.not.stringContaining('video "gone"'),
      },
    ]);
    await result.release();
    // Loopback is refused unless allowed.
    const refused = await extractVideos([{ id: 'web', src: `${base}/a.mp4` }], { fps: 30, outDir: dir, cache });
    expect(refused.errors[0]).toMatchObject({ videoId: 'web', kind: 'invalid_request' });
    const off = await extractVideos([{ id: 'web', src: `${base}/a.mp4` }], { fps: 30, outDir: dir, cache: false });
    expect(off.errors[0]).toMatchObject({ videoId: 'web', kind: 'invalid_request', message: expect.stringContaining('frame cache') });
  });
});
