/** Failures while loading a composition in the browser or capturing its frames. */
import { FramesmithError } from '../errors.js';

export type CaptureErrorCode =
  /** The page threw, or reported an error through `window.__framesmith.errors`. */
  | 'page_error'
  /** An asset (image, font, script, stylesheet, media) could not be loaded. */
  | 'request_failed'
  /** The page did not load or seek in time. */
  | 'timeout'
  /** The browser did not return an image for a frame. */
  | 'capture_failed'
  /** The page asked for WebGL mid-timeline in a browser launched without it (render() then renders again with WebGL). */
  | 'webgl_unavailable'
  | 'cancelled';

/** `url` is set for request failures; the message names the URL or the page's error and the fix. */
export class CaptureError extends FramesmithError<CaptureErrorCode> {
  override readonly name = 'CaptureError';
  /**
   * The page had asked for a WebGL context and been refused (its browser was started without WebGL),
   * which may be why it failed: a render under `webgl: 'auto'` then starts again with WebGL.
   */
  webglRefused = false;
  constructor(code: CaptureErrorCode, message: string, readonly url?: string, options?: { cause?: unknown }) {
    super(code, message, url !== undefined ? { url } : {}, options);
  }
}
