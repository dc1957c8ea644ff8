/**
 * `extractVideos`: for every requested video, the frames a render at `options.fps` shows, one file per
 * slot. Validates, fetches remote sources into the cache, probes (memoized), plans, merges identical
 * extractions (in-render dedupe: one result per unique plan key), then either serves them through the
 * persistent frame cache (cached-pass.ts: hits in place, misses by direct or superset passes, published
 * as entries) or, with `cache: false`, runs one pass per unique plan into `outDir`. Passes run through a
 * bounded pool. Per-video results and failures are reported — one video failing never stops the others.
 */
import path from 'node:path';
import { probeMedia } from '../media/probe.js';
import { useProbeStore } from '../media/probe-store.js';
import { packetIndex } from '../media/packets.js';
import { parseRational, type Rational } from '../media/rational.js';
import { ffmpegPool, toolStats } from '../media/tools.js';
import { LeaseTable } from '../cache/leases.js';
import { openFrameCache, type FrameCache } from '../cache/store.js';
import { CacheError } from '../cache/errors.js';
import { CacheSession, type Served, type Unit } from './cached-pass.js';
import { type ExtractError, ExtractOptionsError, toExtractError } from './errors.js';
import { planVideo, type PlannedVideo } from './plan.js';
import { shortfall } from './pass.js';
import { extractUncached } from './uncached.js';
import { isRemoteSrc, localCopyOf } from './remote-source.js';
import type { ExtractedVideo, ExtractMetrics, ExtractOptions, ExtractResult, FormatChoice, VideoRequest } from './types.js';
import { normalizeRequest } from './validate.js';

/** The progress `ExtractOptions.onProgress` receives, in frames. */
export interface ExtractProgress {
  /** Frames written so far across all unique passes. */
  done: number;
  /** Frames all unique passes will write (an upper bound: media may end sooner). */
  total: number;
}

/** Kept as a name for callers; `onProgress` now lives on `ExtractOptions`. */
export type ExtractCallOptions = ExtractOptions;

interface Resolved {
  options: ExtractCallOptions;
  fps: Rational;
  format: FormatChoice;
  jpegQuality: number;
  baseDir: string;
}

function resolveOptions(options: ExtractCallOptions): Resolved {
  const fps = parseRational(options.fps);
  if (!fps)
    throw new ExtractOptionsError(
      'invalid_option',
      `fps must be a positive number or a rational such as "30000/1001" (got ${String(options.fps)})`,
      { option: 'fps' },
    );
  if (typeof options.outDir !== 'string' || options.outDir === '')
    throw new ExtractOptionsError('invalid_option', 'outDir is required: the directory frames are written to', { option: 'outDir' });
  const format = options.format ?? 'auto';
  if (!['auto', 'jpg', 'png'].includes(format))
    throw new ExtractOptionsError('invalid_option', `format must be "auto", "jpg" or "png" (got ${String(format)})`, { option: 'format' });
  const jpegQuality = options.jpegQuality ?? 3;
  if (!Number.isInteger(jpegQuality) || jpegQuality < 2 || jpegQuality > 31)
    throw new ExtractOptionsError('invalid_option', `jpegQuality must be an integer from 2 (best) to 31 (got ${jpegQuality})`, {
      option: 'jpegQuality',
    });
  if (options.concurrency !== undefined && (!Number.isInteger(options.concurrency) || options.concurrency < 1)) {
    throw new ExtractOptionsError('invalid_option', `concurrency must be a positive integer (got ${options.concurrency})`, {
      option: 'concurrency',
    });
  }
  return { options, fps, format, jpegQuality, baseDir: options.baseDir ?? process.cwd() };
}

type Prepared = { ok: true; planned: PlannedVideo; readyMs: number } | { ok: false; error: ExtractError; readyMs: number };

function defaultWarn(message: string): void {
  process.stderr.write(`framesmith: ${message}\n`);
}

