/**
 * The WebGL watch, injected with the runtime (before the page's scripts). Browsers launch without
 * WebGL unless a render needs it (src/browser/launch.ts: SwiftShader is slower for 2D pages), so this
 * records whether the page asked for a WebGL context and whether it was refused:
 * `window.__framesmithWebGL = { requested, missing }`. The render reads it after the page loads (and
 * relaunches with WebGL when a context was refused) and again after capture (a context first asked
 * for mid-timeline means rendering again with WebGL).
 */
import type { WebGLState } from '../page-api.js';

/**
 * Installs `window.__framesmithWebGL` and the `getContext` watch on canvases and offscreen canvases (see the
 * module comment); a second call in the same window does nothing.
 */
export function install(): void {
  const win = window as Window & typeof globalThis;
  if (win.__framesmithWebGL) return;
  const state: WebGLState = { requested: false, missing: false };
  Object.defineProperty(win, '__framesmithWebGL', { value: state });
  const watch = (proto: { getContext: (...args: never[]) => unknown } | undefined) => {
    if (!proto || typeof proto.getContext !== 'function') return;
    const getContext = proto.getContext;
    proto.getContext = function (this: unknown, ...args: never[]) {
      const context = getContext.apply(this, args);
      const type = args[0] as unknown;
      if (typeof type === 'string' && /webgl/i.test(type)) {
        state.requested = true;
        if (!context) state.missing = true;
      }
      return context;
    };
  };
  watch(win.HTMLCanvasElement?.prototype as never);
  watch(win.OffscreenCanvas?.prototype as never);
}
