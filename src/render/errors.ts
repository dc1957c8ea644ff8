/**
 * Every failure of a render leaves as one `RenderError`: the code of the layer that failed and its
 * structured fields (element, file, URL, option, media failures) copied over, its message kept as
 * worded there.
 */
import type { Composition } from '../composition/model.js';
import type { CapturePhase, DeadlineOption } from '../capture/errors.js';
import type { ErrorCode } from '../error-codes.js';
import { FramesmithError } from '../errors.js';
import type { MediaFailure } from '../media/errors.js';

/** A render fails with the code of the layer that failed: any of ERROR_CODES (src/error-codes.ts). */
export type RenderErrorCode = ErrorCode;

/** What a failed render names: the culprit element, URL or file; every failing media element. */
export interface RenderErrorDetail {
  element?: string;
  url?: string;
  file?: string;
  failures?: MediaFailure[];
  /** A distributed render: the chunk that failed for good (index, first frame, frame count). */
  chunk?: { index: number; first: number; count: number };
  /** `timeout` / `browser_crashed`: the phase of work on the page (load, ready, setup, seek, paint, capture). */
  phase?: CapturePhase;
  /** `timeout` / `browser_crashed` during a frame: the composition frame. */
  frame?: number;
  /** `timeout`: the option that raises the deadline that passed; `invalid_option`: the option at fault. */
  option?: DeadlineOption | (string & {});
  /** The failing layer's other fields (`hash`, `storage`, `trackId`, …), copied as they were. */
  [field: string]: unknown;
}

/** A render failed. `element` / `url` name the culprit when known; the message says what to do. */
export class RenderError extends FramesmithError<RenderErrorCode, RenderErrorDetail> {
  override readonly name = 'RenderError';
}

/**
 * `error` as a `RenderError`: itself when it is one; a cancellation when `signal` aborted; any other
 * framesmith error with its code, message and fields (the error as `cause`); anything else `stage`,
 * with its message.
 */
export function toRenderError(error: unknown, signal?: AbortSignal): RenderError {
  if (error instanceof RenderError) return error;
  if (signal?.aborted) return cancelledError(error);
  if (error instanceof FramesmithError) return new RenderError(error.code, error.message, { ...error.fields }, { cause: error });
  return new RenderError('stage', error instanceof Error ? error.message : String(error), {}, { cause: error });
}

/** The RenderError (`cancelled`) of a render stopped through its AbortSignal; `cause`, when given, is the error the abort interrupted. */
export function cancelledError(cause?: unknown): RenderError {
  return new RenderError('cancelled', 'the render was cancelled', {}, { cause });
}

/** The composition has no length from anywhere. */
export function noDuration(composition: Composition): RenderError {
  return new RenderError(
    'no_duration',
    `${composition.entryFile}: the composition has no length: the root has no data-duration, no timeline is registered in window.__timelines["${composition.id}"], and no timed element has an end; give the root data-duration="<seconds>"`,
    { file: composition.entryFile, element: `#${composition.id}` },
  );
}
