/**
 * `extractVideos`: for every requested video, the frames a render at `options.fps` shows, one file per
 * slot. Validates, probes (memoized), plans, merges identical extractions (in-render dedupe: one ffmpeg
 * pass and one directory per unique plan key), runs the passes through a bounded pool, and reports
 * per-video results and failures — one video failing never stops the others.
 */
import path from 'node:path';
import { probeMedia } from '../media/probe.js';
import { parseRational, type Rational } from '../media/rational.js';
import { ffmpegPool } from '../media/tools.js';
import { ExtractError, ExtractOptionsError, toExtractError } from './errors.js';
import { planDirName, planVideo, type PlannedVideo } from './plan.js';
import { runExtractionPass, type PassResult } from './pass.js';
import type { ExtractedVideo, ExtractMetrics, ExtractOptions, ExtractResult, FormatChoice, VideoRequest } from './types.js';
import { normalizeRequest } from './validate.js';

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
  if (!fps) throw new ExtractOptionsError('fps', `fps must be a positive number or a rational such as "30000/1001" (got ${String(options.fps)})`);
  if (typeof options.outDir !== 'string' || options.outDir === '') throw new ExtractOptionsError('outDir', 'outDir is required: the directory frames are written to');
  const format = options.format ?? 'auto';
  if (!['auto', 'jpg', 'png'].includes(format)) throw new ExtractOptionsError('format', `format must be "auto", "jpg" or "png" (got ${String(format)})`);
  const jpegQuality = options.jpegQuality ?? 3;
  if (!Number.isInteger(jpegQuality) || jpegQuality < 2 || jpegQuality > 31) throw new ExtractOptionsError('jpegQuality', `jpegQuality must be an integer from 2 (best) to 31 (got ${jpegQuality})`);
  if (options.concurrency !== undefined && (!Number.isInteger(options.concurrency) || options.concurrency < 1)) {
    throw new ExtractOptionsError('concurrency', `concurrency must be a positive integer (got ${options.concurrency})`);
  }
  return { options, fps, format, jpegQuality, baseDir: options.baseDir ?? process.cwd() };
}

type Prepared = { ok: true; planned: PlannedVideo; readyMs: number } | { ok: false; error: ExtractError; readyMs: number };

/** Extracts frames for every video. Throws only `ExtractOptionsError` (bad options); per-video failures land in `errors`. */
export async function extractVideos(videos: VideoRequest[], callOptions: ExtractCallOptions): Promise<ExtractResult> {
  const started = performance.now();
  const resolved = resolveOptions(callOptions);
  const { options, fps } = resolved;
  const outDir = path.resolve(options.outDir);
  const colorTarget = options.colorTarget ?? 'sdr';

  // Probe and plan every video concurrently (probes are memoized per file identity).
  let planMs = 0;
  const prepared: Prepared[] = await Promise.all(videos.map(async (video): Promise<Prepared> => {
    try {
      const request = normalizeRequest(video, resolved.baseDir);
      const info = await probeMedia(request.src);
      const planStarted = performance.now();
      const planned = planVideo(request, info, { fps, format: resolved.format, jpegQuality: resolved.jpegQuality, colorTarget });
      planMs += performance.now() - planStarted;
      return { ok: true, planned, readyMs: performance.now() - started };
    } catch (error) {
      const src = typeof video.src === 'string' ? path.resolve(resolved.baseDir, video.src) : undefined;
      return { ok: false, error: toExtractError(error, String(video.id), src), readyMs: performance.now() - started };
    }
  }));
  const probeMs = performance.now() - started - planMs;

  // In-render dedupe: the first video with a plan key leads; later ones share its pass.
  const pool = ffmpegPool(options.concurrency);
  const passes = new Map<string, { leaderId: string; result: Promise<PassResult> }>();
  const progressByKey = new Map<string, number>();
  let total = 0;
  let dedupeHits = 0;
  const report = () => {
    if (!options.onProgress) return;
    let done = 0;
    for (const value of progressByKey.values()) done += value;
    options.onProgress({ done: Math.min(done, total), total });
  };
  const extractStarted = performance.now();
  for (const item of prepared) {
    if (!item.ok) continue;
    const { plan } = item.planned;
    if (passes.has(plan.key)) {
      dedupeHits++;
      continue;
    }
    total += plan.frameCount;
    progressByKey.set(plan.key, 0);
    const leaderId = item.planned.videoId;
    const result = pool(() => runExtractionPass(plan, path.join(outDir, planDirName(plan)), {
      signal: options.signal,
      timeoutMs: options.timeoutMs,
      videoId: leaderId,
      onProgress: (frames) => { progressByKey.set(plan.key, frames); report(); },
    }));
    // Settled below; this keeps an early rejection from being reported as unhandled meanwhile.
    result.catch(() => {});
    passes.set(plan.key, { leaderId, result });
  }
  report();

  const extracted: ExtractedVideo[] = [];
  const errors: ExtractError[] = [];
  const perVideo: ExtractMetrics['perVideo'] = [];
  let framesExtracted = 0;
  let bytesWritten = 0;
  const counted = new Set<string>();
  for (const [index, item] of prepared.entries()) {
    const videoId = String(videos[index]!.id);
    if (!item.ok) {
      errors.push(item.error);
      perVideo.push({ videoId, ms: item.readyMs, frames: 0, cacheHit: false, shared: false });
      continue;
    }
    const { plan, slotCount, loop } = item.planned;
    const pass = passes.get(plan.key)!;
    const shared = pass.leaderId !== videoId;
    try {
      const result = await pass.result;
      if (!counted.has(plan.key)) {
        counted.add(plan.key);
        framesExtracted += result.frames.length;
        bytesWritten += result.bytesWritten;
      }
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
        cacheHit: false,
        ...(shared ? { sharedWith: pass.leaderId } : {}),
      });
      perVideo.push({ videoId, ms: item.readyMs + result.ms, frames: result.frames.length, cacheHit: false, shared });
    } catch (error) {
      const failure = toExtractError(error, pass.leaderId, plan.source);
      errors.push(shared ? failure.forFollower(videoId, pass.leaderId) : failure);
      perVideo.push({ videoId, ms: performance.now() - started, frames: 0, cacheHit: false, shared });
    }
  }

  const totalMs = performance.now() - started;
  return {
    extracted,
    errors: errors.map((e) => e.toJSON()),
    metrics: {
      probeMs,
      planMs,
      extractMs: performance.now() - extractStarted,
      totalMs,
      uniqueExtractions: passes.size,
      dedupeHits,
      cacheHits: 0,
      cacheMisses: 0,
      framesExtracted,
      bytesWritten,
      perVideo,
    },
  };
}
