/**
 * Which extracted frame a clip shows at a composition time.
 *
 * A clip placed at composition time `start` for `duration` seconds is active on [start, start + duration).
 * At time t it is in slot floor((t - start) * fps + ε) (ε absorbs float noise such as 0.1 * 30 = 2.9999…),
 * computed from the exact rational fps. Slot k shows frame k while frames last; after that a clip holds
 * its last frame, or, when looping, shows frame k mod frameCount.
 */
import type { Rational } from '../media/rational.js';
import { SLOT_EPSILON } from './plan.js';

/** Placement of one clip on the composition timeline and its extracted frames; `loop` defaults to false. */
export interface FrameLookupOptions {
  /** Composition time the clip appears, seconds. */
  start: number;
  /** Seconds on screen. */
  duration: number;
  fps: Rational;
  /** Frame paths (slot 0 first) or just how many frames there are (no paths: `frameAt` returns null). */
  frames: readonly string[] | number;
  loop?: boolean;
}

/**
 * Maps composition time to the frame a clip shows (see the module comment). The constructor throws
 * `RangeError` for a non-positive duration or fps, or when there is no frame (a count below 1 or not an integer).
 */
export class FrameLookupTable {
  readonly start: number;
  readonly duration: number;
  readonly fps: Rational;
  readonly loop: boolean;
  readonly frameCount: number;
  private readonly paths: readonly string[] | null;

  constructor(options: FrameLookupOptions) {
    if (!(options.duration > 0)) throw new RangeError(`FrameLookupTable: duration must be positive (got ${options.duration})`);
    if (!(options.fps.num > 0 && options.fps.den > 0)) throw new RangeError('FrameLookupTable: fps must be positive');
    this.start = options.start;
    this.duration = options.duration;
    this.fps = options.fps;
    this.loop = options.loop ?? false;
    this.paths = typeof options.frames === 'number' ? null : options.frames;
    this.frameCount = typeof options.frames === 'number' ? options.frames : options.frames.length;
    if (!Number.isInteger(this.frameCount) || this.frameCount < 1) throw new RangeError('FrameLookupTable: at least one frame is needed');
  }

  /** Whether the clip is on screen at composition time t: start <= t < start + duration. */
  isActive(t: number): boolean {
    return t >= this.start && t < this.start + this.duration;
  }

  /** The clip's slot at composition time t (null when inactive). */
  slotAt(t: number): number | null {
    if (!this.isActive(t)) return null;
    return Math.max(0, Math.floor(((t - this.start) * this.fps.num) / this.fps.den + SLOT_EPSILON));
  }

  /** Index into the frame list for a slot: the slot while frames last, then held (or wrapped when looping). */
  indexForSlot(slot: number): number {
    if (slot < this.frameCount) return slot;
    return this.loop ? slot % this.frameCount : this.frameCount - 1;
  }

  /** Frame index shown at composition time t, or null when the clip is inactive. */
  indexAt(t: number): number | null {
    const slot = this.slotAt(t);
    return slot === null ? null : this.indexForSlot(slot);
  }

  /** Frame path shown at composition time t; null when inactive or when the table was built from a count. */
  frameAt(t: number): string | null {
    const index = this.indexAt(t);
    if (index === null || this.paths === null) return null;
    return this.paths[index] ?? null;
  }
}
