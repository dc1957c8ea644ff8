/**
 * Video encoders: captured frames are streamed, in order, into one ffmpeg reading them from stdin (no
 * folder of screenshots) — mp4, webm and mov as a timestamped Matroska stream that skips repeated
 * frames (frame-stream.ts), GIF's first pass as `image2pipe` — or written as a numbered PNG sequence.
 * GIF streams into a first pass that keeps the frames losslessly and builds the palette, then a second
 * pass writes the GIF.
 * Formats, codecs and their arguments: src/encode/video-args.ts.
 *
 * The encoder writes where it is told (a temporary name chosen by the orchestrator); it never renames.
 */
import { FramesmithError } from '../errors.js';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import { ProcessError, type RunningProcess } from '../media/process.js';
import { runFfmpeg, startFfmpeg } from '../media/tools.js';
import { encoderArgs, gifEncodeArgs, gifPaletteArgs, type VideoEncoderOptions } from './video-args.js';
import type { VideoEncoder } from './encoder.js';
import { timestampedFrames } from './frame-stream.js';

export { encoderArgs, evenSize, QUALITY_PRESETS, type Quality, type VideoEncoderOptions, type VideoFormat } from './video-args.js';

/** Bytes of frames queued for ffmpeg before `write` waits for it to catch up. */
export const MAX_PENDING_BYTES = 24 * 1024 * 1024;

/** The encoder failed (ffmpeg exited, or the output could not be written). */
export class EncodeError extends FramesmithError<'encode'> {
  override readonly name = 'EncodeError';
}

/** Starts an encoder for `options.format`. */
export async function startVideoEncoder(options: VideoEncoderOptions): Promise<VideoEncoder> {
  if (options.frameFormat === 'jpeg' && options.format !== 'mp4') throw new RangeError(`${options.format} output needs png frames`);
  if (options.format === 'png') return pngSequence(options);
  if (options.format === 'gif') return gifEncoder(options);
  const proc = await startFfmpeg(encoderArgs(options), { stdin: 'pipe', stdout: 'ignore', signal: options.signal });
  // Frames with timestamps (frame-stream.ts): a frame repeating the previous one is not sent.
  const raw = pipeEncoder(proc);
  try {
    return await timestampedFrames(raw, {
      frameFormat: options.frameFormat ?? 'png',
      width: options.width,
      height: options.height,
      fps: options.fps,
    });
  } catch (error) {
    await raw.abort();
    throw error;
  }
}

/** GIF in two passes (video-args.ts): frames and palette while capture runs, then the GIF itself. */
async function gifEncoder(options: VideoEncoderOptions): Promise<VideoEncoder> {
  if (!options.workDir) throw new RangeError('a gif encode needs a workDir for its intermediate files');
  const dir = path.join(options.workDir, 'gif');
  await mkdir(dir, { recursive: true });
  const frames = path.join(dir, 'frames.mkv');
  const palette = path.join(dir, 'palette.png');
  const first = pipeEncoder(
    await startFfmpeg(gifPaletteArgs(options, frames, palette), { stdin: 'pipe', stdout: 'ignore', signal: options.signal }),
  );
  let secondMs = 0;
  return {
    get framesWritten() {
      return first.framesWritten;
    },
    get busyMs() {
      return first.busyMs + secondMs;
    },
    write: (png) => first.write(png),
    async finish() {
      await first.finish();
      const t = performance.now();
      try {
        await runFfmpeg(gifEncodeArgs(options, frames, palette), { signal: options.signal });
      } catch (error) {
        throw new EncodeError(
          'encode',
          `the GIF encoder failed: ${error instanceof Error ? error.message : String(error)}`,
          {},
          { cause: error },
        );
      } finally {
        secondMs += performance.now() - t;
        await rm(dir, { recursive: true, force: true });
      }
    },
    killNow: () => first.killNow(),
    abort: () => first.abort(),
  };
}

function pipeEncoder(proc: RunningProcess): VideoEncoder {
  const stdin = proc.stdin!;
  let framesWritten = 0;
  let busyMs = 0;
  let exited: ProcessError | null = null;
  proc.done.catch((error: unknown) => {
    exited = error instanceof ProcessError ? error : null;
  });
  // EPIPE when ffmpeg dies mid-stream: the real reason comes from `done`.
  stdin.on('error', () => {});
  const failure = async (): Promise<never> => {
    try {
      await proc.done;
    } catch (error) {
      throw new EncodeError(
        'encode',
        `the video encoder failed: ${error instanceof Error ? error.message : String(error)}`,
        {},
        { cause: error },
      );
    }
    throw new EncodeError('encode', 'the video encoder stopped reading frames before the render ended', {});
  };
  return {
    get framesWritten() {
      return framesWritten;
    },
    get busyMs() {
      return busyMs;
    },
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
        const ended = proc.done.then(
          () => 'ended' as const,
          () => 'ended' as const,
        );
        const outcome = await Promise.race([
          once(stdin, 'drain').then(
            () => 'drained' as const,
            () => 'ended' as const,
          ),
          ended,
        ]);
        if (outcome === 'ended') {
          busyMs += performance.now() - t;
          return failure();
        }
      }
      busyMs += performance.now() - t;
    },
    async finish() {
      const t = performance.now();
      stdin.end();
      try {
        await proc.done;
      } catch (error) {
        throw new EncodeError(
          'encode',
          `the video encoder failed: ${error instanceof Error ? error.message : String(error)}`,
          {},
          { cause: error },
        );
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

/** `frame_000001.png`, … : HyperFrames' name of PNG-sequence frame `index` (0-based; names count from 1). */
export function hfFrameName(index: number): string {
  return `frame_${String(index + 1).padStart(6, '0')}.png`;
}

async function pngSequence(options: VideoEncoderOptions): Promise<VideoEncoder> {
  await mkdir(options.output, { recursive: true });
  let framesWritten = 0;
  let busyMs = 0;
  return {
    get framesWritten() {
      return framesWritten;
    },
    get busyMs() {
      return busyMs;
    },
    async write(png) {
      const t = performance.now();
      // The browser's PNG is written as is: lossless, alpha kept, no re-encode.
      await writeFile(path.join(options.output, (options.frameName ?? pngFrameName)(framesWritten)), png);
      framesWritten++;
      busyMs += performance.now() - t;
    },
    async finish() {},
    killNow() {},
    async abort() {},
  };
}
