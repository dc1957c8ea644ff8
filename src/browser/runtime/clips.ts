/**
 * Clip windows: a timed element with `isClip` is visible on [start, end) (times within 1 µs are
 * equal). Outside it the element gets `data-framesmith-hidden`, which an injected stylesheet maps to
 * `visibility: hidden !important` for it and its descendants: layout does not shift and page CSS
 * cannot show it through. (HyperFrames documents its window as inclusive of the end; framesmith's is
 * half-open so a 1 s clip covers exactly fps frames.)
 */
import type { RuntimeConfig } from '../page-api.js';
import type { TimedElements } from './timed-elements.js';

/** The attribute a clip carries while outside its window (empty value); the clip stylesheet hides it. */
export const HIDDEN_ATTR = 'data-framesmith-hidden';
/** Two times within 1 microsecond are the same moment: frame times k*den/num carry float noise. */
export const EPSILON_S = 1e-6;

/** Adds the stylesheet that hides clips outside their window (once). */
export function ensureClipStyle(doc: Document): void {
  if (doc.getElementById('__framesmith-style')) return;
  const style = doc.createElement('style');
  style.id = '__framesmith-style';
  // visibility keeps the clip's box in layout; the descendant rule beats a child's own
  // visibility: visible, which would otherwise show through a hidden parent.
  // An <hf-audio-group> is mix metadata (src/composition/audio-authoring.ts): as in HyperFrames it
  // has no box, so adding a group never shifts a flex or grid layout.
  style.textContent = `[${HIDDEN_ATTR}],[${HIDDEN_ATTR}] *{visibility:hidden !important}hf-audio-group{display:none !important}`;
  (doc.head || doc.documentElement).appendChild(style);
}

/** Shows each clip inside its window at time `t` (seconds) and hides it outside. */
export function applyClips(config: RuntimeConfig, elements: TimedElements, t: number): void {
  const els = elements.list();
  for (const entry of config.timed) {
    if (!entry.isClip) continue;
    const el = els[entry.index];
    if (!el) continue;
    const end = entry.end ?? Infinity;
    const visible = t >= entry.start - EPSILON_S && t < end - EPSILON_S;
    if (visible) el.removeAttribute(HIDDEN_ATTR);
    else el.setAttribute(HIDDEN_ATTR, '');
  }
}

/** The start of the innermost clip holding `node`, in seconds; 0 outside every clip. */
export function clipStartOf(config: RuntimeConfig, elements: TimedElements, node: Element | null): number {
  const els = elements.list();
  for (let el: Element | null = node; el; el = el.parentElement) {
    for (const entry of config.timed) {
      if (entry.isClip && els[entry.index] === el) return entry.start;
    }
  }
  return 0;
}
