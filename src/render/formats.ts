/**
 * The output formats beyond the encoders' own (src/encode/video-args.ts `VideoFormat`), as HyperFrames
 * 0.8.170 writes them, each made by one of the encoders plus what differs:
 *
 * - `png-sequence`: the `png` encoder naming frames `frame_000001.png`, … (from 1, six digits), RGBA
 *   where the stage is transparent; with sound, the mix beside them as `audio.m4a` (AAC).
 * - `hls`: the `mp4` encoder (H.264, AAC) with its GOP fixed at the segment length, then packaged into
 *   a VOD playlist directory (src/encode/hls.ts).
 *
 * Our own `png` stays as it was (`frame-000000.png`, …, from 0, silent).
 */
import { hfFrameName } from '../encode/video.js';
import { HLS_FILE_NAME, HLS_SEGMENT_SECONDS, packageHls } from '../encode/hls.js';
import type { VideoFormat } from '../encode/video-args.js';
import { SEQUENCE_AUDIO } from '../stages/audio.js';
import type { OutputFormat } from '../stages/stage.js';
import type { RenderOptions } from './types.js';
import { RenderError } from './errors.js';

/** The encoder that makes `format`'s frames or video. */
export function encoderFormatOf(format: OutputFormat): VideoFormat {
  return format === 'png-sequence' ? 'png' : format === 'hls' ? 'mp4' : format;
}

/** Whether `format`'s output is a directory (png, png-sequence, hls) rather than a file. */
export function isDirectoryFormat(format: OutputFormat): boolean {
  return format === 'png' || format === 'png-sequence' || format === 'hls';
}

/** Our png sequence's frame names (src/encode/video.ts `pngFrameName`), and HyperFrames' (`hfFrameName`). */
const FRAME_NAME = /^frame(?:-\d{6,}|_\d{6,})\.png$/;

/**
 * Whether `name` is a file framesmith writes into a directory output (frames of either naming, a
 * png-sequence's sound, HLS playlists and segments): what a later render may replace.
 */
export function isDirectoryOutputName(name: string): boolean {
  return FRAME_NAME.test(name) || name === SEQUENCE_AUDIO || HLS_FILE_NAME.test(name);
}

/** The encoder settings `format` adds to the encoder's own: frame names, a GOP of `segmentSeconds` (hls). */
export function encoderExtras(
  format: OutputFormat,
  segmentSeconds: number,
): { frameName?: (index: number) => string; keyframeSeconds?: number } {
  if (format === 'png-sequence') return { frameName: hfFrameName };
  if (format === 'hls') return { keyframeSeconds: segmentSeconds };
  return {};
}

/** `hlsSegmentSeconds`, or its default (4): applied once, by `resolveRenderOptions`. */
export function hlsSegmentSeconds(options: Pick<RenderOptions, 'hlsSegmentSeconds'>): number {
  return options.hlsSegmentSeconds ?? HLS_SEGMENT_SECONDS.default;
}

/**
 * Throws `invalid_option` for a bad `hlsSegmentSeconds` (checked whatever the format, as HyperFrames
 * does), for hls with `dynamicRange: 'hdr'`, and for png-sequence or hls on the planned path (`chunkFrames`, `redis`, `storage`): its
 * chunks join into one file or our png sequence, not into these directories.
 */
export function checkFormatOptions(options: RenderOptions, format: OutputFormat): void {
  const seconds = options.hlsSegmentSeconds;
  const { min, max } = HLS_SEGMENT_SECONDS;
  if (seconds !== undefined && !(Number.isInteger(seconds) && seconds >= min && seconds <= max)) {
    throw new RenderError(
      'invalid_option',
      `\`hlsSegmentSeconds\` must be a whole number of seconds from ${min} to ${max}, got ${seconds}`,
      { option: 'hlsSegmentSeconds' },
    );
  }
  if (format === 'hls' && options.dynamicRange === 'hdr') {
    throw new RenderError(
      'invalid_option',
      "`dynamicRange: 'hdr'` cannot be combined with `format` hls: HLS output is SDR only (H.264 and AAC in MPEG-TS); render HDR to mp4, or drop `dynamicRange: 'hdr'`",
      { option: 'dynamicRange' },
    );
  }
  const planned = options.chunkFrames !== undefined || options.redis !== undefined || options.storage !== undefined;
  if (planned && (format === 'png-sequence' || format === 'hls')) {
    const option = options.chunkFrames !== undefined ? 'chunkFrames' : options.redis !== undefined ? 'redis' : 'storage';
    const instead = format === 'hls' ? 'render it with `format` mp4 in chunks' : 'use `format` png (frame-000000.png, …) in chunks';
    throw new RenderError(
      'invalid_option',
      `\`format\` ${format} cannot be rendered in chunks (\`${option}\`): render it in one process without \`${option}\`, or ${instead}`,
      { option: 'format' },
    );
  }
}

/** `hls`: packages the finished MP4 `file` into the directory `dir` (a temporary one) in `segmentSeconds` segments and returns `dir`. */
export async function packageHlsOutput(file: string, dir: string, segmentSeconds: number, signal?: AbortSignal): Promise<string> {
  await packageHls(file, dir, { segmentSeconds, signal });
  return dir;
}
