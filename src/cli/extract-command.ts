/**
 * `framesmith extract <spec.json> --out <dir> [--json] [--no-cache | --cache-dir <dir>] [--concurrency N] [--no-source-passes]`
 *
 * Extracts the frames of the videos a spec lists. Exit codes: 0 every video succeeded, 1 any failed,
 * 2 usage errors (unreadable or invalid spec, missing --out, unknown option). With --json, stdout is
 * exactly one JSON document; progress and messages go to stderr.
 *
 * The frame cache is on by default (FRAMESMITH_CACHE_DIR, "off" disables; else $XDG_CACHE_HOME or
 * ~/.cache/framesmith); `--cache-dir` picks the directory, `--no-cache` turns it off. With the cache,
 * each video's `outputDir` is its cache entry's directory and `frames` the files in it (do not modify
 * them: entries are shared and validated by size); `--out` is where uncached passes write (cache off,
 * or unusable). The cache leases are dropped when the command ends, so a later GC may evict the entry:
 * copy the frames out if they must outlive the cache.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { extractVideos, type ExtractCallOptions } from '../extract/extract.js';
import { ExtractOptionsError } from '../extract/errors.js';
import type { ExtractResult, FormatChoice, VideoRequest } from '../extract/types.js';
import { formatRational } from '../media/rational.js';
import { EXIT_FAILED, EXIT_OK, UsageError } from './exit-codes.js';
import type { CommandContext } from './context.js';
import { optionFlags, withFlags } from './option-flags.js';

interface ExtractSpec {
  fps: number | string;
  format?: FormatChoice;
  videos: VideoRequest[];
}

interface ExtractCliOptions {
  out: string;
  json?: boolean;
  cache: boolean;
  cacheDir?: string;
  concurrency?: string;
  /** false with --no-source-passes. */
  sourcePasses: boolean;
}

/** Reads and checks the spec file; every problem is a `UsageError` naming the file and the fix. */
export async function readExtractSpec(specPath: string): Promise<ExtractSpec> {
  let text: string;
  try {
    text = await readFile(specPath, 'utf8');
  } catch (error) {
    throw new UsageError(
      'usage',
      `cannot read spec file ${specPath}: ${(error as NodeJS.ErrnoException).code ?? String(error)} — check the path`,
      {},
    );
  }
  let spec: unknown;
  try {
    spec = JSON.parse(text);
  } catch (error) {
    throw new UsageError('usage', `spec file ${specPath} is not valid JSON (${(error as Error).message}); fix the syntax`, {});
  }
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec))
    throw new UsageError('usage', `spec file ${specPath} must hold a JSON object { "fps", "videos": [...] }`, {});
  const s = spec as Record<string, unknown>;
  if (typeof s.fps !== 'number' && typeof s.fps !== 'string')
    throw new UsageError('usage', `spec file ${specPath}: "fps" is required (a number such as 30, or "30000/1001")`, {});
  if (s.format !== undefined && !['auto', 'jpg', 'png'].includes(s.format as string))
    throw new UsageError('usage', `spec file ${specPath}: "format" must be "auto", "jpg" or "png"`, {});
  if (!Array.isArray(s.videos))
    throw new UsageError('usage', `spec file ${specPath}: "videos" must be an array of { "id", "src", ... }`, {});
  for (const [i, video] of s.videos.entries()) {
    if (typeof video !== 'object' || video === null || Array.isArray(video))
      throw new UsageError('usage', `spec file ${specPath}: videos[${i}] must be an object { "id", "src", ... }`, {});
  }
  return { fps: s.fps, format: s.format as FormatChoice | undefined, videos: s.videos as VideoRequest[] };
}

/** The --json document: exactly the contract's fields (fps as a number, plus fpsRational). */
export function extractJson(result: ExtractResult): unknown {
  return {
    extracted: result.extracted.map((v) => ({
      videoId: v.videoId,
      outputDir: v.outputDir,
      frames: v.frames,
      fps: v.fps.num / v.fps.den,
      fpsRational: formatRational(v.fps),
      width: v.width,
      height: v.height,
      format: v.format,
      slotCount: v.slotCount,
      loop: v.loop,
      cacheHit: v.cacheHit,
      ...(v.sharedWith ? { sharedWith: v.sharedWith } : {}),
      ...(v.truncated ? { truncated: v.truncated } : {}),
    })),
    errors: result.errors,
    metrics: result.metrics,
  };
}

