/**
 * A `<video>`/`<audio>`'s `currentTime` reads what a playing player's would: the media time its clip
 * shows at the current frame (the frame the video stage paints there) — mediaStart + (t - start) ×
 * rate, mediaStart before the clip starts, held at the end of the media (its duration comes from the
 * media guard), wrapped for loops. Writes go to the element as before (it never loads, so they do
 * nothing).
 */
import type { TimedElements } from './timed-elements.js';

/**
 * Makes `currentTime` of every timed media element in `elements` read its media time at `nowSeconds()`
 * (composition seconds; see the module comment); other media elements read as before. Does nothing if the
 * browser has no `currentTime` accessor on `HTMLMediaElement.prototype`.
 */
export function installMediaClock(win: Window & typeof globalThis, elements: TimedElements, nowSeconds: () => number): void {
  const proto = win.HTMLMediaElement.prototype;
  const original = Object.getOwnPropertyDescriptor(proto, 'currentTime');
  if (!original?.get || !original.set) return;
  const { get, set } = original;
  Object.defineProperty(proto, 'currentTime', {
    configurable: true,
    enumerable: original.enumerable ?? false,
    get(this: HTMLMediaElement): number {
      const entry = elements.entryOf(this);
      if (!entry?.media) return get.call(this) as number;
      const { mediaStart, playbackRate, loop } = entry.media;
      const end = entry.end ?? Infinity;
      const played = Math.max(0, Math.min(nowSeconds(), end) - entry.start) * playbackRate;
      const length = this.duration;
      if (!(length > mediaStart)) return mediaStart + played;
      return loop ? mediaStart + (played % (length - mediaStart)) : Math.min(mediaStart + played, length);
    },
    set(this: HTMLMediaElement, value: number) {
      set.call(this, value);
    },
  });
}
