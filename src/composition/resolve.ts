/**
 * Resolves the timing of a composition's timed elements to absolute seconds: references between
 * elements (with cycle detection), nested-composition offsets, `data-end`, and — only when something
 * needs it — the length of media without an explicit duration.
 */
import { CompositionError } from './errors.js';
import type { TimeExpr } from './timing.js';

/** One timed element as read from the HTML, before resolution. */
export interface RawTimed {
  index: number;
  label: string;
  id?: string;
  start: TimeExpr;
  /** `data-duration`, seconds (already validated as non-negative). */
  duration?: number;
  /** `data-end`, used when `data-duration` is absent. */
  end?: TimeExpr;
  /** The nested composition host whose start is this element's time origin; null at the root. */
  scope: RawTimed | null;
  media?: { src: string; mediaStart: number; playbackRate: number; loop: boolean };
}

/** The length in seconds of a media file (absolute path or URL). */
export type MediaDurationFn = (src: string) => Promise<number>;

/**
 * Resolves timed elements of one file to absolute seconds, memoizing each start and duration. Throws
 * CompositionError `unknown_reference`, `cyclic_reference`, `invalid_timing`, or `no_duration` when a
 * medium's length is needed and no MediaDurationFn was given.
 */
export class TimingResolver {
  private readonly starts = new Map<RawTimed, number>();
  private readonly durations = new Map<RawTimed, number | undefined>();
  private readonly mediaLengths = new Map<RawTimed, number | undefined>();

  constructor(
    private readonly file: string,
    private readonly byId: Map<string, RawTimed | 'untimed'>,
    private readonly mediaDuration?: MediaDurationFn,
  ) {}

  /** Absolute start in seconds. */
  async start(e: RawTimed, stack: RawTimed[] = []): Promise<number> {
    const known = this.starts.get(e);
    if (known !== undefined) return known;
    const chain = this.enter(e, stack);
    let value: number;
    if (e.start.kind === 'seconds') {
      value = (e.scope ? await this.start(e.scope, chain) : 0) + e.start.value;
    } else {
      value = await this.referenceTime(e, e.start, chain, 'data-start');
    }
    if (!(value >= 0)) {
      throw new CompositionError(
        'invalid_timing',
        `${e.label} in ${this.file} starts at ${value} s, before the composition begins: make its data-start resolve to 0 or later`,
        { file: this.file, element: e.label },
      );
    }
    this.starts.set(e, value);
    return value;
  }

  /**
   * Duration in seconds; `undefined` when open-ended (no data-duration/data-end, a looping or
   * unmeasured medium). With `needMedia`, an open media element's length is asked of `mediaDuration`.
   */
  async duration(e: RawTimed, stack: RawTimed[] = [], needMedia = false): Promise<number | undefined> {
    if (this.durations.has(e)) return this.durations.get(e);
    const chain = this.enter(e, stack);
    let value: number | undefined;
    if (e.duration !== undefined) {
      value = e.duration;
    } else if (e.end) {
      const start = await this.start(e, chain);
      const end =
        e.end.kind === 'seconds'
          ? (e.scope ? await this.start(e.scope, chain) : 0) + e.end.value
          : await this.referenceTime(e, e.end, chain, 'data-end');
      value = end - start;
      if (!(value >= 0)) {
        throw new CompositionError(
          'invalid_timing',
          `${e.label} in ${this.file} ends (data-end, ${end} s) before it starts (${start} s): make data-end later than data-start, or use data-duration`,
          { file: this.file, element: e.label },
        );
      }
    } else if (e.media && needMedia) {
      value = await this.mediaLength(e);
    } else {
      return undefined; // not memoized: a later caller may need the media length
    }
    this.durations.set(e, value);
    return value;
  }

  /** Playable length of an open-ended media element in composition seconds; undefined for loops. */
  async mediaLength(e: RawTimed): Promise<number | undefined> {
    if (this.mediaLengths.has(e)) return this.mediaLengths.get(e);
    const media = e.media!;
    let value: number | undefined;
    if (!media.loop) {
      if (!this.mediaDuration) {
        throw new CompositionError(
          'no_duration',
          `${e.label} in ${this.file} has no data-duration and the length of ${media.src} is needed: add data-duration to it (or to the root), or pass options.mediaDuration`,
          { file: this.file, element: e.label },
        );
      }
      const length = await this.mediaDuration(media.src);
      value = Math.max(0, length - media.mediaStart) / media.playbackRate;
    }
    this.mediaLengths.set(e, value);
    return value;
  }

  private async referenceTime(e: RawTimed, expr: Extract<TimeExpr, { kind: 'ref' }>, chain: RawTimed[], attr: string): Promise<number> {
    const target = this.byId.get(expr.id);
    if (target === undefined) {
      throw new CompositionError(
        'unknown_reference',
        `${e.label} in ${this.file}: ${attr} refers to "${expr.id}", but no element has id="${expr.id}": fix the id or use a number of seconds`,
        { file: this.file, element: e.label },
      );
    }
    if (target === 'untimed') {
      throw new CompositionError(
        'unknown_reference',
        `${e.label} in ${this.file}: ${attr} refers to #${expr.id}, which is not a timed element: give #${expr.id} data-start and data-duration, or use a number of seconds`,
        { file: this.file, element: e.label },
      );
    }
    const start = await this.start(target, chain);
    const duration = await this.duration(target, chain, true);
    if (duration === undefined) {
      throw new CompositionError(
        'invalid_timing',
        `${e.label} in ${this.file}: ${attr} refers to ${target.label}, which has no end (open-ended or looping): give ${target.label} a data-duration`,
        { file: this.file, element: e.label },
      );
    }
    return start + duration + expr.offset;
  }

  private enter(e: RawTimed, stack: RawTimed[]): RawTimed[] {
    const at = stack.indexOf(e);
    if (at >= 0) {
      const cycle = [...stack.slice(at), e].map((x) => x.label).join(' → ');
      throw new CompositionError(
        'cyclic_reference',
        `cyclic timing in ${this.file}: ${cycle}; make one of these start at a number of seconds`,
        { file: this.file, element: e.label },
      );
    }
    return [...stack, e];
  }
}
