/**
 * CSS animations and Web Animations of one document, driven by composition time.
 *
 * Each animation is paused when first seen and then set to `currentTime = t - birth`, where birth is
 * the virtual time it appeared: 0 for those present before the first seek; the current seek's time
 * for those created while a seek runs rAF callbacks and timelines; the previous seek's time for those
 * created between seeks (timers, events). An animation started at time x shows its state at t - x;
 * the effect's own delay applies as in the browser.
 *
 * A CSS animation inside a class="clip" element is born no earlier than the clip's start, as in
 * HyperFrames (which shows clips with display, so their CSS animations start when they appear): a
 * card with data-start="1" and animation-delay 1.2s appears at 2.2 s in both.
 */
export interface AnimationSeeker {
  /** Pauses and records animations not seen before, born at `birthMs` (clip starts applied). */
  collect(birthMs: number): void;
  /** Sets every known animation to composition time `tMs`; cancelled or detached ones are forgotten. */
  seek(tMs: number, onError: (error: unknown) => void): void;
}

/**
 * A seeker for `doc`'s CSS and Web Animations (see the module comment). `clipStartMsOf` gives the start in ms
 * of the clip enclosing a CSS animation's target (0 outside clips). Does nothing where `getAnimations` is missing.
 */
export function animationSeeker(doc: Document, clipStartMsOf: (target: Element) => number): AnimationSeeker {
  const births = new Map<Animation, number>();
  const win = doc.defaultView as (Window & typeof globalThis) | null;
  return {
    collect(birthMs) {
      if (typeof doc.getAnimations !== 'function') return;
      for (const animation of doc.getAnimations()) {
        if (births.has(animation)) continue;
        let born = birthMs;
        const target = (animation.effect as KeyframeEffect | null)?.target ?? null;
        if (win && animation instanceof win.CSSAnimation && target) born = Math.max(born, clipStartMsOf(target));
        births.set(animation, born);
        try {
          animation.pause();
        } catch {
          // An animation that cannot pause is left to the page.
        }
      }
    },
    seek(tMs, onError) {
      births.forEach((birth, animation) => {
        const target = (animation.effect as KeyframeEffect | null)?.target ?? null;
        // Cancelled (CSS animation removed) or detached: forget it rather than revive it.
        if (animation.playState === 'idle' || (target && !target.isConnected)) {
          births.delete(animation);
          return;
        }
        try {
          animation.currentTime = Math.max(0, tMs - birth);
        } catch (error) {
          onError(error);
        }
      });
    },
  };
}