/** Opens the cache the options ask for; null when off or unusable (after one warning). */
async function openCache(options: ExtractCallOptions, warn: (message: string) => void): Promise<FrameCache | null> {
  if (options.cache === false) return null;
  if (options.cache !== undefined && (typeof options.cache !== 'string' || options.cache === '')) {
    throw new ExtractOptionsError('invalid_option', `cache must be a directory path or false (got ${String(options.cache)})`, {
      option: 'cache',
    });
  }
  try {
    return await openFrameCache({ dir: options.cache, budgetBytes: options.cacheBudget, warn });
  } catch (error) {
    if (error instanceof CacheError && error.code === 'invalid_config')
      throw new ExtractOptionsError('invalid_option', error.message, { option: 'cacheBudget' });
    throw error;
  }
}

/** Frames-done bookkeeping across passes: each pass registers its total and reports its progress. */
function progressBoard(onProgress: ExtractOptions['onProgress']) {
  const done = new Map<string, number>();
  let total = 0;
  const report = () => {
    if (!onProgress) return;
    let sum = 0;
    for (const value of done.values()) sum += value;
    onProgress({ done: Math.min(sum, total), total });
  };
  return {
    report,
    register(id: string, frames: number): (value: number) => void {
      total += frames;
      done.set(id, 0);
      report();
      return (value) => {
        done.set(id, value);
        report();
      };
    },
  };
}

/** `{ truncated }` when `decoded` frames fall short of the `promised` ones (see ExtractedVideo.truncated). */
function truncation(decoded: number, promised: number): Pick<ExtractedVideo, 'truncated'> {
  const short = shortfall(decoded, promised);
  return short ? { truncated: short } : {};
}

/**
 * Extracts frames for every video. Throws only `ExtractOptionsError` (bad options); per-video failures
 * land in `errors`. Call `result.release()` when the frames are no longer needed (see ExtractResult).
 */
