/**
 * What the preview's player page exposes to tools and tests (src/preview/page/player.ts), declared
 * once for both sides.
 */

/** `window.framesmithPreview`. */
export interface PreviewApi {
  /** Resolves once the first frame is drawn. */
  ready: Promise<void>;
  /** Pauses and resolves once the frame at `t` seconds is drawn. */
  seek(t: number): Promise<void>;
  play(): void;
  pause(): void;
  /** Seconds of the frame drawn. */
  readonly time: number;
  readonly duration: number;
  /** The version of the project the drawn frame comes from (it increases on every reload). */
  readonly version: number;
}

declare global {
  interface Window {
    framesmithPreview: PreviewApi;
  }
}
