/**
 * The WebGL watch, as plain JavaScript text injected with the runtime (before the page's scripts).
 * Browsers launch without WebGL unless a render needs it (src/browser/launch.ts: SwiftShader is
 * slower for 2D pages), so this records whether the page asked for a WebGL context and whether it was
 * refused: `window.__framesmithWebGL = { requested, missing }`. The render reads it after the page
 * loads (and relaunches with WebGL when a context was refused) and again after capture (a context
 * first asked for mid-timeline is an error naming the fix).
 */
export const WEBGL_WATCH_SOURCE = String.raw`
(function framesmithWebGLWatch() {
  'use strict';
  if (window.__framesmithWebGL) return;
  var state = { requested: false, missing: false };
  Object.defineProperty(window, '__framesmithWebGL', { value: state });
  function watch(proto) {
    if (!proto || typeof proto.getContext !== 'function') return;
    var getContext = proto.getContext;
    proto.getContext = function (type) {
      var context = getContext.apply(this, arguments);
      if (typeof type === 'string' && /webgl/i.test(type)) {
        state.requested = true;
        if (!context) state.missing = true;
      }
      return context;
    };
  }
  watch(window.HTMLCanvasElement && HTMLCanvasElement.prototype);
  watch(window.OffscreenCanvas && OffscreenCanvas.prototype);
})();
`;

/** Page expression: true when the page asked for a WebGL context and got none. */
export const WEBGL_MISSING_EXPRESSION = 'Boolean(window.__framesmithWebGL && window.__framesmithWebGL.missing)';

/** Page expression: the watch's `{ requested, missing }` (both false before the watch ran). */
export const WEBGL_STATE_EXPRESSION = '({ requested: Boolean(window.__framesmithWebGL && window.__framesmithWebGL.requested), missing: Boolean(window.__framesmithWebGL && window.__framesmithWebGL.missing) })';
