/**
 * Per-video extraction failures. Every failure names the video and the file, says what to do, and
 * says whether trying again may help (`retryable`: timeouts and cancellations, not bad input).
 */
import { FramesmithError, type FramesmithErrorOptions } from '../errors.js';
import { ProcessError } from '../media/process.js';
import { ProbeError } from '../media/probe.js';
import { ToolUnavailableError } from '../media/tools.js';
import type { ExtractErrorInfo, ExtractErrorKind } from './types.js';

const RETRYABLE: ReadonlySet<ExtractErrorKind> = new Set(['ffmpeg_timeout', 'cancelled', 'internal']);

/** What an extraction failure names: the video (request id), its file, and a decided `retryable`. */
export interface ExtractErrorFields {
  videoId: string;
  file?: string;
  /** Overrides the default (retryable: `ffmpeg_timeout`, `cancelled`, `internal`). */
  retryable?: boolean;
}

/**
 * One video's extraction failed. The message is `video "<videoId>": <reason>`; `reason` alone says
 * what went wrong and what to do, for a caller that names the video its own way.
 */
export class ExtractError extends FramesmithError<ExtractErrorKind, ExtractErrorFields> {
  override readonly name = 'ExtractError';
  constructor(code: ExtractErrorKind, reason: string, fields: ExtractErrorFields, options?: FramesmithErrorOptions) {
    super(code, reason, fields, { ...options, subject: `video "${fields.videoId}"` });
  }

  /** Whether trying again may help: timeouts and cancellations, not bad input (unless the fields decided). */
  get retryable(): boolean {
    return this.fields.retryable ?? RETRYABLE.has(this.code);
  }

  override toJSON(): ExtractErrorInfo {
    return { videoId: this.fields.videoId, kind: this.code, retryable: this.retryable, message: this.message, reason: this.reason };
  }

  /** The same failure reported for a video that shared the failed pass. */
  forFollower(videoId: string, leaderId: string): ExtractError {
    return new ExtractError(
      this.code,
      `${this.reason} [shared extraction, leader ${leaderId}]`,
      { ...this.fields, videoId, retryable: this.retryable },
      { cause: this },
    );
  }
}

/** Options that make the whole call impossible (bad fps, no outDir); thrown, not reported per video. */
export class ExtractOptionsError extends FramesmithError<'invalid_option', { option: string }> {
  override readonly name = 'ExtractOptionsError';
}

/** Turns anything thrown while probing or extracting one video into an `ExtractError` for it. */
export function toExtractError(error: unknown, videoId: string, file: string | undefined): ExtractError {
  if (error instanceof ExtractError) return error;
  if (error instanceof ProbeError) {
    const code: ExtractErrorKind = error.code === 'missing' ? 'source_missing' : 'invalid_media';
    return new ExtractError(code, error.message, { videoId, file: error.fields.file }, { cause: error });
  }
  if (error instanceof ToolUnavailableError) {
    return new ExtractError('ffmpeg_unavailable', error.message, { videoId, file }, { cause: error });
  }
  if (error instanceof ProcessError) {
    if (error.code === 'cancelled')
      return new ExtractError('cancelled', `extraction of ${file} was cancelled`, { videoId, file }, { cause: error });
    if (error.code === 'timeout') {
      return new ExtractError(
        'ffmpeg_timeout',
        `ffmpeg timed out extracting ${file}; retry, raise the timeout, or lower \`concurrency\``,
        { videoId, file },
        { cause: error },
      );
    }
    if (error.code === 'spawn') return new ExtractError('ffmpeg_unavailable', error.message, { videoId, file }, { cause: error });
    return new ExtractError(
      'ffmpeg_failed',
      `ffmpeg could not decode ${file} (${error.fields.stderrTail.trim().split('\n').slice(-2).join(' | ') || `exit ${error.fields.exitCode}`}); the file may be truncated or damaged — re-export it`,
      { videoId, file },
      { cause: error },
    );
  }
  if (error instanceof Error && error.name === 'AbortError') {
    return new ExtractError('cancelled', `extraction of ${file ?? 'the video'} was cancelled`, { videoId, file }, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ExtractError(
    'internal',
    `unexpected failure extracting ${file ?? 'the video'}: ${message}`,
    { videoId, file },
    { cause: error },
  );
}
