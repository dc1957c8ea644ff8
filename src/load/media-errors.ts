/** Failures of the media stages (video frames, audio mix and mux), naming the element and its file. */
import { FramesmithError } from '../errors.js';

export type MediaErrorCode =
  /** A `<video>`/`<audio>` points at a file that does not exist. */
  | 'media_missing'
  /** The file exists but is not media that can be used (damaged, wrong kind, no audio stream). */
  | 'media_invalid'
  /** Decoding, mixing or muxing failed for another reason (ffmpeg failed or timed out). */
  | 'media_failed'
  | 'cancelled';

export interface MediaFailure {
  code: MediaErrorCode;
  /** Label of the element (`video#intro`). */
  element?: string;
  /** Absolute path of the media file. */
  file?: string;
  message: string;
}

/**
 * A composition's media cannot be used. `element` and `file` name the first culprit; `failures` lists
 * every element that failed (a render reports them all at once, so one run finds every bad file).
 */
export class MediaError extends FramesmithError<MediaErrorCode, { element?: string; file?: string; failures: MediaFailure[] }> {
  override readonly name = 'MediaError';
  readonly element?: string;
  readonly file?: string;
  readonly failures: MediaFailure[];

  constructor(failures: MediaFailure[], options?: { cause?: unknown }) {
    const first = failures[0] ?? { code: 'media_failed' as const, message: 'media failed' };
    const message = failures.length > 1 ? `${failures.length} media elements failed: ${failures.map((f) => f.message).join('; ')}` : first.message;
    super(first.code, message, { ...(first.element !== undefined ? { element: first.element } : {}), ...(first.file !== undefined ? { file: first.file } : {}), failures }, options);
    if (first.element !== undefined) this.element = first.element;
    if (first.file !== undefined) this.file = first.file;
    this.failures = failures;
  }
}
