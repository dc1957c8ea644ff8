/**
 * Every failure of a render leaves as one `RenderError`: the code of the layer that failed and its
 * structured fields (element, file, URL, media failures) copied over, its message kept as worded there.
 */
import { BrowserError } from '../browser/launch.js';
import { CaptureError } from '../capture/errors.js';
import { CompositionError } from '../composition/errors.js';
import type { Composition } from '../composition/model.js';
import { EncodeError } from '../encode/video.js';
import { VariablesError } from '../load/index.js';
import { MediaError } from '../load/media-errors.js';
import { StrictModeError } from '../warnings.js';
import { DistributedError } from '../distributed/errors.js';
import { PlanError } from '../plan/errors.js';
import { StorageError } from '../storage/errors.js';
import { RenderError } from './types.js';

/** `error` as a `RenderError`; anything thrown after `signal` aborted is a cancellation. */
export function toRenderError(error: unknown, signal?: AbortSignal): RenderError {
  if (error instanceof RenderError) return error;
  if (signal?.aborted) return cancelledError(error);
  if (error instanceof StrictModeError) return new RenderError('strict', error.message, error.fields, { cause: error });
  if (error instanceof VariablesError) return new RenderError('invalid_variables', error.message, {}, { cause: error });
  if (error instanceof CompositionError) return new RenderError(error.code, error.message, { element: error.element, file: error.file }, { cause: error });
  if (error instanceof MediaError) {
    return new RenderError(error.code, error.message, { element: error.element, file: error.file, ...(error.failures.length > 1 ? { failures: error.failures } : {}) }, { cause: error });
  }
  if (error instanceof CaptureError) {
    const { phase, frame, option } = error.fields;
    return new RenderError(error.code, error.message, { url: error.url, ...(phase ? { phase } : {}), ...(frame !== undefined ? { frame } : {}), ...(option ? { option } : {}) }, { cause: error });
  }
  if (error instanceof BrowserError) return new RenderError('browser', error.message, {}, { cause: error });
  if (error instanceof EncodeError) return new RenderError('encode', error.message, {}, { cause: error });
  if (error instanceof PlanError || error instanceof DistributedError) return new RenderError(error.code, error.message, {}, { cause: error });
  if (error instanceof StorageError) return new RenderError(error.code, error.message, {}, { cause: error });
  const message = error instanceof Error ? error.message : String(error);
  return new RenderError('stage', message, {}, { cause: error });
}

export function cancelledError(cause?: unknown): RenderError {
  return new RenderError('cancelled', 'the render was cancelled', {}, { cause });
}

/** The composition has no length from anywhere. */
export function noDuration(composition: Composition): RenderError {
  return new RenderError('no_duration', `${composition.entryFile}: the composition has no length: the root has no data-duration, no timeline is registered in window.__timelines["${composition.id}"], and no timed element has an end; give the root data-duration="<seconds>"`, { file: composition.entryFile, element: `#${composition.id}` });
}
