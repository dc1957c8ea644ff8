/**
 * HLS packaging, laid out as HyperFrames 0.8.170 writes `--format hls` (checked by running it): a VOD
 * playlist directory of MPEG-TS segments, streams copied from an encoded MP4 (H.264, and AAC when it has
 * sound) whose keyframes fall every `segmentSeconds` (VideoEncoderOptions.keyframeSeconds), so each
 * segment starts on one.
 *
 * ```
 * master.m3u8          the variant (RESOLUTION, BANDWIDTH), naming the audio rendition group
 * video.m3u8           #EXT-X-PLAYLIST-TYPE:VOD, #EXT-X-INDEPENDENT-SEGMENTS
 * video_00000.ts …     H.264, `segmentSeconds` each (the last one shorter)
 * audio.m3u8           only with sound: the AAC rendition (group "aud") …
 * audio_00000.ts …     … in its own segments
 * ```
 *
 * The packager writes into the directory it is given (a temporary one, renamed into place by the
 * orchestrator); it never renames.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runFfmpeg, runFfprobe } from '../media/tools.js';
import { hasCode } from '../errors.js';
import { EncodeError } from './video.js';

/** The names HyperFrames gives an HLS directory's files. */
export const HLS_MASTER = 'master.m3u8';
/** Every file an HLS output directory holds (playlists and segments). */
export const HLS_FILE_NAME = /^(?:(?:master|video|audio)\.m3u8|(?:video|audio)_\d{5,}\.ts)$/;

/** `--hls-segment-seconds`: whole seconds, as HyperFrames takes it. */
export const HLS_SEGMENT_SECONDS = { default: 4, min: 1, max: 60 } as const;

/** How `packageHls` cuts segments. Aborting `signal` ends ffmpeg; packageHls then rejects with code `cancelled`. */
export interface HlsOptions {
  /** Target segment length in whole seconds; the video's keyframes must fall on its multiples. */
  segmentSeconds: number;
  signal?: AbortSignal;
}

/** Packages `video` (an MP4: H.264, optionally AAC) into the HLS directory `outputDir` (created). */
export async function packageHls(video: string, outputDir: string, options: HlsOptions): Promise<void> {
  await mkdir(outputDir, { recursive: true });
  const audio = await hasAudio(video, options.signal);
  const args = [
    '-y',
    '-v',
    'error',
    '-i',
    video,
    '-map',
    '0:v:0',
    ...(audio ? ['-map', '0:a:0'] : []),
    '-c',
    'copy',
    '-f',
    'hls',
    '-hls_time',
    String(options.segmentSeconds),
    '-hls_playlist_type',
    'vod',
    '-hls_flags',
    'independent_segments',
    '-hls_segment_type',
    'mpegts',
    // One video variant; the sound as an alternative rendition of group "aud", as HyperFrames does.
    '-var_stream_map',
    audio ? 'v:0,agroup:aud,name:video a:0,agroup:aud,name:audio' : 'v:0,name:video',
    '-master_pl_name',
    HLS_MASTER,
    '-hls_segment_filename',
    path.join(outputDir, '%v_%05d.ts'),
    // The mpegts muxer would otherwise start the timeline 1.4 s late.
    '-muxdelay',
    '0',
    '-muxpreload',
    '0',
    path.join(outputDir, '%v.m3u8'),
  ];
  try {
    await runFfmpeg(args, { signal: options.signal });
  } catch (error) {
    // Cancelled is the run's `cancelled` (ProcessError), not a packaging failure.
    if (hasCode(error, 'cancelled')) throw error;
    throw new EncodeError(
      'encode',
      `packaging the video as HLS failed: ${error instanceof Error ? error.message : String(error)}`,
      {},
      { cause: error },
    );
  }
  if (audio) await dropAudioOnlyVariant(path.join(outputDir, HLS_MASTER));
}

/** Whether `file` has an audio stream. */
async function hasAudio(file: string, signal?: AbortSignal): Promise<boolean> {
  const { stdout } = await runFfprobe(['-v', 'error', '-select_streams', 'a', '-show_entries', 'stream=index', '-of', 'csv=p=0', file], {
    signal,
  });
  return stdout.trim().length > 0;
}

/**
 * ffmpeg lists the audio rendition a second time as a variant of its own (no RESOLUTION): a player
 * could pick it and show no picture. Only the video variant stays; the audio remains its rendition.
 */
async function dropAudioOnlyVariant(master: string): Promise<void> {
  const text = await readFile(master, 'utf8');
  // A variant is its #EXT-X-STREAM-INF line and the URI line after it (with the blank lines before).
  await writeFile(master, text.replace(/\n*#EXT-X-STREAM-INF:(?![^\n]*RESOLUTION=)[^\n]*\n[^\n]*/g, ''));
}
