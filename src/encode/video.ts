/**
 * Video encoders: captured PNG frames are streamed, in order, into one ffmpeg reading `image2pipe` from
 * stdin (no folder of screenshots), or written as a numbered PNG sequence.
 *
 * | format | codec       | pixel format                                  | container |
 * |--------|-------------|-----------------------------------------------|-----------|
 * | mp4    | libx264     | yuv420p, BT.709 primaries/transfer/matrix, tv range | MP4, `+faststart` |
 * | webm   | libvpx-vp9  | yuv420p, or yuva420p when `alpha`             | WebM      |
 * | png    | (none)      | the browser's PNG, RGBA when transparent      | `frame-000000.png`, … numbered from 0 |
 *
 * Quality presets (x264: CRF and preset; VP9: CRF with `-b:v 0`, deadline and cpu-used):
 *
 * | preset   | x264 CRF | x264 preset | VP9 CRF | VP9 deadline / cpu-used |
 * |----------|----------|-------------|---------|-------------------------|
 * | draft    | 28       | ultrafast   | 40      | realtime / 8            |
 * | standard | 20       | veryfast    | 32      | good / 4                |
 * | high     | 16       | slow        | 24      | good / 2                |
 *
 * Odd sizes: 4:2:0 chroma needs even dimensions, so an odd width or height gets one more column on the
 * right or row at the bottom, repeating the edge pixels (so no fill colour bleeds into the last real
 * column through shared chroma); the content is never scaled. RenderResult reports the composition's
 * size; the file's is the even one.
 * The PNG sequence keeps the exact size.
 *
 * Frames arrive as PNG, or as JPEG (full-range BT.601 JFIF, which ffmpeg reads as yuvj420p) when the
 * orchestrator captures JPEG for speed.
 *
 * RGB → YUV uses the BT.709 matrix and limited (tv) range explicitly (swscale's default is BT.601),
 * and the stream is tagged to match, so players show the colours the browser drew.
 *
 * The encoder writes where it is told (a temporary name chosen by the orchestrator); it never renames.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import { formatRational, type Rational } from '../media/rational.js';
import { ProcessError, type RunningProcess } from '../media/process.js';
import { startFfmpeg } from '../media/tools.js';

export type VideoFormat = 'mp4' | 'webm' | 'png';
export type Quality = 'draft' | 'standard' | 'high';

export const QUALITY_PRESETS: Record<Quality, { x264Crf: number; x264Preset: string; vp9Crf: number; vp9Deadline: string; vp9CpuUsed: number }> = {
  draft: { x264Crf: 28, x264Preset: 'ultrafast', vp9Crf: 40, vp9Deadline: 'realtime', vp9CpuUsed: 8 },
  standard: { x264Crf: 20, x264Preset: 'veryfast', vp9Crf: 32, vp9Deadline: 'good', vp9CpuUsed: 4 },
  high: { x264Crf: 16, x264Preset: 'slow', vp9Crf: 24, vp9Deadline: 'good', vp9CpuUsed: 2 },
};

/** Bytes of frames queued for ffmpeg before `write` waits for it to catch up. */
export const MAX_PENDING_BYTES = 24 * 1024 * 1024;

/** The encoder failed (ffmpeg exited, or the output could not be written). */
export class EncodeError extends Error {
  override readonly name = 'EncodeError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface VideoEncoderOptions {
  format: VideoFormat;
  /** The file (mp4/webm) or directory (png) to write. */
  output: string;
  width: number;
  height: number;
  fps: Rational;
  quality?: Quality;
  /** Keep transparency (webm: yuva420p). Ignored for mp4. */
  alpha?: boolean;
  /** What `write` receives: `png` (default) or `jpeg` frames. A png sequence needs png. */
  frameFormat?: 'png' | 'jpeg';
  signal?: AbortSignal;
}

export interface VideoEncoder {
  /** Writes the next frame (PNG, or JPEG with `frameFormat: 'jpeg'`). Resolves when the encoder accepted it (back-pressure). */
  write(png: Buffer): Promise<void>;
  /** Ends the stream and resolves when the output is complete. */
  finish(): Promise<void>;
  /** Stops the encoder and resolves once it has exited; the incomplete output is the caller's to remove. */
  abort(): Promise<void>;
  /**
   * Ends the encoder at once (SIGKILL), synchronously: for process exit paths, where a gracefully
   * stopping ffmpeg could still write (or, with +faststart, re-create) the output after it was removed.
   */
  killNow(): void;
  readonly framesWritten: number;
  /** ms spent waiting for the encoder to accept frames and to finish. */
  readonly busyMs: number;
}

/** Even size: the next even number for odd dimensions (see the module comment). */
export function evenSize(width: number, height: number): { width: number; height: number } {
  return { width: width + (width % 2), height: height + (height % 2) };
}

