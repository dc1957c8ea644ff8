/**
 * HyperFrames' anime.js hook: every instance in `window.__hfAnime` (an array the page pushes to) is
 * sought to the composition time in milliseconds, `instance.seek(t × 1000)` (anime.js v3 and v4 both
 * seek in ms; the time is the composition's, not relative to a clip, as in HyperFrames). Instances
 * anime.js v3 lists as running when the page is ready (`anime.running`) are adopted too, so a page
 * that plays an animation without registering it is seeked as well.
 */
import type { FramesmithAdapter } from '../../page-api.js';

interface AnimeInstance {
  seek(ms: number): unknown;
  pause?(): unknown;
}

/**
 * The `window.__hfAnime` adapter (see the module comment): pauses every instance at `ready()` and at each
 * seek, then seeks it to the composition time in ms, clamped at 0.
 */
export function hfAnimeAdapter(win: Window): FramesmithAdapter {
  const adopted = new Set<AnimeInstance>();
  const instances = (): AnimeInstance[] => {
    const listed = (win as unknown as { __hfAnime?: unknown }).__hfAnime;
    const all = new Set<AnimeInstance>(adopted);
    if (Array.isArray(listed))
      for (const a of listed) if (a && typeof (a as AnimeInstance).seek === 'function') all.add(a as AnimeInstance);
    return [...all];
  };
  return {
    name: 'window.__hfAnime (anime.js)',
    ready() {
      const running = (win as unknown as { anime?: { running?: unknown } }).anime?.running;
      if (Array.isArray(running))
        for (const a of running) if (a && typeof (a as AnimeInstance).seek === 'function') adopted.add(a as AnimeInstance);
      for (const a of instances()) a.pause?.();
    },
    seek({ time }) {
      for (const a of instances()) {
        a.pause?.();
        a.seek(Math.max(0, time * 1000));
      }
    },
  };
}
