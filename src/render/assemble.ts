/**
 * The assemble phase: the chunks' segments joined without re-encoding (src/encode/segments.ts) and the
 * plan's audio mix muxed in by the same ffmpeg (stream copy; the mix is exactly frames/fps long), faststart, and the result
 * renamed over the output. Only segments the finished chunks named are read: a stale or partial file
 * of a killed worker is never assembled.
 */
import path from 'node:path';
import { assembleSegments } from '../encode/segments.js';
import { parseRational } from '../media/rational.js';
import type { ChunkJob, ChunkResult } from '../plan/chunks.js';
import type { RenderPlan } from '../plan/types.js';
import type { OutputFiles } from './output.js';
import { makeTempDir, removeTempDir } from './temp-dirs.js';

/**
 * What `assembleRender()` joins: the chunks' segments, the plan (its local directory holds the audio), and
 * the output files to commit into.
 */
export interface AssembleInputs {
  /** The local directory holding the segments the chunks named. */
  segmentDir: string;
  planDir: string;
  plan: RenderPlan;
  /** The chunks in frame order, each with what it reported. */
  chunks: ReadonlyArray<{ job: ChunkJob; result: ChunkResult }>;
  files: OutputFiles;
  signal?: AbortSignal;
}

/** Joins the segments and the audio into the output (committed). */
export async function assembleRender(inputs: AssembleInputs): Promise<void> {
  const { plan, files } = inputs;
  const format = plan.output.format;
  const fps = parseRational(plan.render.fps)!;
  const dir = inputs.segmentDir;
  const workDir = await makeTempDir('framesmith-assemble-');
  try {
    const video = files.temp(format === 'png' ? '' : format);
    // The sound goes in as the segments are joined (one ffmpeg, one write of the file).
    const audio =
      plan.audio && (format === 'mp4' || format === 'mov' || format === 'webm')
        ? path.join(inputs.planDir, ...plan.audio.file.split('/'))
        : undefined;
    await assembleSegments(
      inputs.chunks.map(({ job, result }) => ({ file: path.join(dir, result.segment), first: job.first, count: job.count })),
      {
        format,
        fps,
        output: video,
        width: plan.render.width * (plan.render.deviceScaleFactor ?? 1),
        height: plan.render.height * (plan.render.deviceScaleFactor ?? 1),
        alpha: plan.output.alpha,
        gifWidth: plan.output.gifWidth,
        gifLoop: plan.output.gifLoop,
        workDir,
        signal: inputs.signal,
        ...(audio ? { audio } : {}),
      },
    );
    await files.commit(video);
  } finally {
    await removeTempDir(workDir);
  }
}
