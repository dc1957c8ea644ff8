/**
 * The render's options, checked and resolved before any work starts: output path and format, the
 * encoder's rate control, the frame range. A bad value is a `RenderError` with code `invalid_option`
 * (the CLI's usage error, exit 2) that names the option and what it accepts.
 *
 * `resolveRenderOptions()` runs once, at the top of `render()`: every default of a render option is
 * applied there and nowhere else, and the frozen result is what every layer below reads.
 */
import path from 'node:path';
import { resolveCacheDir } from '../cache/config.js';
import type { Deadlines } from '../capture/deadlines.js';
import type { FrameImageFormat } from '../capture/page.js';
import { defaultWorkers } from '../capture/worker-count.js';
import { distributedTimings } from '../distributed/timings.js';
import { DEFAULT_CHUNK_FRAMES } from '../plan/chunks.js';
import type { OutputFormat } from '../stages/stage.js';
import type { RenderWarning, StrictSetting } from '../warnings.js';
import type { WebGLSetting } from './capture-session.js';
import { resolveDeadlines } from './deadlines.js';
import { checkPictureOptions, hdrFor } from './picture-options.js';
import { scaleOption } from './resolution.js';
import { frameFormatFor } from './load.js';
import { GIF_LOOP_MAX, VP9_CPU_USED_RANGE } from '../encode/video-args.js';
import { keepBrowsersMs } from '../browser/pool.js';
import { checkFormatOptions, encoderFormatOf, hlsSegmentSeconds, isDirectoryFormat } from './formats.js';
import type { RenderOptions } from './types.js';
import { RenderError } from './errors.js';
import { VIDEO_DECODE_MODES, type VideoDecodeMode } from '../stages/page-decode.js';

/** `YYYY-MM-DD_HH-MM-SS` in local time, the stamp HyperFrames puts in a default output name. */
export function outputTimestamp(now: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${two(now.getMonth() + 1)}-${two(now.getDate())}_${two(now.getHours())}-${two(now.getMinutes())}-${two(now.getSeconds())}`;
}

/**
 * `renders/<name>_<YYYY-MM-DD_HH-MM-SS>.<ext>` under `cwd` (a directory, without extension, for png),
 * as HyperFrames names it: a second render never lands on the first. The name is the project
 * directory's, or an .html file's own (without extension) unless it is index.html; the stamp is `now`
 * in local time.
 */
export function defaultOutputPath(input: string, format: OutputFormat = 'mp4', cwd = process.cwd(), now = new Date()): string {
  const resolved = path.resolve(cwd, input);
  const base =
    /\.html?$/i.test(resolved) && path.basename(resolved).toLowerCase() !== 'index.html'
      ? path.basename(resolved).replace(/\.html?$/i, '')
      : path.basename(/\.html?$/i.test(resolved) ? path.dirname(resolved) : resolved);
  const name = `${base}_${outputTimestamp(now)}`;
  return path.join(cwd, 'renders', isDirectoryFormat(format) ? name : `${name}.${format}`);
}

const FORMAT_BY_EXTENSION: Record<string, OutputFormat> = { '.mp4': 'mp4', '.webm': 'webm', '.mov': 'mov', '.gif': 'gif' };

/** The format an output path's extension names, if any. */
export function formatFromOutput(output: string | undefined): OutputFormat | undefined {
  return output ? FORMAT_BY_EXTENSION[path.extname(output).toLowerCase()] : undefined;
}

const BITRATE = /^\d+(\.\d+)?[kmg]?$/i;

/** Throws `invalid_option` for options that cannot work together or hold bad values. */
export function checkRenderOptions(options: RenderOptions, format: OutputFormat): void {
  const bad = (option: string, message: string) => new RenderError('invalid_option', message, { option });
  resolveDeadlines(options);
  checkPictureOptions(options);
  checkFormatOptions(options, format);
  if (options.videoDecode !== undefined && !VIDEO_DECODE_MODES.includes(options.videoDecode)) {
    throw bad('videoDecode', `\`videoDecode\` must be auto, page or ffmpeg (got "${String(options.videoDecode)}")`);
  }
  if (options.keepBrowsers !== undefined && !(Number.isFinite(options.keepBrowsers) && options.keepBrowsers >= 0)) {
    throw bad('keepBrowsers', `\`keepBrowsers\` must be a number of milliseconds >= 0 (got ${options.keepBrowsers})`);
  }
  if (options.workers !== undefined && !(Number.isInteger(options.workers) && options.workers >= 1)) {
    throw bad('workers', `\`workers\` must be a whole number >= 1 (got ${options.workers})`);
  }
  if (options.crf !== undefined && options.videoBitrate !== undefined)
    throw bad('crf', '`crf` and `videoBitrate` cannot be combined: pick a constant quality (crf) or a target bitrate');
  if (options.crf !== undefined || options.videoBitrate !== undefined) {
    const option = options.crf !== undefined ? 'crf' : 'videoBitrate';
    if (encoderFormatOf(format) !== 'mp4' && format !== 'webm')
      throw bad(
        option,
        `\`${option}\` applies to mp4 and webm only: ${format === 'mov' ? 'mov is ProRes 4444, a fixed-quality profile' : format === 'gif' ? 'gif has no rate control' : 'a png sequence is lossless'}`,
      );
  }
  if (options.crf !== undefined && !(Number.isInteger(options.crf) && options.crf >= 0 && options.crf <= 63)) {
    throw bad('crf', `\`crf\` must be a whole number from 0 to 63 (x264: 0–51; lower is better), got ${options.crf}`);
  }
  if (options.videoBitrate !== undefined && !BITRATE.test(options.videoBitrate)) {
    throw bad(
      'videoBitrate',
      `\`videoBitrate\` must be a number of bits per second with an optional k, M or G, e.g. 5M or 800k (got "${options.videoBitrate}")`,
    );
  }
  if (options.gifWidth !== undefined && !(Number.isInteger(options.gifWidth) && options.gifWidth >= 2)) {
    throw bad('gifWidth', `\`gifWidth\` must be a whole number of pixels >= 2, got ${options.gifWidth}`);
  }
  if (options.gifLoop !== undefined && !(Number.isInteger(options.gifLoop) && options.gifLoop >= 0 && options.gifLoop <= GIF_LOOP_MAX)) {
    throw bad('gifLoop', `\`gifLoop\` must be a whole number from 0 (forever) to ${GIF_LOOP_MAX}, got ${options.gifLoop}`);
  }
  const cpu = VP9_CPU_USED_RANGE;
  if (
    options.vp9CpuUsed !== undefined &&
    !(Number.isInteger(options.vp9CpuUsed) && options.vp9CpuUsed >= cpu.min && options.vp9CpuUsed <= cpu.max)
  ) {
    throw bad('vp9CpuUsed', `\`vp9CpuUsed\` must be a whole number from ${cpu.min} to ${cpu.max}, got ${options.vp9CpuUsed}`);
  }
  if (options.chunkFrames !== undefined && !(Number.isInteger(options.chunkFrames) && options.chunkFrames >= 1)) {
    throw bad('chunkFrames', `\`chunkFrames\` must be a whole number of frames >= 1 (got ${options.chunkFrames})`);
  }
  if (options.redis !== undefined && options.storage === undefined) {
    throw bad('redis', '`redis` needs `storage`: a directory every worker sees at the same path, where the plan and the segments go');
  }
  if (options.frames) {
    const { first, last } = options.frames;
    if (!(Number.isInteger(first) && Number.isInteger(last) && first >= 0 && last >= first)) {
      throw bad('frames', `\`frames\` must be a range a-b of frame numbers with 0 <= a <= b, got ${first}-${last}`);
    }
  }
}

