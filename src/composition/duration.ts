/**
 * How long a composition lasts, as HyperFrames decides it:
 *
 * 1. the root's `data-duration`;
 * 2. else the root timeline's length — `window.__timelines[<root id>]` (or the only registered
 *    timeline), extended by every sub-composition timeline at its host's start, as HyperFrames nests
 *    them into the root — but at least the floor: the latest end of the composition's media and of
 *    its direct sub-compositions, and the longest an adapter reported (a timeline of 7200 s or more,
 *    an endless repeat, is ignored when there is a floor);
 * 3. without a timeline, the latest end of any timed element (media and sub-compositions included);
 * 4. else nothing: the render refuses it (no_duration).
 *
 * A sub-composition host without `data-duration` is on screen for as long as its timeline lasts.
 * The page's part (timelines, adapters) is known only once a page ran its scripts: `settleDuration`
 * is called by the parser with `page = null` (a provisional length from 1 and 3) and by the render
 * again with what the first page reported.
 */
import type { Composition } from './model.js';
import { checkLength } from './limits.js';

/** What a loaded page told about its timelines (src/browser/page-api.ts ReadyInfo). */
export interface PageDurations {
  timelineDurations: Record<string, number>;
  adapterDuration: number | null;
}

/** A timeline this long (or longer) is an endless repeat, not a length. */
const ENDLESS_S = 7200;

/**
 * Sets `composition.duration` and `frameCount` from its rule and, when known, the page's report.
 * Throws `limit_exceeded` (limits.ts) when that length is beyond the limits.
 */
export function settleDuration(composition: Composition, page: PageDurations | null): void {
  const rule = composition.durationRule;
  let duration: number;
  if (rule.declared !== undefined) {
    duration = rule.declared;
  } else {
    let floor = Math.max(rule.floor, page?.adapterDuration ?? 0);
    if (page) {
      for (const n of composition.nested) {
        const d = page.timelineDurations[n.id];
        if (n.duration === undefined && n.index !== undefined && d !== undefined && d < ENDLESS_S) {
          n.duration = d;
          composition.timed[n.index]!.duration = d;
          if (n.direct) floor = Math.max(floor, n.start + d);
        }
      }
    }
    const timeline = page ? timelineExtent(composition, page.timelineDurations) : null;
    if (timeline !== null && !(timeline >= ENDLESS_S && floor > 0)) duration = Math.max(timeline, floor);
    else duration = Math.max(rule.latestEnd, page?.adapterDuration ?? 0);
  }
  composition.duration = duration;
  composition.frameCount = duration > 0 ? Math.max(1, Math.floor((duration * composition.fps.num) / composition.fps.den + 0.5 + 1e-6)) : 0;
  checkLength(composition, page !== null);
}

/** The root timeline's end with every sub-composition timeline at its host's start; null without any. */
function timelineExtent(composition: Composition, durations: Record<string, number>): number | null {
  const keys = Object.keys(durations);
  const nestedIds = new Set(composition.nested.map((n) => n.id));
  let extent: number | null = durations[composition.id] ?? (keys.length === 1 && !nestedIds.has(keys[0]!) ? durations[keys[0]!]! : null);
  for (const n of composition.nested) {
    const d = durations[n.id];
    if (d !== undefined) extent = Math.max(extent ?? 0, n.start + d);
  }
  return extent;
}
