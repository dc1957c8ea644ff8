/** Failures while loading a composition in the browser or capturing its frames. */
import { FramesmithError, type ErrorFields } from '../errors.js';

/** Why a `CaptureError` was thrown: its `code`. */
export type CaptureErrorCode =
  /** The page threw, or reported an error through `window.__framesmith.errors`. */
  | 'page_error'
  /** An asset (image, font, script, stylesheet, media) could not be loaded. */
  | 'request_failed'
  /** A wait on the page passed its deadline (src/capture/deadlines.ts): `phase`, `frame`, `option` say which. */
  | 'timeout'
  /** The page's renderer process crashed, or the browser exited, while the page was in use. */
  | 'browser_crashed'
  /** The browser did not return an image for a frame. */
  | 'capture_failed'
  /** The page asked for WebGL mid-timeline in a browser launched without it (render() then renders again with WebGL). */
  | 'webgl_unavailable'
  /** The capture's abort signal fired (`CaptureRunOptions.signal`). */
  | 'cancelled';

/** The phases of work on a page, each bounded by a deadline (src/capture/deadlines.ts). */
export type CapturePhase = 'load' | 'ready' | 'setup' | 'seek' | 'paint' | 'capture';
/** The option (API name; the CLI flag is its kebab-case) that raises a deadline. */
export type DeadlineOption = 'browserTimeout' | 'protocolTimeout' | 'playerReadyTimeout';

/** What a `timeout` or `browser_crashed` names: the phase, the frame (frame steps), the option raising the deadline. */
export interface CaptureDetail {
  phase?: CapturePhase;
  frame?: number;
  option?: DeadlineOption;
}

/** What a capture failure names. */
export interface CaptureErrorFields extends ErrorFields, CaptureDetail {
  option?: DeadlineOption;
  /**
   * The page had asked for a WebGL context and been refused (its browser was started without WebGL),
   * which may be why it failed: a render under `webgl: 'auto'` then starts again with WebGL.
   */
  webglRefused?: boolean;
}

/** `url` is set for request failures; the message names the URL or the page's error and the fix. */
export class CaptureError extends FramesmithError<CaptureErrorCode, CaptureErrorFields> {
  override readonly name = 'CaptureError';
}
