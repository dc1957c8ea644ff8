import { describe, expect, it } from 'vitest';
import { FrameLookupTable } from '../../src/extract/lookup.js';
import { coverSize, slotsBeforeEnd, slotsFor } from '../../src/extract/plan.js';
import { rational } from '../../src/media/rational.js';

describe('FrameLookupTable', () => {
  const fps30 = rational(30);
  it('is active on [start, start + duration) only', () => {
    const t = new FrameLookupTable({ start: 1.5, duration: 2, fps: fps30, frames: ['a', 'b', 'c'] });
    expect(t.frameAt(1.4999)).toBeNull();
    expect(t.frameAt(1.5)).toBe('a');
    expect(t.frameAt(3.4999)).toBe('c');
    expect(t.frameAt(3.5)).toBeNull();
  });

  it('computes slots from the exact rational, absorbing float noise', () => {
    const t = new FrameLookupTable({ start: 0.1, duration: 10, fps: fps30, frames: 1000 });
    // 0.1 + 3/30 in floats is 0.20000000000000004 or 0.19999999999999998 — both are slot 3.
    expect(t.indexAt(0.1 + 3 / 30)).toBe(3);
    expect(t.indexAt(0.2)).toBe(3);
    expect(t.indexAt(0.2 - 1e-4)).toBe(2);
    const ntsc = new FrameLookupTable({ start: 0, duration: 4000, fps: rational(30000, 1001), frames: 200_000 });
    // Frame k of a 30000/1001 render starts at k * 1001 / 30000 s; after an hour a float 29.97 would drift.
    for (const k of [0, 1, 1799, 107_892, 119_880]) expect(ntsc.indexAt((k * 1001) / 30000)).toBe(k);
    expect(ntsc.indexAt((107_892 * 1001) / 30000 - 1e-3)).toBe(107_891);
  });

  it('holds the last frame after the media ends; frameAt is null for a count-only table', () => {
    const t = new FrameLookupTable({ start: 0, duration: 10, fps: fps30, frames: 200_000 - 199_990 });
    expect(t.indexAt(0.3)).toBe(9);
    expect(t.indexAt(9.99)).toBe(9);
    expect(t.frameAt(0)).toBeNull();
  });

  it('wraps for loops, with 200,000 frames', () => {
    const t = new FrameLookupTable({ start: 2, duration: 10_000, fps: fps30, frames: 200_000, loop: true });
    expect(t.indexAt(2 + 199_999 / 30)).toBe(199_999);
    expect(t.indexAt(2 + 200_000 / 30)).toBe(0);
    expect(t.indexAt(2 + 200_007 / 30)).toBe(7);
    expect(t.indexForSlot(299_999)).toBe(99_999);
  });

  it('rejects an empty frame list and a non-positive duration', () => {
    expect(() => new FrameLookupTable({ start: 0, duration: 1, fps: fps30, frames: [] })).toThrow(RangeError);
    expect(() => new FrameLookupTable({ start: 0, duration: 0, fps: fps30, frames: 3 })).toThrow(RangeError);
  });
});

describe('plan arithmetic', () => {
  it('slot counts', () => {
    expect(slotsFor(0.1, rational(30))).toBe(3);
    expect(slotsFor(1, rational(30000, 1001))).toBe(30);
    expect(slotsBeforeEnd(3, 2.5, 1, rational(30))).toBe(15);
    expect(slotsBeforeEnd(3, 2.2, 2, rational(30))).toBe(12);
    expect(slotsBeforeEnd(3, 3, 1, rational(30))).toBe(0);
  });
  it('cover size keeps aspect, covers the box, never upscales', () => {
    expect(coverSize(1920, 1080, 640, 360)).toEqual({ width: 640, height: 360 });
    expect(coverSize(1920, 1080, 640, 640)).toEqual({ width: 1138, height: 640 });
    expect(coverSize(1920, 1080, 3840, 2160)).toEqual({ width: 1920, height: 1080 });
    expect(coverSize(1920, 1080)).toEqual({ width: 1920, height: 1080 });
  });
});
