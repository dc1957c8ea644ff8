/**
 * The render's options, checked and resolved before any work starts: output path and format, the
 * encoder's rate control, the frame range. A bad value is a `RenderError` with code `invalid_option`
 * (the CLI's usage error, exit 2) that names the option and what it accepts.
 */
import path from 'node:path';
import type { OutputFormat } from '../stages/stage.js';
import { resolveDeadlines } from './deadlines.js';
import { checkPictureOptions } from './picture-options.js';
import { GIF_LOOP_MAX, VP9_CPU_USED_RANGE } from '../encode/video-args.js';
import { checkFormatOptions, encoderFormatOf, isDirectoryFormat } from './formats.js';
import { RenderError, type RenderOptions } from './types.js';

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
  const base = /\.html?$/i.test(resolved) && path.basename(resolved).toLowerCase() !== 'index.html'
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
  const bad = (message: string) => new RenderError('invalid_option', message);
  resolveDeadlines(options);
  checkPictureOptions(options);
  checkFormatOptions(options, format);
  if (options.workers !== undefined && !(Number.isInteger(options.workers) && options.workers >= 1)) {
    throw bad(`workers must be a whole number >= 1 (got ${options.workers})`);
  }
  if (options.crf !== undefined && options.videoBitrate !== undefined) throw bad('--crf and --video-bitrate cannot be combined: pick a constant quality (crf) or a target bitrate');
  if (options.crf !== undefined || options.videoBitrate !== undefined) {
    const flag = options.crf !== undefined ? '--crf' : '--video-bitrate';
    if (encoderFormatOf(format) !== 'mp4' && format !== 'webm') throw bad(`${flag} applies to mp4 and webm only: ${format === 'mov' ? 'mov is ProRes 4444, a fixed-quality profile' : format === 'gif' ? 'gif has no rate control' : 'a png sequence is lossless'}`);
  }
  if (options.crf !== undefined && !(Number.isInteger(options.crf) && options.crf >= 0 && options.crf <= 63)) {
    throw bad(`--crf must be a whole number from 0 to 63 (x264: 0–51; lower is better), got ${options.crf}`);
  }
  if (options.videoBitrate !== undefined && !BITRATE.test(options.videoBitrate)) {
    throw bad(`--video-bitrate must be a number of bits per second with an optional k, M or G, e.g. 5M or 800k (got "${options.videoBitrate}")`);
  }
  if (options.gifWidth !== undefined && !(Number.isInteger(options.gifWidth) && options.gifWidth >= 2)) {
    throw bad(`--gif-width must be a whole number of pixels >= 2, got ${options.gifWidth}`);
  }
  if (options.gifLoop !== undefined && !(Number.isInteger(options.gifLoop) && options.gifLoop >= 0 && options.gifLoop <= GIF_LOOP_MAX)) {
    throw bad(`--gif-loop must be a whole number from 0 (forever) to ${GIF_LOOP_MAX}, got ${options.gifLoop}`);
  }
  const cpu = VP9_CPU_USED_RANGE;
  if (options.vp9CpuUsed !== undefined && !(Number.isInteger(options.vp9CpuUsed) && options.vp9CpuUsed >= cpu.min && options.vp9CpuUsed <= cpu.max)) {
    throw bad(`--vp9-cpu-used must be a whole number from ${cpu.min} to ${cpu.max}, got ${options.vp9CpuUsed}`);
  }
  if (options.chunkFrames !== undefined && !(Number.isInteger(options.chunkFrames) && options.chunkFrames >= 1)) {
    throw bad(`--chunk-frames must be a whole number of frames >= 1 (got ${options.chunkFrames})`);
  }
  if (options.redis !== undefined && options.storage === undefined) {
    throw bad('--redis needs --storage: a directory every worker sees at the same path, where the plan and the segments go');
  }
  if (options.frames) {
    const { first, last } = options.frames;
    if (!(Number.isInteger(first) && Number.isInteger(last) && first >= 0 && last >= first)) {
      throw bad(`--frames must be a range a-b of frame numbers with 0 <= a <= b, got ${first}-${last}`);
    }
  }
}

/** The frames to render: all of them, or the asked range, which must lie inside the composition. */
export function frameRange(options: RenderOptions, frameCount: number): { first: number; count: number } {
  if (!options.frames) return { first: 0, count: frameCount };
  const { first, last } = options.frames;
  if (last >= frameCount) {
    throw new RenderError('invalid_option', `--frames ${first}-${last} reaches past the composition's last frame, ${frameCount - 1} (it has ${frameCount} frames, numbered from 0)`);
  }
  return { first, count: last - first + 1 };
}
