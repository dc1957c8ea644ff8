/**
 * `framesmith render <dir|file.html>`: renders a composition to MP4 (default), WebM, MOV (ProRes 4444
 * with alpha), GIF, a PNG sequence (ours, or HyperFrames' png-sequence) or an HLS playlist directory.
 * Exit codes: 0 rendered, 1 the render failed (the message names the element or URL), 2 usage (a bad
 * flag value, with --strict-variables a variable that does not fit its declaration, a frame range outside the composition, an
 * output path that would replace what the render did not create or cannot be written).
 * `--json` prints one JSON document on stdout: the result, or `{ "error": { code, message, … } }`.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { OutputFormat, Quality } from '../render.js';
import type { RenderOptions, RenderResult } from '../render/types.js';
import { RenderError } from '../render/errors.js';
import { addBatchOptions, checkBatchFlags, runBatchCommand, type BatchFlags } from './batch.js';
import { ALLOW_OUTSIDE_FLAG, isInsideProject } from '../composition/project-paths.js';
import { EXIT_FAILED, EXIT_OK, exitCodeFor, UsageError } from './exit-codes.js';
import { cliMessage, optionFlags, withFlags } from './option-flags.js';
import type { CommandContext } from './context.js';
import { createProgress } from './progress.js';
import { deadlineFlag, deadlineSettings, type DeadlineFlags } from './deadline-flags.js';
import { abortOnInterrupt } from './interrupt.js';
import { redactUrl } from '../redact.js';
import { RESOLUTION_NAMES } from '../render/resolution.js';
import {
  addHyperframesOptions,
  cacheSetting,
  debugReporter,
  hyperframesSettings,
  parseFpsFlag,
  parseWorkersFlag,
  QUALITY_NAMES,
  type HyperframesFlags,
} from './hf-render-flags.js';

interface RenderFlags extends DeadlineFlags, HyperframesFlags, BatchFlags {
  output?: string;
  fps?: string;
  quality: Quality;
  format?: OutputFormat;
  hlsSegmentSeconds?: number;
  crf?: number;
  videoBitrate?: string;
  gifWidth?: number;
  composition?: string;
  frames?: { first: number; last: number };
  variables?: string;
  variablesFile?: string;
  strictVariables?: boolean;
  strict?: boolean;
  workers?: number | 'auto';
  browser?: string;
  /** false with --no-cache. */
  cache: boolean;
  cacheDir?: string;
  /** false with --no-incremental. */
  incremental: boolean;
  allowPrivateHosts?: boolean;
  allowOutsideProject?: boolean;
  webgl: 'auto' | 'on' | 'off';
  json?: boolean;
  quiet?: boolean;
  chunkFrames?: number;
  redis?: string;
  storage?: string;
  resolution?: string;
  videoFrameFormat?: 'auto' | 'jpg' | 'png';
  videoDecode?: 'auto' | 'page' | 'ffmpeg';
  hdr?: boolean;
  sdr?: boolean;
}

