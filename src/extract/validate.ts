/**
 * Checks each `VideoRequest` before any process starts, with an error naming the video and the field,
 * and fills in defaults.
 */
import path from 'node:path';
import { ExtractError } from './errors.js';
import type { VideoRequest } from './types.js';

/** Lowest `playbackRate` a request may ask for (inclusive). */
export const MIN_PLAYBACK_RATE = 0.1;
/** Highest `playbackRate` a request may ask for (inclusive). */
export const MAX_PLAYBACK_RATE = 5;

/** A validated `VideoRequest` with defaults filled in (mediaStart 0, playbackRate 1, loop false). */
export interface NormalizedRequest {
  id: string;
  /** Absolute path. */
  src: string;
  mediaStart: number;
  duration: number | undefined;
  playbackRate: number;
  loop: boolean;
  width: number | undefined;
  height: number | undefined;
}

function fail(video: VideoRequest, field: string, problem: string): never {
  throw new ExtractError('invalid_request', `${field} ${problem}`, { videoId: String(video.id), file: video.src });
}

/** Validates one request; throws `ExtractError('invalid_request')`. Relative `src` resolves against `baseDir`. */
export function normalizeRequest(video: VideoRequest, baseDir: string): NormalizedRequest {
  if (typeof video.id !== 'string' || video.id === '') fail(video, 'id', 'must be a non-empty string');
  if (typeof video.src !== 'string' || video.src === '') fail(video, 'src', 'must be a path to a video file');
  if (/^https?:\/\//i.test(video.src))
    fail(
      video,
      'src',
      `is a URL (${video.src}); remote sources are downloaded into the frame cache, which is off (\`cache: false\`) — enable the cache, or download the file and use its path`,
    );
  const mediaStart = video.mediaStart ?? 0;
  if (typeof mediaStart !== 'number' || !Number.isFinite(mediaStart) || mediaStart < 0)
    fail(video, 'mediaStart', `must be a number >= 0 seconds (got ${String(video.mediaStart)})`);
  const rate = video.playbackRate ?? 1;
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < MIN_PLAYBACK_RATE || rate > MAX_PLAYBACK_RATE) {
    fail(video, 'playbackRate', `must be between ${MIN_PLAYBACK_RATE} and ${MAX_PLAYBACK_RATE} (got ${String(video.playbackRate)})`);
  }
  if (video.duration !== undefined && (typeof video.duration !== 'number' || !Number.isFinite(video.duration) || video.duration <= 0)) {
    fail(video, 'duration', `must be a positive number of seconds (got ${String(video.duration)})`);
  }
  for (const field of ['width', 'height'] as const) {
    const value = video[field];
    if (value !== undefined && (typeof value !== 'number' || !Number.isInteger(value) || value <= 0)) {
      fail(video, field, `must be a positive integer number of pixels (got ${String(value)})`);
    }
  }
  if (video.loop !== undefined && typeof video.loop !== 'boolean') fail(video, 'loop', 'must be true or false');
  return {
    id: video.id,
    src: path.resolve(baseDir, video.src),
    mediaStart,
    duration: video.duration,
    playbackRate: rate,
    loop: video.loop ?? false,
    width: video.width,
    height: video.height,
  };
}
