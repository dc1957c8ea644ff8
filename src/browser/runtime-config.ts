/**
 * The Node side of the in-page scripts: their configuration from a parsed composition, and the
 * scripts a render injects before the page's own (`evaluateOnNewDocument`). What each script does in
 * the page is documented in src/browser/runtime/ (runtime.ts, media-guard.ts, webgl-watch.ts); the
 * globals they share are declared once in src/browser/page-api.ts.
 */
import type { Composition } from '../composition/model.js';
import type { MediaGuardConfig, RuntimeConfig, RuntimeTimed } from './page-api.js';
import { pageScript } from './page-scripts.js';

/** Re-exported from page-api.ts, where the page-side globals are declared. */
export type { RuntimeConfig, RuntimeTimed } from './page-api.js';

/** The runtime script (src/browser/runtime/runtime.ts) with `config`. */
export function runtimeScript(config: RuntimeConfig): string {
  return pageScript('runtime', config);
}

/** The media guard (src/browser/runtime/media-guard.ts) knowing `known` files. */
export function mediaGuardSource(known: MediaGuardConfig['known'] = {}): string {
  return pageScript('media-guard', { known });
}

/** Everything a render injects before the page's scripts: runtime, media guard, WebGL watch. */
export function injectedScripts(config: RuntimeConfig, known: MediaGuardConfig['known']): string {
  return [runtimeScript(config), mediaGuardSource(known), pageScript('webgl-watch')].join('\n');
}

/** Page expression: true when the page asked for a WebGL context and got none. */
export const WEBGL_MISSING_EXPRESSION = 'Boolean(window.__framesmithWebGL && window.__framesmithWebGL.missing)';

/** Page expression: the watch's `{ requested, missing }` (both false before the watch ran). */
export const WEBGL_STATE_EXPRESSION =
  '({ requested: Boolean(window.__framesmithWebGL && window.__framesmithWebGL.requested), missing: Boolean(window.__framesmithWebGL && window.__framesmithWebGL.missing) })';

/** The runtime configuration of a parsed composition. */
export function runtimeConfigFor(composition: Composition, seed = 0): RuntimeConfig {
  const timelineOffsets: Record<string, number> = {};
  for (const nested of composition.nested) timelineOffsets[nested.id] ??= nested.start;
  const hostsWithoutEnd = new Map(
    composition.nested.filter((n) => n.index !== undefined && n.duration === undefined).map((n) => [n.index!, n.id]),
  );
  return {
    fps: composition.fps,
    seed,
    ...rootOptions(composition),
    variables: composition.variables,
    scopes: Object.fromEntries(composition.mounts.map((m) => [m.id, { authoredId: m.authoredId, variables: m.variables }])),
    timed: composition.timed.map(
      (t): RuntimeTimed => ({
        index: t.index,
        start: t.start,
        end: t.duration === undefined ? null : t.start + t.duration,
        isClip: t.isClip,
        tagName: t.tagName,
        ...(t.id !== undefined ? { id: t.id } : {}),
        ...mediaOf(composition, t.index),
        ...(hostsWithoutEnd.has(t.index) && t.duration === undefined ? { timelineKey: hostsWithoutEnd.get(t.index)! } : {}),
      }),
    ),
    timelineOffsets,
  };
}

/** How the page finds the root and its timed elements: set when the render picked one composition of several. */
export function rootOptions(composition: Composition): Pick<RuntimeConfig, 'rootSelector' | 'timedWithinRoot'> {
  return composition.rootId !== undefined
    ? { rootSelector: `[data-composition-id="${cssString(composition.rootId)}"]`, timedWithinRoot: true }
    : {};
}

/** `value` escaped for a double-quoted CSS attribute value. */
function cssString(value: string): string {
  return value.replace(/["\\]/g, '\\$&');
}

function mediaOf(composition: Composition, index: number): Pick<RuntimeTimed, 'media'> {
  const m = composition.media.find((e) => e.index === index);
  return m ? { media: { mediaStart: m.mediaStart, playbackRate: m.playbackRate, loop: m.loop } } : {};
}
