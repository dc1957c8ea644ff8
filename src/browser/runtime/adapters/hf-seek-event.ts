/**
 * HyperFrames' hook for canvas code it does not know (Three.js, TypeGPU, hand-written WebGL): before
 * each frame, `window.__hfThreeTime` and `window.__hfTypegpuTime` are set to the composition time in
 * seconds, then a `CustomEvent('hf-seek')` is dispatched on `window` with
 * `detail = { time, waitUntil(promise) }`. A listener that renders asynchronously passes its promise
 * to `waitUntil` — synchronously, inside the listener; a later call throws — and the frame is captured
 * only after every such promise settled (a rejection fails the frame). The event fires once per
 * distinct time; a seek to the same time again does not repeat it.
 */
import type { FramesmithAdapter } from '../../page-api.js';

/**
 * The `hf-seek` adapter (see the module comment): a seek returns the promises listeners passed to
 * `waitUntil` (all of them; rejects with the first rejection), or undefined when there are none.
 */
export function hfSeekEventAdapter(win: Window & typeof globalThis): FramesmithAdapter {
  let lastTime: number | null = null;
  return {
    name: 'hf-seek event',
    seek({ time }) {
      const w = win as unknown as { __hfThreeTime?: number; __hfTypegpuTime?: number };
      w.__hfThreeTime = time;
      w.__hfTypegpuTime = time;
      if (lastTime === time) return;
      lastTime = time;
      const pending: Array<Promise<unknown>> = [];
      let open = true;
      const waitUntil = (promise: unknown): void => {
        if (!open) throw new Error('hf-seek waitUntil() must be called synchronously from the event listener');
        pending.push(Promise.resolve(promise));
      };
      win.dispatchEvent(new win.CustomEvent('hf-seek', { detail: { time, waitUntil } }));
      open = false;
      return pending.length ? Promise.all(pending) : undefined;
    },
  };
}
