/** Failures of the media stages (video frames, audio mix and mux), naming the element and its file. */
import { FramesmithError, type FramesmithErrorOptions } from '../errors.js';

/** Why a media element failed (`MediaError.code`, `MediaFailure.code`); `cancelled`: the caller aborted. */
export type MediaErrorCode =
  /** A `<video>`/`<audio>` points at a file that does not exist. */
  | 'media_missing'
  /** The file exists but is not media that can be used (damaged, wrong kind, no audio stream). */
  | 'media_invalid'
  /** Decoding, mixing or muxing failed for another reason (ffmpeg failed or timed out). */
  | 'media_failed'
  | 'cancelled';

/** One element's failure; `message` names the element and file and says what to do. */
export interface MediaFailure {
  code: MediaErrorCode;
  /** Label of the element (`video#intro`). */
  element?: string;
  /** Absolute path of the media file. */
  file?: string;
  message: string;
}

/** What a media failure names: the first culprit's element and file, and every failure. */
export interface MediaErrorFields {
  element?: string;
  file?: string;
  failures: MediaFailure[];
}

/**
 * A composition's media cannot be used. `element` and `file` name the first culprit; `failures` lists
 * every element that failed (a render reports them all at once, so one run finds every bad file).
 * Made from the failures by `mediaError`.
 */
export class MediaError extends FramesmithError<MediaErrorCode, MediaErrorFields> {
  override readonly name = 'MediaError';
}

/**
 * The MediaError of `failures` (at least one): the first one's code, element and file; its message
 * when it is alone, else `N media elements failed: <each message>; …`.
 */
export function mediaError(failures: MediaFailure[], options?: { cause?: unknown }): MediaError {
  const first = failures[0] ?? { code: 'media_failed' as const, message: 'media failed' };
  const message =
    failures.length > 1 ? `${failures.length} media elements failed: ${failures.map((f) => f.message).join('; ')}` : first.message;
  return new MediaError(first.code, message, { element: first.element, file: first.file, failures }, options);
}

/** Why an audio probe or mix failed (`AudioError.code`). */
export type AudioErrorCode =
  /** The source file does not exist. */
  | 'source_missing'
  /** The file exists but is not media ffmpeg can read (a text file, a truncated download). */
  | 'invalid_media'
  /** The media has no audio stream (an `<audio>` element pointing at a silent video, say). */
  | 'no_audio_stream'
  /** A track's numbers or the mix options are out of range (negative start, playbackRate <= 0, NaN). */
  | 'invalid_input'
  /** ffmpeg itself failed while mixing or encoding. */
  | 'ffmpeg_failed'
  /** The caller's AbortSignal fired. */
  | 'cancelled';

/**
 * A failure of the audio mix. `trackId` and `file` name the element and file when one is at fault;
 * the message is then `<trackId>: <reason>`.
 */
export class AudioError extends FramesmithError<AudioErrorCode, { trackId?: string; file?: string }> {
  override readonly name = 'AudioError';
  constructor(code: AudioErrorCode, reason: string, fields: { trackId?: string; file?: string }, options?: FramesmithErrorOptions) {
    super(code, reason, fields, { ...options, subject: fields.trackId });
  }
}
