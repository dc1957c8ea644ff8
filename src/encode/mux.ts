/**
 * The last step of a render: put the encoded video and the audio mix into one file. Streams are
 * copied (`-c copy`), never re-encoded, so this costs a read and a write of the file and nothing more.
 */
import { FramesmithError } from '../errors.js';
import { copyFile, rename, rm, stat } from 'node:fs/promises';
import { ProcessError } from '../media/process.js';
import type { Rational } from '../media/rational.js';
import { movieTimescale } from './video-args.js';
import { runFfmpeg } from '../media/tools.js';
import { commitTemp, removeQuietly, streamEnd, tempPathFor } from './audio-output.js';

/** Why `muxAudio` failed (`MuxError.code`). `ffmpeg_failed` also covers an input without the expected stream. */
export type MuxErrorCode =
  /** The video or audio input file does not exist. */
  | 'source_missing'
  /** The muxed audio and video streams end at different times (the mix was made for another length). */
  | 'length_mismatch'
  | 'ffmpeg_failed'
  | 'cancelled';

/** A failure of the mux; `file` names the input at fault when there is one. */
export class MuxError extends FramesmithError<MuxErrorCode, { file?: string }> {
  override readonly name = 'MuxError';
}

/** The output container of `muxAudio` and what it keeps; aborting `signal` rejects with `cancelled`. */
export interface MuxOptions {
  /** `mp4` (H.264 + AAC, `+faststart` so playback starts before the download ends) or `webm` (VP9 + Opus). */
  container: 'mp4' | 'mov' | 'webm';
  /**
   * The video's frame rate: mp4/mov get a movie timescale that holds it exactly (else the movie's
   * durations and edit lists fall back to milliseconds).
   */
  fps?: Rational;
  /** WebM with an alpha channel: keep the AlphaMode flag browsers need to show transparency. */
  alpha?: boolean;
  signal?: AbortSignal;
}

/** What `muxAudio` wrote: `file` is its `outFile`, with both streams' ends as read back from it. */
export interface MuxResult {
  file: string;
  /** End of the video stream, seconds, read back from the written file. */
  videoDuration: number;
  /** End of the audio stream, seconds; null when there is no audio. */
  audioDuration: number | null;
}

/**
 * The tolerance on |audio end − video end|: one AAC frame at 48 kHz (1024 samples ≈ 21.3 ms) plus the
 * millisecond WebM timestamps round to. A correctly made mix ends within it; anything more means the
 * mix was made for another duration.
 */
export const MUX_LENGTH_TOLERANCE_S = 1024 / 48_000 + 0.001;

/**
 * Writes `outFile` holding the first video stream of `videoFile` and, when `audioFile` is not null,
 * the first audio stream of `audioFile`, both copied. With `audioFile === null` the video file is
 * MOVED to `outFile` (it is the render's intermediate; a rename costs nothing). Otherwise the inputs are
 * left alone and the output is written under a temporary name and renamed.
 *
 * No `-shortest`: both streams are kept whole, then their ends are read back and compared, and a
 * difference over `MUX_LENGTH_TOLERANCE_S` fails with `MuxError` `length_mismatch` (and no output).
 */
