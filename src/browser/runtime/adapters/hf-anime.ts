/**
 * HyperFrames' anime.js hooks, both seeking instances in milliseconds (anime.js v3 and v4 seek in ms):
 *
 * - `window.hyperframesAnime.register(id, instance, { labels })` (installed before the page's scripts,
 *   also as `__hyperframes.hyperframesAnime`), HyperFrames' keyed contract: the instance is sought on
 *   the time of the composition whose `data-composition-id` is `id` (or the part of `id` before `::`) —
 *   composition time minus that composition's start, at least 0, at most its host's `data-duration`
 *   (else the instance's own duration) — or on composition time when no composition has that id. On
 *   registration it is sought to its end and back to 0 once ("primed"), as HyperFrames does: anime.js
 *   4 draws a timeline child placed after 0 at its starting values only once the playhead has reached
 *   it, so frame 0 would otherwise show it unstyled. The inline `visibility` and `display` the priming
 *   set are put back. `unregister(id)`, `get(id)`, `entries()` and `resolveLabel(id, label)` (a label's
 *   seconds) work as there. Registering an id again replaces the earlier instance.
 * - `window.__hfAnime`, an array the page pushes instances to (the older hook): each is sought to the
 *   composition time, not relative to a clip, as in HyperFrames. Instances anime.js v3 lists as running
 *   when the page is ready (`anime.running`) are adopted too, so a page that plays an animation without
 *   registering it is seeked as well.
 */
import type { FramesmithAdapter } from '../../page-api.js';

interface AnimeInstance {
  seek(ms: number): unknown;
  pause?(): unknown;
  play?(): unknown;
  duration?: unknown;
  totalDuration?: unknown;
}

/** One keyed registration (`hyperframesAnime.register`). */
interface AnimeRegistration {
  id: string;
  instance: AnimeInstance;
  /** Label → seconds. */
  labels: Record<string, number>;
}

/** Where registrations are sought: a composition id → its start in composition seconds (missing: not a composition). */
export type CompositionStarts = (id: string) => number | null;

/** The instance's length in ms (`totalDuration`, else `duration`), or null. */
function durationMs(instance: AnimeInstance): number | null {
  for (const key of ['totalDuration', 'duration'] as const) {
    const value = instance[key];
    try {
      const ms = Number(typeof value === 'function' ? (value as () => unknown).call(instance) : value);
      if (Number.isFinite(ms) && ms > 0) return ms;
    } catch {
      // not readable: try the next
    }
  }
  return null;
}

/** Seeks `instance` to its end and back to 0, leaving every element's inline visibility and display as they were. */
function prime(doc: Document, instance: AnimeInstance): void {
  const kept = Array.from(doc.querySelectorAll<HTMLElement>('*'), (el) => ({
    el,
    values: (['visibility', 'display'] as const).map(
      (p) => [p, el.style?.getPropertyValue(p) ?? '', el.style?.getPropertyPriority(p) ?? ''] as const,
    ),
  }));
  try {
    instance.seek(durationMs(instance) ?? 36_000_000);
    instance.seek(0);
  } finally {
    for (const { el, values } of kept) {
      if (!el.style) continue;
      for (const [p, value, priority] of values) {
        if (value) el.style.setProperty(p, value, priority);
        else el.style.removeProperty(p);
      }
    }
  }
}

/**
 * Installs `window.hyperframesAnime` and returns the adapter seeking its registrations and the
 * `window.__hfAnime` instances (see the module comment). `compositionStart` gives a composition id's
 * start; `report` receives a registration's seek or priming error (the others still seek).
 */
export function hfAnimeAdapter(
  win: Window,
  compositionStart: CompositionStarts,
  report: (prefix: string, error: unknown) => void,
): FramesmithAdapter {
  const registrations = new Map<string, AnimeRegistration>();
  const api = {
    register(id: string, instance: AnimeInstance, options?: { labels?: Record<string, unknown> }) {
      const labels: Record<string, number> = {};
      for (const [name, value] of Object.entries(options?.labels ?? {}))
        if (typeof value === 'number' && Number.isFinite(value)) labels[name] = value;
      const registration: AnimeRegistration = { id: String(id), instance, labels };
      if (instance && typeof instance.seek === 'function') {
        try {
          prime(win.document, instance);
        } catch (error) {
          report(`Error priming the anime.js registration "${id}": `, error);
        }
      }
      registrations.set(registration.id, registration);
      return registration;
    },
    unregister(id: string) {
      registrations.delete(String(id));
    },
    get: (id: string) => registrations.get(String(id)) ?? null,
    entries: () => [...registrations.values()],
    resolveLabel: (id: string, label: string) => registrations.get(String(id))?.labels[label] ?? null,
  };
  const w = win as unknown as { hyperframesAnime?: unknown; __hyperframes?: Record<string, unknown> };
  w.hyperframesAnime ??= api;
  if (w.__hyperframes) w.__hyperframes.hyperframesAnime ??= w.hyperframesAnime;

  /** Milliseconds registration `r` is sought to at composition time `time`. */
  const localMs = (r: AnimeRegistration, time: number): number => {
    const id = [r.id, r.id.split('::')[0]!].find((candidate) => compositionStart(candidate) !== null);
    if (id === undefined) return Math.max(0, time * 1000);
    const local = Math.max(0, (time - compositionStart(id)!) * 1000);
    const host = win.document.querySelector(`[data-composition-id="${CSS.escape(id)}"]`);
    const hostSeconds = Number(host?.getAttribute('data-duration'));
    const end = Number.isFinite(hostSeconds) && hostSeconds > 0 ? hostSeconds * 1000 : durationMs(r.instance);
    return end === null ? local : Math.min(local, end);
  };

  const adopted = new Set<AnimeInstance>();
  const listed = (): AnimeInstance[] => {
    const list = (win as unknown as { __hfAnime?: unknown }).__hfAnime;
    const all = new Set<AnimeInstance>(adopted);
    if (Array.isArray(list)) for (const a of list) if (a && typeof (a as AnimeInstance).seek === 'function') all.add(a as AnimeInstance);
    return [...all];
  };
  return {
    name: 'hyperframesAnime / window.__hfAnime (anime.js)',
    ready() {
      const running = (win as unknown as { anime?: { running?: unknown } }).anime?.running;
      if (Array.isArray(running))
        for (const a of running) if (a && typeof (a as AnimeInstance).seek === 'function') adopted.add(a as AnimeInstance);
      for (const a of listed()) a.pause?.();
      for (const r of registrations.values()) r.instance.pause?.();
    },
    seek({ time }) {
      for (const a of listed()) {
        a.pause?.();
        a.seek(Math.max(0, time * 1000));
      }
      for (const r of registrations.values()) {
        try {
          r.instance.pause?.();
          r.instance.seek(localMs(r, time));
        } catch (error) {
          report(`Error seeking the anime.js registration "${r.id}": `, error);
        }
      }
    },
  };
}