export async function extractVideos(videos: VideoRequest[], callOptions: ExtractCallOptions): Promise<ExtractResult> {
  const started = performance.now();
  const probesBefore = toolStats.ffprobeRuns;
  const resolved = resolveOptions(callOptions);
  const { options, fps } = resolved;
  const outDir = path.resolve(options.outDir);
  const colorTarget = options.colorTarget ?? 'sdr';
  const warn = options.onWarning ?? defaultWarn;
  const cache = await openCache(options, warn);
  // Probes persist next to the frames, so a warm run in a new process starts no ffprobe.
  if (cache) useProbeStore(path.join(cache.dir, 'probes'));

  // Fetch remote sources, then probe and plan every video concurrently (probes are memoized per file identity).
  // Downloads stay leased (safe from cache GC) until the passes that read them are done.
  const remoteLeases = cache && videos.some((v) => isRemoteSrc(v.src)) ? new LeaseTable(cache.dir) : null;
  let planMs = 0;
  const prepared: Prepared[] = await Promise.all(
    videos.map(async (video): Promise<Prepared> => {
      try {
        const local =
          cache && isRemoteSrc(video.src)
            ? {
                ...video,
                src: await localCopyOf(video.src, String(video.id), cache.dir, remoteLeases!, {
                  allowPrivateHosts: options.allowPrivateHosts,
                  signal: options.signal,
                  warn,
                }),
              }
            : video;
        const request = normalizeRequest(local, resolved.baseDir);
        const info = await probeMedia(request.src);
        // The packet index (for cutting source passes at keyframes) is read now, so a cold run does
        // not wait for it later; a warm one reads it from the probe store.
        packetIndex(request.src, info.streamIndex).catch(() => {});
        const planStarted = performance.now();
        const planned = planVideo(request, info, { fps, format: resolved.format, jpegQuality: resolved.jpegQuality, colorTarget });
        planMs += performance.now() - planStarted;
        return { ok: true, planned, readyMs: performance.now() - started };
      } catch (error) {
        const src =
          typeof video.src === 'string' ? (isRemoteSrc(video.src) ? video.src : path.resolve(resolved.baseDir, video.src)) : undefined;
        return { ok: false, error: toExtractError(error, String(video.id), src), readyMs: performance.now() - started };
      }
    }),
  );
  const probeMs = performance.now() - started - planMs;

  // In-render dedupe: the first video with a plan key leads; later ones share its result.
  const pool = ffmpegPool(options.concurrency);
  const board = progressBoard(options.onProgress);
  const units = new Map<string, Unit>();
  let dedupeHits = 0;
  for (const item of prepared) {
    if (!item.ok) continue;
    if (units.has(item.planned.plan.key)) dedupeHits++;
    else units.set(item.planned.plan.key, { plan: item.planned.plan, leaderId: item.planned.videoId });
  }
  const extractStarted = performance.now();
  const session = cache
    ? new CacheSession(cache, {
        pool,
        signal: options.signal,
        timeoutMs: options.timeoutMs,
        outDir,
        warn,
        progress: board.register,
        sourcePasses: options.sourcePasses,
      })
    : null;
  const uncached = session
    ? null
    : extractUncached([...units.values()], {
        pool,
        outDir,
        signal: options.signal,
        timeoutMs: options.timeoutMs,
        progress: board.register,
        sourcePasses: options.sourcePasses,
      });
  const served: Map<string, Promise<Served>> = session ? session.run([...units.values()]) : uncached!.served;
  board.report();

  const extracted: ExtractedVideo[] = [];
  const errors: ExtractError[] = [];
  const perVideo: ExtractMetrics['perVideo'] = [];
  for (const [index, item] of prepared.entries()) {
    const videoId = String(videos[index]!.id);
    if (!item.ok) {
      errors.push(item.error);
      perVideo.push({ videoId, ms: item.readyMs, frames: 0, cacheHit: false, shared: false });
      continue;
    }
    const { plan, slotCount, loop } = item.planned;
    const unit = units.get(plan.key)!;
    const shared = unit.leaderId !== videoId;
    try {
      const result = await served.get(plan.key)!;
      extracted.push({
        videoId,
        outputDir: result.dir,
        frames: result.frames,
        fps,
        width: plan.width,
        height: plan.height,
        format: plan.format,
        loop,
        slotCount,
        cacheHit: result.cacheHit,
        ...(shared ? { sharedWith: unit.leaderId } : {}),
        ...truncation(result.frames.length, plan.frameCount),
      });
      perVideo.push({ videoId, ms: item.readyMs + result.ms, frames: result.frames.length, cacheHit: result.cacheHit, shared });
    } catch (error) {
      const failure = toExtractError(error, unit.leaderId, plan.source);
      errors.push(shared ? failure.forFollower(videoId, unit.leaderId) : failure);
      perVideo.push({ videoId, ms: performance.now() - started, frames: 0, cacheHit: false, shared });
    }
  }

  // Every pass has ended: the downloads may be evicted again.
  remoteLeases?.close();
  const cacheMetrics = cache?.metrics ?? {
    cacheHits: 0,
    cacheMisses: 0,
    publishFailures: 0,
    gcEvictions: 0,
    gcBytesFreed: 0,
    corruptEntries: 0,
  };
  const s = session?.metrics;
  const totalMs = performance.now() - started;
  return {
    extracted,
    errors: errors.map((e) => e.toJSON()),
    metrics: {
      probeMs,
      planMs,
      extractMs: performance.now() - extractStarted,
      totalMs,
      uniqueExtractions: units.size,
      dedupeHits: dedupeHits + (s?.contentDedupeHits ?? 0),
      passes: s ? s.passes : uncached!.metrics.passes,
      cacheHits: cacheMetrics.cacheHits,
      cacheMisses: cacheMetrics.cacheMisses,
      publishFailures: cacheMetrics.publishFailures,
      corruptEntries: cacheMetrics.corruptEntries,
      gcEvictions: cacheMetrics.gcEvictions,
      gcBytesFreed: cacheMetrics.gcBytesFreed,
      supersetGroups: s?.supersetGroups ?? 0,
      supersetMembers: s?.supersetMembers ?? 0,
      supersetFramesSaved: s?.supersetFramesSaved ?? 0,
      supersetFallbacks: s?.supersetFallbacks ?? 0,
      framesExtracted: s ? s.framesExtracted : uncached!.metrics.framesExtracted,
      bytesWritten: s ? s.bytesWritten : uncached!.metrics.bytesWritten,
      framesDecoded: s ? s.framesDecoded : uncached!.metrics.framesDecoded,
      sourcePasses: s ? s.sourcePasses : uncached!.metrics.sourcePasses,
      probes: toolStats.ffprobeRuns - probesBefore,
      perVideo,
    },
    release: session ? () => session.release() : async () => {},
  };
}
