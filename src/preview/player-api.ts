/**
 * What the preview's player page exposes to tools and tests (src/preview/page/player.ts), declared
 * once for both sides.
 */

/** The composition as the server describes it to the player (GET /__preview/state). */
export interface PreviewInfo {
  width: number;
  height: number;
  /** Exact rate (`30000/1001`) and its value. */
  fps: string;
  fpsValue: number;
  frameCount: number;
  /** Seconds. */
  duration: number;
  /** The composition file, relative to the project. */
  entry: string;
}

/** What the player is told on load and on every change: the composition, or why it cannot be shown. */
export type PreviewState = { version: number; info: PreviewInfo } | { version: number; error: { code: string; message: string } };

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
  /**
   * Seconds of the playhead the sound follows: playing, the time due now (the frame drawn may lag it
   * by a frame request); paused, the time of the frame asked for last.
   */
  readonly clock: number;
  readonly duration: number;
  /** The version of the project the drawn frame comes from (it increases on every reload). */
  readonly version: number;
}

declare global {
  interface Window {
    framesmithPreview: PreviewApi;
  }
}
