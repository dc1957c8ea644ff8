/**
 * The page's virtual clock. `Date`, `new Date()`, `Date()` and `Date.now()` read
 * 2024-01-01T00:00:00Z + virtual time; `performance.now()` is the virtual time in ms;
 * `requestAnimationFrame` callbacks run only when `runAnimationFrames()` is called (once per seek),
 * with `timestamp` = the virtual time in ms. `setTimeout`/`setInterval` are left on real time: a page
 * must not time its visuals with them.
 *
 * `installClock(win)` works on any same-origin window: the top page's and each iframe's, so a
 * child document's animation frames and dates follow the same frame time.
 */

/** The virtual epoch: what `Date.now()` reads at composition time 0. */
export const BASE_EPOCH_MS = 1704067200000; // 2024-01-01T00:00:00Z

/**
 * One window's virtual time: what its `Date`, `performance.now()` and animation frames read. It starts at 0
 * and moves only by `set(ms)`.
 */
export interface VirtualClock {
  /** Virtual time in ms (composition time × 1000). */
  readonly nowMs: number;
  set(ms: number): void;
  /**
   * Runs the animation-frame callbacks queued so far, each with the virtual time. Callbacks queued
   * while these run wait for the next call, as in a browser frame. A callback that throws is
   * reported through `onError` and does not stop the others.
   */
  runAnimationFrames(onError: (error: unknown) => void): void;
}

type ClockWindow = Window & typeof globalThis;

/**
 * Replaces `win`'s `Date`, `performance.now`, `requestAnimationFrame` and `cancelAnimationFrame` with the
 * virtual clock (see the module comment), at time 0, and returns its control.
 */
export function installClock(win: ClockWindow): VirtualClock {
  let virtualMs = 0;
  const RealDate = win.Date;
  const nowMs = () => BASE_EPOCH_MS + virtualMs;
  // A function, not a class: `Date()` called without `new` must return a string.
  function VirtualDate(this: unknown, ...args: unknown[]): unknown {
    if (!new.target) return new RealDate(nowMs()).toString();
    return Reflect.construct(RealDate, args.length ? args : [nowMs()], new.target);
  }
  VirtualDate.prototype = RealDate.prototype;
  VirtualDate.now = () => nowMs();
  VirtualDate.parse = RealDate.parse;
  VirtualDate.UTC = RealDate.UTC;
  Object.defineProperty(RealDate.prototype, 'constructor', { value: VirtualDate, writable: true, configurable: true });
  win.Date = VirtualDate as unknown as DateConstructor;
  Object.defineProperty(win.performance, 'now', { value: () => virtualMs, configurable: true, writable: true });

  const queue = new Map<number, FrameRequestCallback>();
  let nextId = 1;
  win.requestAnimationFrame = (callback: FrameRequestCallback): number => {
    const id = nextId++;
    queue.set(id, callback);
    return id;
  };
  win.cancelAnimationFrame = (id: number): void => {
    queue.delete(id);
  };

  return {
    get nowMs() {
      return virtualMs;
    },
    set(ms: number) {
      virtualMs = ms;
    },
    runAnimationFrames(onError) {
      const batch = Array.from(queue.values());
      queue.clear();
      for (const callback of batch) {
        try {
          callback(virtualMs);
        } catch (error) {
          onError(error);
        }
      }
    },
  };
}