/** The human-readable report of `result`; options its messages name are shown as `flags` writes them. */
function summary(result: ExtractResult, flags: ReadonlyMap<string, string>): string {
  const lines: string[] = [];
  for (const v of result.extracted) {
    const shared = v.sharedWith ? ` (shared with ${v.sharedWith})` : '';
    lines.push(
      `  ok    ${v.videoId}: ${v.frames.length} ${v.format} frames at ${v.width}x${v.height}, ${formatRational(v.fps)} fps, ${v.slotCount} slots${v.loop ? ', loop' : ''}${shared} → ${v.outputDir}`,
    );
    if (v.truncated)
      lines.push(
        `  WARN  ${v.videoId}: the source ends early: ${v.truncated.decoded} of the ${v.truncated.promised} frames its header promises decode (truncated or damaged?); slots ${v.truncated.decoded}–${v.truncated.promised - 1} repeat the last one — re-export or re-download it`,
      );
  }
  for (const e of result.errors)
    lines.push(`  FAIL  ${e.videoId} [${e.kind}${e.retryable ? ', retryable' : ''}]: ${withFlags(e.message, flags)}`);
  const m = result.metrics;
  lines.push(
    `${result.extracted.length} extracted, ${result.errors.length} failed; ${m.passes} ffmpeg passes (${m.sourcePasses} source${m.sourcePasses === 1 ? '' : 's'}), ${m.dedupeHits} shared, ${m.cacheHits} cache hits, ${m.framesExtracted} frames, ${(m.bytesWritten / 1e6).toFixed(1)} MB in ${(m.totalMs / 1000).toFixed(2)} s`,
  );
  return `${lines.join('\n')}\n`;
}

/** Adds `extract` to `program` (flags, output and exit codes: the module comment). */
export function registerExtract(program: Command, context: CommandContext): void {
  program
    .command('extract')
    .description('extract the exact frames a render shows for the videos in a spec file')
    .argument(
      '<spec>',
      'spec JSON: { "fps", "format"?, "videos": [{ "id", "src", "mediaStart"?, "duration"?, "playbackRate"?, "loop"?, "width"?, "height"? }] }',
    )
    .requiredOption('--out <dir>', 'directory for frame directories of uncached passes (cache off or unusable)')
    .option('--json', 'print one JSON document with frames, errors and metrics')
    .option('--no-cache', 'do not use the frame cache: every pass writes under --out')
    .option('--cache-dir <dir>', 'frame cache directory (default: FRAMESMITH_CACHE_DIR, else ~/.cache/framesmith)')
    .option('--concurrency <n>', 'ffmpeg processes at once (default: cores + 1)')
    .option(
      '--no-source-passes',
      'one ffmpeg pass per video instead of one decode per source (the engine before source passes, for comparison)',
    )
    .action(async (specArg: string, opts: ExtractCliOptions) => {
      if (!opts.cache && opts.cacheDir) throw new UsageError('usage', '--no-cache and --cache-dir cannot be combined; pick one', {});
      let concurrency: number | undefined;
      if (opts.concurrency !== undefined) {
        concurrency = Number(opts.concurrency);
        if (!Number.isInteger(concurrency) || concurrency < 1)
          throw new UsageError('usage', `--concurrency must be a positive integer (got ${opts.concurrency})`, {});
      }
      const specPath = path.resolve(specArg);
      const spec = await readExtractSpec(specPath);

      const showProgress = !opts.json && process.stderr.isTTY === true;
      const bar = showProgress
        ? new cliProgress.SingleBar(
            { stream: process.stderr, format: 'extracting [{bar}] {value}/{total} frames', hideCursor: true },
            cliProgress.Presets.shades_classic,
          )
        : null;
      let started = false;
      const options: ExtractCallOptions = {
        fps: spec.fps,
        format: spec.format ?? 'auto',
        outDir: path.resolve(opts.out),
        baseDir: path.dirname(specPath),
        concurrency,
        sourcePasses: opts.sourcePasses,
        // --no-cache → false; --cache-dir → that directory; neither → the default resolution.
        ...(opts.cache ? (opts.cacheDir ? { cache: path.resolve(opts.cacheDir) } : {}) : { cache: false }),
        onProgress: bar
          ? ({ done, total }) => {
              if (!started) {
                bar.start(total, done);
                started = true;
              } else {
                bar.setTotal(total);
                bar.update(done);
              }
            }
          : undefined,
      };
      let result: ExtractResult;
      try {
        result = await extractVideos(spec.videos, options);
      } catch (error) {
        if (error instanceof ExtractOptionsError)
          throw new UsageError('usage', `spec file ${specPath}: ${error.message}`, {}, { cause: error });
        throw error;
      } finally {
        if (started) bar?.stop();
      }
      if (opts.json) context.stdout.write(`${JSON.stringify(extractJson(result), null, 2)}\n`);
      else context.stdout.write(summary(result, optionFlags(program)));
      await result.release();
      context.setExitCode(result.errors.length === 0 ? EXIT_OK : EXIT_FAILED);
    });
}