/** Options read as given below the resolution (each has at most one default, where it is used). */
const PASSED_ON = [
  'fps',
  'quality',
  'crf',
  'videoBitrate',
  'gifWidth',
  'gifLoop',
  'vp9CpuUsed',
  'onWarning',
  'browser',
  'captureMode',
  'resolution',
  'videoFrameFormat',
  'signal',
  'onProgress',
  'allowPrivateHosts',
  'allowOutsideProject',
  'composition',
  'variables',
  'strictVariables',
  'stages',
  'redis',
  'storage',
  'onNotice',
] as const satisfies readonly (keyof RenderOptions)[];
type PassedOn = (typeof PASSED_ON)[number] | 'frames';

/**
 * A render's options after `resolveRenderOptions`: checked, every default applied, frozen (the
 * `frames` range and the deadlines too). The layers below read it; none of them applies a default.
 */
export interface ResolvedRenderOptions extends Readonly<Pick<RenderOptions, PassedOn>> {
  /** The composition as given: a directory holding index.html, or an .html file. */
  readonly input: string;
  /** `format`, else the output's extension's (`.mp4`, `.webm`, `.mov`, `.gif`), else mp4. */
  readonly format: OutputFormat;
  /** Absolute: `output`, else `defaultOutputPath(input, format)`. */
  readonly output: string;
  /** Plan → chunks → assemble (src/render/planned.ts): `chunkFrames`, `redis` or `storage` was given. */
  readonly planned: boolean;
  /** `workers`, else `FRAMESMITH_WORKERS`, else `defaultWorkers()` (cores and free memory) at resolution. */
  readonly workers: number;
  /** Whether `workers` was asked for (the option or `FRAMESMITH_WORKERS`); a default count yields to a short render (`workersForFrames`). */
  readonly workersChosen: boolean;
  /** `keepBrowsers`, else `FRAMESMITH_KEEP_BROWSERS` (`keepBrowsersMs`), else 0. */
  readonly keepBrowsers: number;
  /** `webgl`, else `auto`. */
  readonly webgl: WebGLSetting;
  /** `seed`, else 1. */
  readonly seed: number;
  /** `strict`, else false. */
  readonly strict: StrictSetting;
  /** `resolveDeadlines(options)`: the options, else the PRODUCER_* variables, else HyperFrames' defaults. */
  readonly deadlines: Readonly<Deadlines>;
  /** The frame (and probe) cache directory, null when off: `resolveCacheDir({ dir: cache })`. */
  readonly cacheDir: string | null;
  /** Whether the video is encoded HDR: `dynamicRange: 'hdr'` and mp4 output. */
  readonly hdr: boolean;
  /** `dynamicRange: 'hdr'` with another format: the warning that it is written SDR. */
  readonly hdrWarning: RenderWarning | null;
  /** The image format frames travel in from the browser: PNG for HDR, else `frameFormatFor(format, options)`. */
  readonly frameFormat: FrameImageFormat;
  /** `hlsSegmentSeconds`, else 4. */
  readonly hlsSegmentSeconds: number;
  /** `incremental`, else true; false unless planned, in this process (no `redis`) and with the cache on. */
  readonly incremental: boolean;
  /** `chunkFrames`, else `DEFAULT_CHUNK_FRAMES` (240). Read by planned renders only. */
  readonly chunkFrames: number;
  /** Where `<video>` frames are decoded: `videoDecode`, else `auto`; `ffmpeg` for planned renders (a plan carries extracted frames). */
  readonly videoDecode: VideoDecodeMode;
}

