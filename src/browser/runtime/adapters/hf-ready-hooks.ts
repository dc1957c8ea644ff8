/**
 * HyperFrames' readiness hooks for map and chart libraries, which draw from loaded data rather than
 * from time: before the first frame the runtime waits for every instance the page listed to finish
 * loading — `window.__hfMapbox` / `window.__hfMaplibre` (`loaded()`, else their `load` event),
 * `window.__hfLeaflet` (`whenReady`) and `window.__hfGoogleMaps` (the `tilesloaded` event). Each wait
 * is bounded (`timeoutMs`, real time); a library still loading then is drawn as it is. They are not
 * seeked: their pictures do not depend on time. (`window.__hfD3` needs nothing: d3 transitions run on
 * `requestAnimationFrame` and `performance.now`, which follow the virtual clock, so they are at the
 * right point in every frame.)
 */
import type { FramesmithAdapter } from '../../page-api.js';

type Listener = (...args: unknown[]) => void;
interface MapLike {
  loaded?(): boolean;
  once?(event: string, fn: Listener): unknown;
  on?(event: string, fn: Listener): unknown;
}
interface LeafletLike {
  whenReady?(fn: Listener): unknown;
}

/**
 * The map-readiness adapter (see the module comment). `setRealTimeout` schedules on real, not virtual, time;
 * `timeoutMs` bounds each instance's wait, and a wait that fails or times out resolves without an error.
 */
export function hfReadyHooksAdapter(
  win: Window,
  setRealTimeout: (fn: () => void, ms: number) => void,
  timeoutMs = 5_000,
): FramesmithAdapter {
  const list = (name: string): unknown[] => {
    const value = (win as unknown as Record<string, unknown>)[name];
    return Array.isArray(value) ? value : [];
  };
  const bounded = (work: Promise<unknown>) =>
    Promise.race([work.catch(() => {}), new Promise<void>((resolve) => setRealTimeout(resolve, timeoutMs))]);
  return {
    name: 'map and chart readiness',
    ready() {
      const waits: Array<Promise<unknown>> = [];
      for (const map of [...list('__hfMapbox'), ...list('__hfMaplibre')] as MapLike[]) {
        if (!map || map.loaded?.()) continue;
        waits.push(
          new Promise((resolve) => {
            (map.once ?? map.on)?.call(map, 'load', () => resolve(undefined));
          }),
        );
      }
      for (const map of list('__hfLeaflet') as LeafletLike[]) {
        if (map?.whenReady)
          waits.push(
            new Promise((resolve) => {
              map.whenReady!(() => resolve(undefined));
            }),
          );
      }
      const google = (
        win as unknown as { google?: { maps?: { event?: { addListenerOnce?(target: unknown, event: string, fn: Listener): unknown } } } }
      ).google;
      for (const map of list('__hfGoogleMaps')) {
        const once = google?.maps?.event?.addListenerOnce;
        if (once)
          waits.push(
            new Promise((resolve) => {
              once(map, 'tilesloaded', () => resolve(undefined));
            }),
          );
      }
      return waits.length ? Promise.all(waits.map(bounded)) : undefined;
    },
    seek() {},
  };
}
