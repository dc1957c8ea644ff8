/**
 * Per-video extraction failures. Every failure names the video and the file, says what to do, and
 * says whether trying again may help (`retryable`: timeouts and cancellations, not bad input).
 */
import { FramesmithError } from '../errors.js';
import { ProcessError } from '../media/process.js';
import { ProbeError } from '../media/probe.js';
import { ToolUnavailableError } from '../media/tools.js';
import type { ExtractErrorInfo, ExtractErrorKind } from './types.js';

const RETRYABLE: ReadonlySet<ExtractErrorKind> = new Set(['ffmpeg_timeout', 'cancelled', 'internal']);

/**
 * One video's extraction failed. The message is `video "<videoId>": <reason>`; `reason` alone says
 * what went wrong and what to do, for a caller that names the video its own way.
 */
export class ExtractError extends FramesmithError<ExtractErrorKind, { videoId: string; file?: string }> {
  override readonly name = 'ExtractError';
  readonly retryable: boolean;
  constructor(
    readonly kind: ExtractErrorKind,
    readonly videoId: string,
    readonly file: string | undefined,
    reason: string,
    options?: { cause?: unknown; retryable?: boolean },
  ) {
    super(kind, reason, { videoId, ...(file !== undefined ? { file } : {}) }, { cause: options?.cause, subject: `video "${videoId}"` });
    this.retryable = options?.retryable ?? RETRYABLE.has(kind);
  }

  override toJSON(): ExtractErrorInfo {
    return { videoId: this.videoId, kind: this.kind, retryable: this.retryable, message: this.message, reason: this.reason };
  }

  /** The same failure reported for a video that shared the failed pass. */
  forFollower(videoId: string, leaderId: string): ExtractError {
    return new ExtractError(this.kind, videoId, this.file, `${this.reason} [shared extraction, leader ${leaderId}]`, { cause: this, retryable: this.retryable });
  }
}

/** Options that make the whole call impossible (bad fps, no outDir); thrown, not reported per video. */
export class ExtractOptionsError extends FramesmithError<'invalid_option', { field: string }> {
  override readonly name = 'ExtractOptionsError';
  constructor(readonly field: string, message: string) {
    super('invalid_option', message, { field });
  }
}

/** Turns anything thrown while probing or extracting one video into an `ExtractError` for it. */
export function toExtractError(error: unknown, videoId: string, file: string | undefined): ExtractError {
  if (error instanceof ExtractError) return error;
    if (error instanceof ProbeError) {
    const kind: ExtractErrorKind = error.kind === 'missing' ? 'source_missing' : 'invalid_media';
    return new ExtractError(kind, videoId, error.file, error.message, { cause: error });
  }
  if (error instanceof ToolUnavailableError) {
    return new ExtractError('ffmpeg_unavailable', videoId, file, error.message, { cause: error });
  }
  if (error instanceof ProcessError) {
    if (error.kind === 'aborted') return new ExtractError('cancelled', videoId, file, `extraction of ${file} was cancelled`, { cause: error });
    if (error.kind === 'timeout') {
      return new ExtractError('ffmpeg_timeout', videoId, file, `ffmpeg timed out extracting ${file}; retry, raise the timeout, or lower --concurrency`, { cause: error });
    }
    if (error.kind === 'spawn') return new ExtractError('ffmpeg_unavailable', videoId, file, error.message, { cause: error });
    return new ExtractError('ffmpeg_failed', videoId, file, `ffmpeg could not decode ${file} (${error.stderrTail.trim().split('\n').slice(-2).join(' | ') || `exit ${error.exitCode}`}); the file may be truncated or damaged — re-export it`, { cause: error });
  }
  if (error instanceof Error && error.name === 'AbortError') {
    return new ExtractError('cancelled', videoId, file, `extraction of ${file ?? 'the video'} was cancelled`, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ExtractError('internal', videoId, file, `unexpected failure extracting ${file ?? 'the video'}: ${message}`, { cause: error });
}
