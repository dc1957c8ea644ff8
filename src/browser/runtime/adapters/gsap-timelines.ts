/**
 * The built-in adapter for `window.__timelines` (HyperFrames' registry of GSAP timelines, which the
 * runtime creates as `{}` before any page script runs).
 *
 * Each registered timeline is paused and put at `t - offset` (its composition's host start; 0 for
 * the root) with `totalTime(local, suppressEvents)`, then 1 ms ahead and back with events suppressed,
 * as HyperFrames does, so that zero-duration tweens at exactly `local` are drawn (GSAP renders nothing
 * for a fresh timeline put at 0, where it already is); falling back to `seek` or `time` for
 * timeline-like objects. Render seeks are eventful, so `.call()` callbacks, `onUpdate`,
 * `onComplete` and `eventCallback('onUpdate')` run as the playhead crosses them; the runtime's own
 * seeks pass `suppressEvents = true`. A timeline that already sits inside another registered one
 * (the page added it to its root timeline itself) is driven by its parent and not seeked again.
 * Time before a host starts is clamped to 0; past its own end a timeline holds its last state.
 */
import type { AdapterSeek, FramesmithAdapter } from '../../page-api.js';
import { SCOPED_TARGET } from '../scopes.js';

interface TimelineLike {
  pause?(): unknown;
  totalTime?(value: number, suppressEvents?: boolean): unknown;
  seek?(value: number, suppressEvents?: boolean): unknown;
  time?(value: number, suppressEvents?: boolean): unknown;
  totalDuration?(): number;
  duration?(): number;
  parent?: unknown;
}

/** The timelines registry, made an object if a page assigned an array (HyperFrames accepts both). */
export function registeredTimelines(win: Window): Record<string, TimelineLike> {
  const w = win as unknown as { __timelines?: unknown };
  const value = w.__timelines;
  if (Array.isArray(value)) {
    const byKey: Record<string, TimelineLike> = {};
    value.forEach((tl, i) => {
      byKey[`tl-${i}`] = tl as TimelineLike;
    });
    return byKey;
  }
  return value && typeof value === 'object' ? (value as Record<string, TimelineLike>) : {};
}

/** Seconds a timeline lasts (repeats included), or null when it cannot say. */
export function timelineDuration(tl: TimelineLike): number | null {
  try {
    const d = typeof tl.totalDuration === 'function' ? tl.totalDuration() : typeof tl.duration === 'function' ? tl.duration() : NaN;
    return Number.isFinite(d) ? d : null;
  } catch {
    return null;
  }
}

/**
 * The `window.__timelines` adapter (see the module comment). `offsets` holds each registry key's host
 * start in seconds (missing: 0); a timeline that throws while seeking is passed to `report` and the others still seek.
 */
export function gsapTimelinesAdapter(
  win: Window,
  offsets: Record<string, number>,
  report: (prefix: string, error: unknown) => void,
): FramesmithAdapter {
  return {
    name: 'window.__timelines',
    seek({ time, eventful }: AdapterSeek) {
      const timelines = registeredTimelines(win);
      const registered = new Set(Object.values(timelines).map(unwrap));
      for (const [key, tl] of Object.entries(timelines)) {
        if (!tl || nestedInRegistered(unwrap(tl), registered)) continue;
        const local = Math.max(0, time - (offsets[key] ?? 0));
        try {
          tl.pause?.();
          if (typeof tl.totalTime === 'function') {
            tl.totalTime(local, !eventful);
            // 1 ms ahead and back, unheard, as HyperFrames seeks: a timeline that has not moved yet draws
            // nothing at 0, so a `set()` at exactly 0 would miss the first frame.
            tl.totalTime(local + 0.001, true);
            tl.totalTime(local, true);
          } else if (typeof tl.seek === 'function') tl.seek(local, !eventful);
          else if (typeof tl.time === 'function') tl.time(local, !eventful);
        } catch (error) {
          report(`Error seeking window.__timelines["${key}"]: `, error);
        }
      }
    },
  };
}

/** The timeline behind a sub-composition's scoped proxy (scopes.ts), or the timeline itself. */
function unwrap(tl: TimelineLike): TimelineLike {
  return ((tl as unknown as Record<string, unknown>)?.[SCOPED_TARGET] as TimelineLike | undefined) ?? tl;
}

function nestedInRegistered(tl: TimelineLike, registered: Set<TimelineLike>): boolean {
  for (
    let parent = tl.parent as TimelineLike | undefined, depth = 0;
    parent && depth < 64;
    parent = parent.parent as TimelineLike | undefined, depth++
  ) {
    if (registered.has(parent)) return true;
  }
  return false;
}