export async function muxAudio(videoFile: string, audioFile: string | null, outFile: string, options: MuxOptions): Promise<MuxResult> {
  await requireFile(videoFile, 'video');
  if (audioFile !== null) await requireFile(audioFile, 'audio');
  if (options.signal?.aborted) throw new MuxError('cancelled', 'the mux was cancelled', {});
  if (audioFile === null) {
    const videoDuration = await streamEnd(videoFile, 'v', options.signal).catch(() => null);
    if (videoDuration === null)
      throw new MuxError('ffmpeg_failed', `${videoFile} has no readable video stream; pass the encoded video as the first argument`, {
        file: videoFile,
      });
    await moveFile(videoFile, outFile);
    return { file: outFile, videoDuration, audioDuration: null };
  }
  const temp = tempPathFor(outFile);
  try {
    await runFfmpeg(
      [
        '-y',
        '-v',
        'error',
        '-i',
        videoFile,
        '-i',
        audioFile,
        '-map',
        '0:v:0',
        '-map',
        '1:a:0',
        '-c',
        'copy',
        ...(options.container === 'webm'
          ? ['-f', 'webm']
          : [
              '-movflags',
              '+faststart',
              ...(options.fps ? ['-movie_timescale', String(movieTimescale(options.fps))] : []),
              '-f',
              options.container,
            ]),
        '-map_metadata',
        '-1',
        '-fflags',
        '+bitexact',
        // -map_metadata -1 drops the stream's AlphaMode too; the alpha data alone shows opaque in browsers.
        ...(options.container === 'webm' && options.alpha ? ['-metadata:s:v:0', 'alpha_mode=1'] : []),
        temp,
      ],
      { signal: options.signal },
    );
    const { videoDuration, audioDuration } = await checkMuxedLengths(temp, videoFile, audioFile, options.signal);
    await commitTemp(temp, outFile);
    return { file: outFile, videoDuration, audioDuration };
  } catch (error) {
    await removeQuietly(temp);
    if (error instanceof MuxError) throw error;
    if (error instanceof ProcessError && error.code === 'cancelled')
      throw new MuxError('cancelled', 'the mux was cancelled', {}, { cause: error });
    const detail = error instanceof Error ? error.message : String(error);
    throw new MuxError(
      'ffmpeg_failed',
      `muxing ${videoFile} and ${audioFile} into ${outFile} failed: ${detail}; check that the video is ${{ mp4: 'H.264', mov: 'ProRes', webm: 'VP9' }[options.container]} and the audio ${options.container === 'webm' ? 'Opus' : 'AAC'}`,
      {},
      { cause: error },
    );
  }
}

/**
 * The ends of the video and audio streams of `muxed` (seconds), written from the video `videoFile` (as
 * named in errors) and the audio `audioFile`: `MuxError` `ffmpeg_failed` when a stream is missing,
 * `length_mismatch` when they differ by more than `MUX_LENGTH_TOLERANCE_S`.
 */
export async function checkMuxedLengths(
  muxed: string,
  videoFile: string,
  audioFile: string,
  signal?: AbortSignal,
): Promise<{ videoDuration: number; audioDuration: number }> {
  const videoDuration = await streamEnd(muxed, 'v', signal);
  if (videoDuration === null)
    throw new MuxError('ffmpeg_failed', `${videoFile} has no video stream; pass the encoded video as the first argument`, {
      file: videoFile,
    });
  const audioDuration = await streamEnd(muxed, 'a', signal);
  if (audioDuration === null)
    throw new MuxError('ffmpeg_failed', `${audioFile} has no audio stream to mux; pass the file mixAudio wrote, or null for no audio`, {
      file: audioFile,
    });
  if (Math.abs(audioDuration - videoDuration) > MUX_LENGTH_TOLERANCE_S) {
    throw new MuxError(
      'length_mismatch',
      `audio ${audioFile} lasts ${audioDuration.toFixed(3)} s but video ${videoFile} lasts ${videoDuration.toFixed(3)} s; mix the audio with duration = the video's length (frameCount / fps)`,
      { file: audioFile },
    );
  }
  return { videoDuration, audioDuration };
}

async function requireFile(file: string, what: 'video' | 'audio'): Promise<void> {
  const ok = await stat(file).then(
    (s) => s.isFile(),
    () => false,
  );
  if (!ok)
    throw new MuxError(
      'source_missing',
      `the ${what} file to mux, ${file}, does not exist; it should have been written by the ${what === 'video' ? 'video encoder' : 'audio mix'}`,
      { file },
    );
}

/**
 * Renames (atomic). Across filesystems: copies under a temporary name next to `to`, renames that into
 * place, then deletes `from`.
 */
async function moveFile(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    const temp = tempPathFor(to);
    try {
      await copyFile(from, temp);
      await commitTemp(temp, to);
    } catch (copyError) {
      await removeQuietly(temp);
      throw copyError;
    }
    await rm(from, { force: true });
  }
}
