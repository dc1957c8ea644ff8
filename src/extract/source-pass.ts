/**
 * Source passes: every recipe of one source decoded by one ffmpeg process, its decoded frames fanned
 * out (`split`) to a branch per recipe — each with the recipe's own timestamp mapping, `fps`, scale,
 * colour conversion, encoder and output directory (pass.ts builds the chain, the same one a direct
 * pass uses, so each branch writes exactly the bytes a direct pass for its recipe writes). The union of
 * the windows is decoded once, and split into segments at keyframes (segments.ts) that run as parallel
 * processes: N processes decode disjoint parts, each writing every recipe's slots in its part.
 *
 * `runSourcePasses(jobs)` takes jobs of one source and one decoder and resolves with each job's
 * frames (slot 0 onwards, contiguous) in its directory. Frames go straight into each job's directory
 * (the caller's private directory: a cache writer's, or a partial directory it renames); on failure
 * the caller discards them. Exactly as a direct pass: a job that writes nothing fails; one that ends
 * short of its frame count (a truncated file) resolves with the frames it has.
 */
import os from 'node:os';
import type { LimitFunction } from 'p-limit';
import { packetIndex, type PacketIndex } from '../media/packets.js';
import { videoStreamSpecifier } from '../media/probe.js';
import { ExtractError } from './errors.js';
import { checkFrameCount, collectFrames, framePath, frameOutputArgs, passFilters, runFfmpegPass, sec, type PassResult } from './pass.js';
import type { ExtractionPlan } from './plan.js';
import { planSegments, type Segment } from './segments.js';

/** One plan to decode in a source pass, into its own directory. */
export interface SourceJob {
  plan: ExtractionPlan;
  /** The directory its frames go to (exists, private to the caller). */
  dir: string;
  /** Named in errors. */
  videoId: string;
}

/**
 * Options of `runSourcePasses`. `timeoutMs` applies to each segment process (default: 60 s plus 250 ms per
 * frame of the segment); `signal` cancels every segment.
 */
export interface SourcePassOptions {
  pool: LimitFunction;
  /** How many segment processes one source may use at most (default: 1). */
  maxSegments: number;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Frames written so far by all segments, per job. */
  onProgress?: (job: number, framesDone: number) => void;
  /** Called once the segments are planned, with the number of ffmpeg processes that will run. */
  onPlanned?: (processes: number) => void;
}

/** What `runSourcePasses` resolves with once every segment finished. */
export interface SourcePassResult {
  /** Per job, in order: its frames. */
  results: PassResult[];
  /** ffmpeg processes run. */
  processes: number;
  /** Source frames decoded (planned from the packet index; null when there was none). */
  framesDecoded: number | null;
}

/**
 * How many segment processes each of `sources` source passes may use: the cores shared among them
 * (at least one each). One ffmpeg process already keeps about 1.7 cores busy on a 1080p decode with
 * JPEG branches (measured: 4.9 s of CPU in 2.9 s), so segments beyond the cores only add start-up and
 * contention — on 2 cores, one 1080p source split in 2 took 2.5 s against 2.6–2.9 s whole and 2.6–2.8 s
 * in 3; a single 150-frame clip was no faster in 2 or 3 (1.1–1.3 s).
 */
export function segmentBudget(sources: number): number {
  return Math.max(1, Math.floor(os.availableParallelism() / Math.max(1, sources)));
}

