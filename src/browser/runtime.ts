/**
 * The in-page runtime: makes a composition page deterministic and seekable. `runtimeScript(config)`
 * returns a self-contained script to inject with `page.evaluateOnNewDocument` (it must run before
 * the page's own scripts). It then exposes `window.__framesmith`:
 *
 * - `ready(): Promise<{ width, height, hasTimelines }>` — after the load event, `document.fonts.ready`
 *   and `img.decode()` of every image; the size is the root's `data-width`/`data-height`, else its
 *   CSS box (rounded). Rejects when the page has no `[data-composition-id]` (or `rootSelector`), or
 *   when a timed element's tag/id at its index differs from the config (the browser parsed the HTML
 *   differently from node-html-parser, e.g. a `<div>` inside `<table>` or `<p>`, or a script inserted
 *   timed elements before it): clip windows would otherwise land on the wrong elements.
 * - `seek(frameIndex, timeSeconds): Promise<void>` — calls are serialized. In order: sets virtual time;
 *   applies clip windows; runs the rAF callbacks queued so far with `timestamp = t * 1000`; pauses and
 *   seeks every `window.__timelines[id]` (`seek(t)`, else `time(t)`, else `totalTime(t)`; a nested
 *   composition's at `t - start`; a page without timelines is not waited for); pauses every CSS
 *   animation / Web Animation and sets `currentTime = t*1000 - birth` (birth = 0 for animations present
 *   before the first seek; the effect's own delay applies as in the browser); then waits for images
 *   whose source changed to decode and for fonts that started loading. Resolves when the DOM is
 *   ready to capture.
 * - `errors: string[]` — uncaught errors and unhandled rejections of the page, in order.
 *
 * Determinism: `Date`, `new Date()`, `Date()`, `Date.now()` read 2024-01-01T00:00:00Z + virtual time;
 * `performance.now()` is the virtual time in ms; `requestAnimationFrame` callbacks only run inside
 * `seek`; `Math.random` is a PRNG seeded by `config.seed`. Left alone: `setTimeout`/`setInterval`
 * (real time — a page must not time its visuals with them), `crypto.getRandomValues`, media element
 * playback (the media stages own video frames and audio), CSS transitions started by later style
 * changes (they are Web Animations and get seeked from their birth like others).
 *
 * Clip visibility: a timed element with `isClip` is visible on [start, end) (times within 1 µs are
 * equal). Outside it the element gets `data-framesmith-hidden`, which an injected stylesheet maps to
 * `visibility: hidden !important` for it and its descendants: layout does not shift and page CSS
 * cannot show it through. (HyperFrames documents its window as inclusive of the end; framesmith's is
 * half-open so a 1 s clip covers exactly fps frames.) `data-no-timeline` is accepted and changes nothing.
 */
import type { Composition } from '../composition/model.js';
import type { Rational } from '../media/rational.js';
import { PAGE_RUNTIME_SOURCE } from './runtime/page-source.js';

export interface RuntimeTimed {
  /** Index into `document.querySelectorAll('[data-start], video, audio')` minus the root. */
  index: number;
  start: number;
  /** Seconds; `Infinity` when open-ended. */
  end: number;
  isClip: boolean;
  /** Lower-case tag name and id as parsed; when given, `ready()` checks the page has the same element at `index`. */
  tagName?: string;
  id?: string;
  /** `<video>`/`<audio>` only: what its `currentTime` reads at each frame (see page-source.ts). */
  media?: { mediaStart: number; playbackRate: number; loop: boolean };
}

export interface RuntimeConfig {
  fps: Rational;
  /** Seed of `Math.random`; same seed, same sequence. */
  seed: number;
  timed: RuntimeTimed[];
  /** Selector of the root; default `[data-composition-id]` (the first one). */
  rootSelector?: string;
  /** Composition id → start in seconds: `window.__timelines[id]` is sought at `t - start`. Default 0. */
  timelineOffsets?: Record<string, number>;
  /** Longest real-time wait, per seek, for `img.decode()` (default 3000 ms); see page-source.ts. */
  decodeTimeoutMs?: number;
}

/** The script source to pass to `page.evaluateOnNewDocument`. */
export function runtimeScript(config: RuntimeConfig): string {
  const json = JSON.stringify({
    ...config,
    // JSON has no Infinity: the page reads null as open-ended.
    timed: config.timed.map((t) => ({ ...t, end: Number.isFinite(t.end) ? t.end : null })),
  });
  return `(${PAGE_RUNTIME_SOURCE.trim()})(${json});`;
}

/** The runtime configuration of a parsed composition. */
export function runtimeConfigFor(composition: Composition, seed = 0): RuntimeConfig {
  const timelineOffsets: Record<string, number> = {};
  for (const nested of composition.nested) timelineOffsets[nested.id] ??= nested.start;
  return {
    fps: composition.fps,
    seed,
    timed: composition.timed.map((t) => ({
      index: t.index,
      start: t.start,
      end: t.duration === undefined ? Infinity : t.start + t.duration,
      isClip: t.isClip,
      tagName: t.tagName,
      ...(t.id !== undefined ? { id: t.id } : {}),
      ...mediaOf(composition, t.index),
    })),
    timelineOffsets,
  };
}

function mediaOf(composition: Composition, index: number): Pick<RuntimeTimed, 'media'> {
  const m = composition.media.find((e) => e.index === index);
  return m ? { media: { mediaStart: m.mediaStart, playbackRate: m.playbackRate, loop: m.loop } } : {};
}
