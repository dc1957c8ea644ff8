/**
 * HyperFrames' Lottie hook: every player in `window.__hfLottie` (lottie-web `AnimationItem`s or
 * dotLottie players), plus the animations lottie-web has registered when the page is ready
 * (`lottie.getRegisteredAnimations()`), is put at the frame for the time since its composition
 * started — the start of the nearest enclosing `[data-composition-id]`, 0 at the root:
 *
 * - lottie-web: frame = local time × `frameRate`, wrapped by `totalFrames` when `loop` is set, else
 *   held at the last frame (`totalFrames - 1`) past the end: `goToAndStop(frame, true)`;
 * - dotLottie: `setFrame(local / duration × totalFrames)` with the same wrap/hold, else `seek` in
 *   percent.
 *
 * Each player's length (its composition's start + its own duration) is a floor of the composition's
 * duration, as in HyperFrames.
 */
import type { FramesmithAdapter } from '../../page-api.js';

interface LottieWebItem {
  goToAndStop(value: number, isFrame?: boolean): unknown;
  frameRate?: number;
  totalFrames?: number;
  loop?: boolean | number;
  wrapper?: Element;
}
interface DotLottiePlayer {
  setFrame?(frame: number): unknown;
  seek?(percent: number): unknown;
  totalFrames?: number;
  duration?: number;
  loop?: boolean;
  canvas?: Element;
}
type Player = LottieWebItem | DotLottiePlayer;

/**
 * The `window.__hfLottie` adapter (see the module comment). `compositionStartOf` gives the start in seconds of
 * the composition enclosing a player's element (null: no element). `duration()` is the latest end of the
 * non-looping players of known length, or null when there is none.
 */
export function hfLottieAdapter(win: Window, compositionStartOf: (el: Element | null) => number): FramesmithAdapter {
  const adopted = new Set<Player>();
  const players = (): Player[] => {
    const listed = (win as unknown as { __hfLottie?: unknown }).__hfLottie;
    const all = new Set<Player>(adopted);
    if (Array.isArray(listed)) for (const p of listed) if (p && typeof p === 'object') all.add(p as Player);
    return [...all];
  };
  const elementOf = (p: Player): Element | null => ('wrapper' in p && p.wrapper) || ('canvas' in p && p.canvas) || null;
  const lengthOf = (p: Player): number | null => {
    if ('goToAndStop' in p && typeof p.goToAndStop === 'function') {
      return p.frameRate && p.totalFrames ? p.totalFrames / p.frameRate : null;
    }
    const d = (p as DotLottiePlayer).duration;
    return typeof d === 'number' && d > 0 ? d : null;
  };
  return {
    name: 'window.__hfLottie (Lottie)',
    ready() {
      const lottie = (win as unknown as { lottie?: { getRegisteredAnimations?(): unknown[] } }).lottie;
      for (const a of lottie?.getRegisteredAnimations?.() ?? []) if (a && typeof a === 'object') adopted.add(a as Player);
    },
    seek({ time }) {
      for (const p of players()) {
        const local = Math.max(0, time - compositionStartOf(elementOf(p)));
        if ('goToAndStop' in p && typeof p.goToAndStop === 'function') {
          const total = p.totalFrames ?? 0;
          const rate = p.frameRate ?? 30;
          let frame = local * rate;
          if (total > 0) frame = p.loop ? frame % total : Math.min(frame, total - 1);
          p.goToAndStop(frame, true);
          continue;
        }
        const dot = p as DotLottiePlayer;
        const duration = dot.duration ?? 0;
        if (duration > 0 && typeof dot.setFrame === 'function' && dot.totalFrames) {
          let frame = (local / duration) * dot.totalFrames;
          frame = dot.loop ? frame % dot.totalFrames : Math.min(frame, dot.totalFrames - 1);
          dot.setFrame(frame);
        } else if (duration > 0 && typeof dot.seek === 'function') {
          const progress = dot.loop ? (local % duration) / duration : Math.min(local / duration, 1);
          dot.seek(progress * 100);
        }
      }
    },
    duration() {
      let longest: number | null = null;
      for (const p of players()) {
        const length = lengthOf(p);
        if (length !== null && !('loop' in p && p.loop)) longest = Math.max(longest ?? 0, compositionStartOf(elementOf(p)) + length);
      }
      return longest;
    },
  };
}