/** The ffmpeg arguments of one segment (exported for tests). */
export function segmentArgs(jobs: readonly SourceJob[], segment: Segment): string[] {
  const plan = jobs[segment.branches[0]!.job]!.plan;
  const args = ['-loglevel', 'error', '-nostats', '-progress', 'pipe:1'];
  if (plan.decoder) args.push('-c:v', plan.decoder);
  args.push('-copyts');
  const cut = segment.cut ?? null;
  // A clean cut (segments.ts): the concat demuxer seeks to the in point as -ss would (the last keyframe
  // at or before it) and ends the input before the next segment's keyframe in decoding order.
  const inpoint = cut === null ? undefined : (plan.streamStart + segment.seek).toFixed(6);
  if (inpoint !== undefined) {
    const list = `ffconcat version 1.0\nfile '${`file:${plan.source}`.replaceAll("'", "'\\''")}'\ninpoint ${inpoint}\noutpoint ${cut!.toFixed(6)}\n`;
    // auto_convert 0: the decoder gets the file's packets unchanged, as in a direct pass.
    args.push('-f', 'concat', '-safe', '0', '-auto_convert', '0', '-i', `data:text/plain;base64,${Buffer.from(list).toString('base64')}`);
  } else {
    if (segment.seek > 0) args.push('-noaccurate_seek', '-ss', sec(segment.seek));
    args.push('-i', plan.source);
  }
  args.push('-an', '-sn', '-dn');
  const n = segment.branches.length;
  const labels = segment.branches.map((_, i) => `b${i}`);
  const graph = [`[0:${videoStreamSpecifier(plan.streamIndex)}]split=${n}${labels.map((l) => `[${l}]`).join('')}`];
  for (const [i, b] of segment.branches.entries())
    graph.push(`[b${i}]${passFilters(jobs[b.job]!.plan, b.first, inpoint, inpoint !== undefined)}[o${i}]`);
  args.push('-filter_complex', graph.join(';'));
  segment.branches.forEach((b, i) => {
    const job = jobs[b.job]!;
    args.push('-map', `[o${i}]`, ...frameOutputArgs(job.plan, job.dir, b.first, b.count));
  });
  return args;
}

/** Runs the source passes of `jobs` (one source, one decoder); see the module comment. */
export async function runSourcePasses(jobs: readonly SourceJob[], options: SourcePassOptions): Promise<SourcePassResult> {
  const started = performance.now();
  const plans = jobs.map((j) => j.plan);
  const first = jobs[0]!;
  if (options.signal?.aborted)
    throw new ExtractError('cancelled', `extraction of ${first.plan.source} was cancelled`, {
      videoId: first.videoId,
      file: first.plan.source,
    });
  // One segment needs no index to start: it is only counted with it afterwards (framesDecoded).
  const indexed = packetIndex(first.plan.source, first.plan.streamIndex, options.signal).catch(() => null);
  const index: PacketIndex | null = options.maxSegments > 1 ? await indexed : null;
  const segments = planSegments(plans, index, Math.max(1, options.maxSegments));
  options.onPlanned?.(segments.length);
  const done = segments.map(() => new Map<number, number>());
  const report = (job: number) =>
    options.onProgress?.(
      job,
      done.reduce((sum, m) => sum + (m.get(job) ?? 0), 0),
    );
  await Promise.all(
    segments.map((segment, s) =>
      options.pool(async () => {
        const frames = segment.branches.reduce((sum, b) => sum + b.count, 0);
        await runFfmpegPass(segmentArgs(jobs, segment), frames, options, (written) => {
          // ffmpeg reports the first output's count: spread it over the segment's branches.
          for (const b of segment.branches) done[s]!.set(b.job, Math.min(b.count, written));
          for (const b of segment.branches) report(b.job);
        });
      }),
    ),
  );
  const results = await Promise.all(
    jobs.map(async (job) => {
      const frames = await collectFrames(job.dir, job.plan);
      checkFrameCount(frames.count, job.plan, job.videoId);
      return {
        dir: job.dir,
        frames: Array.from({ length: frames.count }, (_, i) => framePath(job.dir, i, job.plan.format)),
        bytesWritten: frames.bytes,
        ms: performance.now() - started,
      };
    }),
  );
  const counted = index ? segments : planSegments(plans, await indexed, 1);
  const decoded = counted.every((s) => s.framesDecoded !== null) ? counted.reduce((sum, s) => sum + s.framesDecoded!, 0) : null;
  return { results, processes: segments.length, framesDecoded: decoded };
}

/** The frames a single pass over `plans` (one source) decodes, from the packet index; null without one. */
export async function framesDecodedBy(plans: readonly ExtractionPlan[]): Promise<number | null> {
  const index = await packetIndex(plans[0]!.source, plans[0]!.streamIndex).catch(() => null);
  return index ? planSegments(plans, index, 1)[0]!.framesDecoded : null;
}