/** ffmpeg arguments for an mp4/webm encode reading PNGs from stdin (exported for tests and doctor). */
export function encoderArgs(options: VideoEncoderOptions): string[] {
  const quality = QUALITY_PRESETS[options.quality ?? 'standard'];
  const rate = formatRational(options.fps);
  const even = evenSize(options.width, options.height);
  const alpha = options.format === 'webm' && options.alpha === true;
  const filters: string[] = [];
  if (even.width !== options.width || even.height !== options.height) {
    // Repeat the edge into the new column/row: a fill colour would bleed into the last real column
    // through the shared 4:2:0 chroma sample.
    // In RGB: smearing a 4:2:0 input (JPEG frames) pads luma and chroma unevenly and left the edge black.
    filters.push(`format=${alpha ? 'rgba' : 'rgb24'}`, `pad=${even.width}:${even.height}:0:0`, `fillborders=right=${even.width - options.width}:bottom=${even.height - options.height}:mode=smear`);
  }
  const input = ['-f', 'image2pipe', '-framerate', rate, '-c:v', options.frameFormat === 'jpeg' ? 'mjpeg' : 'png', '-i', 'pipe:0'];
  if (options.format === 'mp4') {
    filters.push('scale=out_color_matrix=bt709:out_range=tv', 'format=yuv420p');
    return [
      '-y', ...input, '-vf', filters.join(','), '-an',
      '-c:v', 'libx264', '-preset', quality.x264Preset, '-crf', String(quality.x264Crf), '-pix_fmt', 'yuv420p',
      '-color_primaries', 'bt709', '-color_trc', 'bt709', '-colorspace', 'bt709', '-color_range', 'tv',
      '-r', rate, '-movflags', '+faststart', '-f', 'mp4', options.output,
    ];
  }
  if (options.format === 'webm') {
    filters.push(`scale=out_color_matrix=bt709:out_range=tv`, `format=${alpha ? 'yuva420p' : 'yuv420p'}`);
    return [
      '-y', ...input, '-vf', filters.join(','), '-an',
      '-c:v', 'libvpx-vp9', '-pix_fmt', alpha ? 'yuva420p' : 'yuv420p', '-crf', String(quality.vp9Crf), '-b:v', '0',
      '-deadline', quality.vp9Deadline, '-cpu-used', String(quality.vp9CpuUsed), '-row-mt', '1',
      ...(alpha ? ['-auto-alt-ref', '0'] : []),
      '-color_primaries', 'bt709', '-color_trc', 'bt709', '-colorspace', 'bt709', '-color_range', 'tv',
      '-r', rate, '-f', 'webm', options.output,
    ];
  }
  throw new RangeError(`encoderArgs: format ${options.format} has no ffmpeg encoder`);
}

/** Starts an encoder for `options.format`. */
export async function startVideoEncoder(options: VideoEncoderOptions): Promise<VideoEncoder> {
  if (options.format === 'png') {
    if (options.frameFormat === 'jpeg') throw new RangeError('a png sequence needs png frames');
    return pngSequence(options);
  }
  const proc = await startFfmpeg(encoderArgs(options), { stdin: 'pipe', stdout: 'ignore', signal: options.signal });
  return pipeEncoder(proc);
}

function pipeEncoder(proc: RunningProcess): VideoEncoder {
  const stdin = proc.stdin!;
  let framesWritten = 0;
  let busyMs = 0;
  let exited: ProcessError | null = null;
  proc.done.catch((error: unknown) => { exited = error instanceof ProcessError ? error : null; });
  // EPIPE when ffmpeg dies mid-stream: the real reason comes from `done`.
  stdin.on('error', () => {});
  const failure = async (): Promise<never> => {
    try {
      await proc.done;
    } catch (error) {
      throw new EncodeError(`the video encoder failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    throw new EncodeError('the video encoder stopped reading frames before the render ended');
  };
  return {
    get framesWritten() { return framesWritten; },
    get busyMs() { return busyMs; },
    async write(png) {
      if (exited || stdin.destroyed || stdin.writableEnded) return failure();
      const t = performance.now();
      stdin.write(png);
      framesWritten++;
      // Back-pressure with slack: a pipe holds only 64 KiB, less than one frame, so waiting for 'drain'
      // after every write would make capture wait for ffmpeg frame by frame. Up to MAX_PENDING_BYTES
      // queue in memory instead (bounded), and capture and encoding overlap.
      if (stdin.writableLength > MAX_PENDING_BYTES) {
        // Wait for the pipe to drain, or for ffmpeg to end (then `failure` explains why).
        const ended = proc.done.then(() => 'ended' as const, () => 'ended' as const);
        const outcome = await Promise.race([once(stdin, 'drain').then(() => 'drained' as const, () => 'ended' as const), ended]);
        if (outcome === 'ended') { busyMs += performance.now() - t; return failure(); }
      }
      busyMs += performance.now() - t;
    },
    async finish() {
      const t = performance.now();
      stdin.end();
      try {
        await proc.done;
      } catch (error) {
        throw new EncodeError(`the video encoder failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      } finally {
        busyMs += performance.now() - t;
      }
    },
    killNow() {
      if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
    },
    async abort() {
      stdin.destroy();
      proc.kill();
      await proc.done.catch(() => {});
    },
  };
}

/** `frame-000000.png`, … : the name of PNG-sequence frame `index`. */
export function pngFrameName(index: number): string {
  return `frame-${String(index).padStart(6, '0')}.png`;
}

async function pngSequence(options: VideoEncoderOptions): Promise<VideoEncoder> {
  await mkdir(options.output, { recursive: true });
  let framesWritten = 0;
  let busyMs = 0;
  return {
    get framesWritten() { return framesWritten; },
    get busyMs() { return busyMs; },
    async write(png) {
      const t = performance.now();
      // The browser's PNG is written as is: lossless, alpha kept, no re-encode.
      await writeFile(path.join(options.output, pngFrameName(framesWritten)), png);
      framesWritten++;
      busyMs += performance.now() - t;
    },
    async finish() {},
    killNow() {},
    async abort() {},
  };
}
