/**
 * Every failure of a render leaves as one `RenderError`: the code of the layer that failed and its
 * structured fields (element, file, URL, option, media failures) copied over, its message kept as
 * worded there.
 */
import type { Composition } from '../composition/model.js';
import { FramesmithError } from '../errors.js';
import { RenderError } from './types.js';

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

export function cancelledError(cause?: unknown): RenderError {
  return new RenderError('cancelled', 'the render was cancelled', {}, { cause });
}

/** The composition has no length from anywhere. */
export function noDuration(composition: Composition): RenderError {
  return new RenderError('no_duration', `${composition.entryFile}: the composition has no length: the root has no data-duration, no timeline is registered in window.__timelines["${composition.id}"], and no timed element has an end; give the root data-duration="<seconds>"`, { file: composition.entryFile, element: `#${composition.id}` });
}