/**
 * Checks `options` (`checkRenderOptions`: `invalid_option` for a bad value or combination) and resolves
 * them once for the render of `input` (see `ResolvedRenderOptions`). `cwd` and `env` are the process's.
 */
export function resolveRenderOptions(input: string, options: RenderOptions, env: NodeJS.ProcessEnv = process.env): ResolvedRenderOptions {
  const format = options.format ?? formatFromOutput(options.output) ?? 'mp4';
  checkRenderOptions(options, format);
  // A distributed render reads its timings from the environment: a malformed one fails before any work
  // (invalid_config, naming the variable), not after the plan is frozen.
  if (options.redis !== undefined) distributedTimings(env);
  const hdr = hdrFor(options, format);
  const planned = options.chunkFrames !== undefined || options.redis !== undefined || options.storage !== undefined;
  const cacheDir = resolveCacheDir({ dir: options.cache, env });
  const asked = options.workers ?? workersFromEnv(env);
  const passed = Object.fromEntries(PASSED_ON.filter((key) => options[key] !== undefined).map((key) => [key, options[key]])) as Pick<
    RenderOptions,
    PassedOn
  >;
  return Object.freeze({
    ...passed,
    ...(options.frames ? { frames: Object.freeze({ ...options.frames }) } : {}),
    input,
    format,
    output: path.resolve(options.output ?? defaultOutputPath(input, format)),
    planned,
    workers: asked ?? defaultWorkers(),
    workersChosen: asked !== undefined,
    keepBrowsers: options.keepBrowsers ?? keepBrowsersMs(env),
    webgl: options.webgl ?? 'auto',
    seed: options.seed ?? 1,
    strict: options.strict ?? false,
    deadlines: Object.freeze(resolveDeadlines(options, env)),
    cacheDir,
    incremental: planned && options.redis === undefined && cacheDir !== null && options.incremental !== false,
    hdr: hdr.hdr,
    hdrWarning: hdr.warning ?? null,
    frameFormat: hdr.hdr ? 'png' : frameFormatFor(format, options),
    hlsSegmentSeconds: hlsSegmentSeconds(options),
    chunkFrames: options.chunkFrames ?? DEFAULT_CHUNK_FRAMES,
    videoDecode: planned ? 'ffmpeg' : (options.videoDecode ?? 'auto'),
  });
}

/**
 * `FRAMESMITH_WORKERS`: the worker count of a render that passes no `workers` (the test suite sets 1:
 * one browser per render unless a test is about the pool); undefined when unset or empty.
 */
export function workersFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const text = env.FRAMESMITH_WORKERS?.trim();
  if (!text) return undefined;
  const count = Number(text);
  if (!Number.isInteger(count) || count < 1) {
    throw new RenderError(
      'invalid_option',
      `FRAMESMITH_WORKERS must be a whole number >= 1 (got "${text}"); unset it to use one worker per core`,
      { option: 'workers' },
    );
  }
  return count;
}

/** The frames to render: all of them, or the asked range, which must lie inside the composition. */
export function frameRange(options: Pick<RenderOptions, 'frames'>, frameCount: number): { first: number; count: number } {
  if (!options.frames) return { first: 0, count: frameCount };
  const { first, last } = options.frames;
  if (last >= frameCount) {
    throw new RenderError(
      'invalid_option',
      `\`frames\` ${first}-${last} reaches past the composition's last frame, ${frameCount - 1} (it has ${frameCount} frames, numbered from 0)`,
      { option: 'frames' },
    );
  }
  return { first, count: last - first + 1 };
}

/**
 * The browser settings of a capture session (src/render/capture-session.ts) rendering the composition
 * in `entryFile`: the browser, capture mode and deadlines resolved, and the page size → device scale
 * factor that `resolution` asks for (undefined without one: the composition's own size).
 */
export function browserSettingsOf(options: ResolvedRenderOptions, entryFile: string) {
  return {
    browserPath: options.browser,
    captureMode: options.captureMode,
    deadlines: options.deadlines,
    deviceScaleFactor: scaleOption(options.resolution, entryFile),
    keepBrowsersMs: options.keepBrowsers,
  };
}
