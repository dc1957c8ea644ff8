/**
 * What a capture worker calls around each page and frame (src/stages/ supply them: e.g. painting the
 * video frame due at that time).
 */
import type { Page } from 'puppeteer-core';

/** A stage's calls into the capture of every page (both optional); a rejection fails the capture. */
export interface CaptureHooks {
  /**
   * Once per page, after the composition loaded and `window.__framesmith.ready()` resolved, before the
   * first frame. `workerIndex` counts from 0.
   */
  setupPage?(page: Page, workerIndex: number): Promise<void>;
  /**
   * Before frame `frameIndex` is captured, after the page was seeked to `time` (seconds). Whatever it
   * changes in the page is in that frame's pixels (e.g. the video frame for this slot).
   */
  beforeCapture?(page: Page, frameIndex: number, time: number): Promise<void>;
}

/** Combines several stages' capture hooks into one, called in order. */
export function combineHooks(hooks: readonly CaptureHooks[]): CaptureHooks {
  return {
    async setupPage(page, workerIndex) {
      for (const h of hooks) await h.setupPage?.(page, workerIndex);
    },
    async beforeCapture(page, frameIndex, time) {
      for (const h of hooks) await h.beforeCapture?.(page, frameIndex, time);
    },
  };
}