function wholeNumber(min: number, max: number, what: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${what}: a whole number from ${min} to ${max}`);
    return n;
  };
}

function parseFrames(value: string): { first: number; last: number } {
  const m = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(value);
  if (!m || Number(m[1]) > Number(m[2]))
    throw new InvalidArgumentError('a range of frame numbers a-b (0-based, both included, a <= b), e.g. 30-89');
  return { first: Number(m[1]), last: Number(m[2]) };
}

/** The render's variables from --variables or --variables-file: one JSON object. */
function readVariables(flags: RenderFlags): Record<string, unknown> | undefined {
  if (flags.variables !== undefined && flags.variablesFile !== undefined)
    throw new UsageError('usage', '--variables and --variables-file cannot be combined; pick one', {});
  let text: string;
  let from: string;
  if (flags.variables !== undefined) {
    text = flags.variables;
    from = '--variables';
  } else if (flags.variablesFile !== undefined) {
    from = `--variables-file ${flags.variablesFile}`;
    try {
      text = readFileSync(flags.variablesFile, 'utf8');
    } catch (error) {
      throw new UsageError(
        'usage',
        `${from}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); pass a JSON file such as {"title":"Hello"}`,
        {},
      );
    }
  } else {
    return undefined;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError('usage', `${from} is not valid JSON (${(error as Error).message}); pass an object such as {"title":"Hello"}`, {});
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new UsageError('usage', `${from} must be a JSON object such as {"title":"Hello"}`, {});
  return value as Record<string, unknown>;
}

/**
 * `--composition`: a composition's `data-composition-id`, or (as in HyperFrames) an .html file of the
 * project to render instead of index.html.
 */
function pickComposition(input: string, value: string | undefined, allowOutside: boolean): { input: string; composition?: string } {
  if (value === undefined) return { input };
  const dir = /\.html?$/i.test(input) ? path.dirname(input) : input;
  if (/\.html?$/i.test(value) || existsSync(path.join(dir, value))) {
    const file = path.resolve(dir, value);
    if (!allowOutside && !isInsideProject(dir, file)) {
      throw new UsageError(
        'usage',
        `--composition ${value}: ${file} is outside the project directory ${path.resolve(dir)}: render it as its own project, or pass ${ALLOW_OUTSIDE_FLAG}`,
        {},
      );
    }
    if (!existsSync(file)) throw new UsageError('usage', `--composition ${value}: ${file} does not exist in the project`, {});
    return { input: file };
  }
  return { input, composition: value };
}

/** Adds `render` (with `--batch`, batch.ts) to `program` (flags, output and exit codes: the module comment). */
export function registerRender(program: Command, context: CommandContext): void {
  const command = program
    .command('render')
    .description('render a composition (a directory holding index.html, or an .html file) to a video')
    .argument('[input]', 'project directory or .html file', '.')
    .option(
      '-o, --output <path>',
      'output file (a directory for --format png, png-sequence, hls); default renders/<name>_<YYYY-MM-DD_HH-MM-SS>.<format> as HyperFrames names it; never replaces a directory, the project or a file the render reads (exit 2)',
    )
    .option(
      '-f, --fps <rate>',
      "frame rate from 1 to 240, e.g. 30, 30000/1001 or 29.97 (default: the composition's data-fps, else 30; gif: at most 15)",
      parseFpsFlag,
    )
    .addOption(
      new Option(
        '-q, --quality <preset>',
        "encoder quality, HyperFrames' names, each at HyperFrames' quality with faster x264 settings: draft (x264 ultrafast CRF 28), standard (faster, CRF 17), looks (faster, CRF 15; HyperFrames' default), high = delivery (medium, CRF 14); with --crf or --video-bitrate HyperFrames' x264 preset; webm: HyperFrames' CRF; mov: fixed ProRes 4444",
      )
        .choices(QUALITY_NAMES)
        .default('standard'),
    )
    .addOption(
      new Option(
        '--format <format>',
        "output format (default: from -o's extension, else mp4); mov is ProRes 4444 with alpha; png-sequence: a directory of frame_000001.png… (RGBA where the stage is transparent) and audio.m4a when there is sound, as HyperFrames writes it; png: ours, frame-000000.png…, silent; hls: a VOD playlist directory (master.m3u8, H.264/AAC MPEG-TS segments)",
      ).choices(['mp4', 'webm', 'mov', 'gif', 'png', 'png-sequence', 'hls']),
    )
    .option(
      '--hls-segment-seconds <n>',
      'hls: segment length in whole seconds, 1 to 60 (default 4); the GOP is fixed so every segment starts on a keyframe',
      wholeNumber(1, 60, '--hls-segment-seconds'),
    )
    .option('--crf <n>', "constant rate factor instead of the quality preset's (mp4, webm; lower is better)", wholeNumber(0, 63, '--crf'))
    .option('--video-bitrate <rate>', 'target bitrate instead of a CRF, e.g. 5M or 800k (mp4, webm)')
    .option(
      '--gif-width <px>',
      "gif: scale frames to this width (default: the composition's, at most 640)",
      wholeNumber(2, 16384, '--gif-width'),
    )
    .option(
      '-c, --composition <id|file>',
      'the composition to render: a data-composition-id in the file, or another .html file of the project',
    )
    .option('--frames <a-b>', 'render only frames a to b (0-based, both included)', parseFrames)
    .option('--variables <json>', "values of the composition's declared variables, as a JSON object")
    .option('--variables-file <path>', 'the same, from a JSON file')
    .option(
      '--strict-variables',
      'refuse (exit 2) a --variables key the composition does not declare, or a value of the wrong type; without it they are warnings and the value is used as given',
    )
    .option(
      '--strict',
      "fail on any warning (an asset that could not be loaded, a replaced font, a video that ends early); HyperFrames' --strict fails on lint errors only",
    )
    .option(
      '-w, --workers <n|auto>',
      `capture pages in parallel (default auto: from cores and free memory, 1 under 60 frames, at most 1 per 30 frames; at most 64)`,
      parseWorkersFlag,
    )
    .option('--browser <path>', 'Chromium/Chrome executable (default: FRAMESMITH_BROWSER, the bundled headless shell, a system Chromium)')
    .addOption(deadlineFlag('browserTimeout'))
    .addOption(deadlineFlag('protocolTimeout'))
    .addOption(deadlineFlag('playerReadyTimeout'))
    .addOption(
      new Option('--webgl <mode>', 'WebGL for the page: auto starts it when the page asks for a context while loading')
        .choices(['auto', 'on', 'off'])
        .default('auto'),
    )
    .option('--no-cache', 'do not use the frame cache for video frames')
    .option('--no-incremental', 'with --chunk-frames: render every chunk again instead of reusing the cached segments of unchanged ones')
    .option('--cache-dir <dir>', 'frame cache directory (default: FRAMESMITH_CACHE_DIR, else ~/.cache/framesmith)')
    .option('--allow-private-hosts', 'allow remote media on http:// or private/loopback hosts (e.g. a local dev server)')
    .option(
      ALLOW_OUTSIDE_FLAG,
      'read media, sub-compositions and --composition files outside the project directory (../); symlinks inside it work without',
    )
    .option(
      '--chunk-frames <n>',
      'render as plan → chunks of n frames → assemble (locally --workers chunks at once, or on the workers of --redis; default with --redis: 240)',
      wholeNumber(1, 1_000_000, '--chunk-frames'),
    )
    .option('--redis <url>', 'queue the chunks on this Redis (redis://host:6379) for `framesmith worker`s on any machine; needs --storage')
    .option(
      '--storage <dir|url>',
      'where the plan and the segments go: a directory every worker sees at the same path (NFS, EFS, SMB), or s3://bucket/prefix',
    )
    .option(
      '--resolution <preset>',
      `draw the composition at a whole device scale factor so frames land at a preset size: ${RESOLUTION_NAMES.join(', ')} (same aspect as the composition, a whole multiple of its size; not with --hdr)`,
    )
    .addOption(
      new Option(
        '--video-frame-format <format>',
        'format <video> frames are extracted in: auto (JPEG, PNG for sources with alpha), png (lossless, for screen recordings and colour-critical footage), jpg (sources with alpha stay PNG)',
      ).choices(['auto', 'jpg', 'png']),
    )
    .addOption(
      new Option(
        '--video-decode <where>',
        'where <video> frames are decoded: page (in the page with WebCodecs wherever that is exact: H.264/VP9/AV1, SDR, opaque, absolutely positioned), ffmpeg (extracted by ffmpeg), auto (ffmpeg for now); planned renders always use ffmpeg',
      ).choices(['auto', 'page', 'ffmpeg']),
    )
    .option('--hdr', 'mp4: encode HDR (H.265 10-bit, BT.2020, HLG; PQ when a video source is PQ); other formats stay SDR with a warning')
    .option('--sdr', 'encode SDR, BT.709 (the default)')
    .option('--json', 'print the result as one JSON document')
    .option('--quiet', "no progress output, no notices (framesmith's old -q still means this when nothing or another flag follows it)");
  addHyperframesOptions(command);
  addBatchOptions(command);
  command.action(async (rawInput: string, flags: RenderFlags) => {
    const cache = cacheSetting(flags);
    const hf = hyperframesSettings(flags);
    if (flags.hdr && flags.sdr) throw new UsageError('usage', '--hdr and --sdr exclude each other; pick one', {});
    checkBatchFlags(flags);
    const variables = readVariables(flags);
    const { input, composition } = pickComposition(rawInput, flags.composition, flags.allowOutsideProject ?? false);
    const display = createProgress({ quiet: Boolean(flags.quiet || flags.json), stream: context.stderr });
    const notice = (message: string) => {
      if (!flags.quiet && !flags.json) display.interrupt(() => context.stderr.write(`framesmith: ${message}\n`));
    };
    for (const line of hf.notices) notice(line);
    const debug = debugReporter(Boolean(flags.debug), (line) =>
      display.interrupt(() => context.stderr.write(`framesmith: debug: ${line}\n`)),
    );
    debug.start({
      input,
      composition,
      fps: flags.fps,
      quality: flags.quality,
      workers: hf.workers ?? 'auto',
      cache: cache ?? 'default',
      strict: hf.strict,
      gifLoop: flags.gifLoop,
      vp9CpuUsed: flags.vp9CpuUsed,
    });
    const warn = (message: string) => {
      if (flags.json) return;
      display.interrupt(() =>
        context.stderr.write(`framesmith: warning: ${withFlags(message, optionFlags(program))} (--strict makes this an error)\n`),
      );
    };
    try {
      // Loaded here: the renderer (browser driver, HTML and CSS parsers, fonts) is most of the CLI's
      // start-up, and the other commands need none of it.
      const { render } = await import('../render.js');
      // A distributed render cancelled by Ctrl-C stops its chunks on the workers and removes its
      // segments before the process exits (interrupt.ts).
      const interrupt = flags.redis ? abortOnInterrupt() : undefined;
      const options: RenderOptions = {
        signal: interrupt?.signal,
        output: flags.output,
        fps: flags.fps,
        quality: flags.quality,
        format: flags.format,
        hlsSegmentSeconds: flags.hlsSegmentSeconds,
        crf: flags.crf,
        videoBitrate: flags.videoBitrate,
        gifWidth: flags.gifWidth,
        composition,
        frames: flags.frames,
        variables,
        strictVariables: flags.strictVariables ?? false,
        strict: hf.strict,
        onWarning: (w) => warn(w.message),
        workers: hf.workers,
        gifLoop: flags.gifLoop,
        vp9CpuUsed: flags.vp9CpuUsed,
        browser: flags.browser,
        cache,
        allowPrivateHosts: flags.allowPrivateHosts ?? false,
        allowOutsideProject: flags.allowOutsideProject ?? false,
        webgl: flags.webgl,
        ...deadlineSettings(flags),
        onProgress: (p) => {
          debug.progress(p);
          display.update(p);
        },
        chunkFrames: flags.chunkFrames,
        incremental: flags.incremental,
        redis: flags.redis,
        storage: flags.storage, // a directory (openStorage resolves it) or an s3:// URL
        resolution: flags.resolution,
        videoFrameFormat: flags.videoFrameFormat,
        videoDecode: flags.videoDecode,
        dynamicRange: flags.hdr ? 'hdr' : 'sdr',
        onNotice: (message) => {
          if (!flags.json) display.interrupt(() => context.stderr.write(`framesmith: ${withFlags(message, optionFlags(program))}\n`));
        },
      };
      // --batch: one render of these options per row (batch.ts), with the row's output and variables.
      if (flags.batch !== undefined)
        return context.setExitCode(await runBatchCommand(input, options, { ...flags, batch: flags.batch }, context, program));
      const rendering = render(input, options);
      const result = await (interrupt ? interrupt.track(rendering) : rendering);
      debug.done(result);
      display.stop();
      if (flags.json) context.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else if (!flags.quiet) {
        const where = result.chunks
          ? `${result.chunks.length} chunk${result.chunks.length === 1 ? '' : 's'}${flags.redis ? ` on ${redactUrl(flags.redis)}` : ''}`
          : `${result.workers} worker${result.workers === 1 ? '' : 's'}`;
        const extra = [
          result.captureMode,
          ...(result.webgl ? ['WebGL'] : []),
          where,
          ...(result.incremental ? [incrementalNote(result.incremental)] : []),
          ...(result.warnings.length ? [`${result.warnings.length} warning${result.warnings.length === 1 ? '' : 's'}`] : []),
        ];
        context.stderr.write(
          `framesmith: wrote ${result.output} (${result.frames} frames, ${result.width}x${result.height}, ${result.fps} fps, ${extra.join(', ')}) in ${(result.timings.total! / 1000).toFixed(1)} s\n`,
        );
      }
      context.setExitCode(EXIT_OK);
    } catch (error) {
      display.stop();
      const failure = error instanceof RenderError ? error : null;
      const message = redactUrl(cliMessage(error, program));
      if (flags.json) {
        context.stdout.write(
          `${JSON.stringify({ error: { code: failure?.code ?? 'internal', message, ...(failure?.fields ?? {}) } }, null, 2)}\n`,
        );
      }
      context.stderr.write(`framesmith: render failed: ${message}\n`);
      context.setExitCode(failure ? exitCodeFor(failure) : EXIT_FAILED);
    }
  });
}

/** The summary line's words for an incremental render's reuse. */
function incrementalNote(inc: NonNullable<RenderResult['incremental']>): string {
  if (inc.recorded) return 'nothing changed: assembled from the cache';
  const chunks = inc.reusedChunks + inc.renderedChunks;
  return `${inc.reusedChunks} of ${chunks} chunk${chunks === 1 ? '' : 's'} from the cache`;
}
