/**
 * Planning a source pass's segments (pure: plans and a packet index in, segments out). At a clean cut
 * (closed GOP, no slot within a tick of the keyframe) the earlier segment stops before the keyframe
 * and the later one writes the boundary slot: every slot is written once and no frame is decoded twice.
 * Otherwise (open GOP, a slot within a tick, a rotated or remote source) the classic cut stays: the
 * earlier segment writes the boundary slot and decodes past it. Real-ffmpeg exactness of both is in
 * source-pass.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { PacketIndex } from '../../src/media/packets.js';
import type { ExtractionPlan } from '../../src/extract/plan.js';
import { planSegments, type Segment } from '../../src/extract/segments.js';

const FPS = 30;
const FRAMES = 240;

/** A 30 fps CFR index of 240 packets, a keyframe every second; `closed`: GOPs closed (cuts known). */
function cfrIndex(closed: boolean): PacketIndex {
  const times = Float64Array.from({ length: FRAMES }, (_, i) => i / FPS);
  const keyframes = times.filter((_, i) => i % FPS === 0);
  // Decoding times two frames before presentation (B-frames), as x264 writes them.
  const cutBefore = keyframes.map((t) => (closed ? t - 2 / FPS - 1e-6 : Number.NaN));
  return { times, keyframes, cutBefore };
}

function plan(mediaStart: number, frameCount: number, extra: Partial<ExtractionPlan> = {}): ExtractionPlan {
  return {
    source: '/media/clip.mp4',
    identity: { dev: 1, ino: 1, size: 1, mtimeMs: 1 },
    mediaStart,
    playbackRate: 1,
    fps: { num: FPS, den: 1 },
    frameCount,
    width: 320,
    height: 180,
    format: 'jpg',
    jpegQuality: 3,
    colorTarget: 'sdr',
    rotation: 0,
    alpha: false,
    decoder: null,
    streamStart: 0,
    streamIndex: 0,
    sourceWidth: 320,
    sourceHeight: 180,
    vfr: false,
    hdr: null,
    sourcePixelFormat: 'yuv420p',
    sourceColorSpace: 'bt709',
    colourTransform: 'none',
    colourFilter: null,
    key: `k${mediaStart}`,
    ...extra,
  };
}

/** The source-pass test's four recipes (native, a trim, rate 0.75 non-aligned, a loop's one cycle). */
const four = (extra: Partial<ExtractionPlan> = {}) => [
  plan(0, 180, extra),
  plan(2, 120, extra),
  plan(3.517, 90, { ...extra, playbackRate: 0.75 }),
  plan(6.1, 57, extra),
];

/** Every plan's slots [0, frameCount) covered by the segments' branches exactly once, in order. */
function expectCovered(plans: ExtractionPlan[], segments: Segment[]): void {
  plans.forEach((p, job) => {
    const ranges = segments.flatMap((s) => s.branches.filter((b) => b.job === job)).map((b) => [b.first, b.first + b.count]);
    const flat = ranges.flat();
    expect(flat[0]).toBe(0);
    expect(flat.at(-1)).toBe(p.frameCount);
    for (let i = 1; i < ranges.length; i++) expect(ranges[i]![0]).toBe(ranges[i - 1]![1]);
  });
}

const decoded = (segments: Segment[]) => segments.reduce((sum, s) => sum + s.framesDecoded!, 0);

describe('planSegments', () => {
  it('a closed GOP is cut cleanly: the boundary slot goes to the later segment and the union is decoded once', () => {
    const plans = four();
    const segments = planSegments(plans, cfrIndex(true), 2);
    expect(segments).toHaveLength(2);
    expectCovered(plans, segments);
    // Cut at 4 s: the earlier segment stops before the keyframe's packet; the later one starts there.
    expect(segments[0]!.cut).toBeCloseTo(4 - 2 / FPS - 1e-6, 9);
    expect(segments[1]!.cut).toBeNull();
    // Slot 120 of the native recipe shows the keyframe (4 s): written by the later segment.
    expect(segments[1]!.branches.find((b) => b.job === 0)!.first).toBe(120);
    expect(segments.map((s) => s.framesDecoded)).toEqual([120, 120]);
    expect(decoded(segments)).toBe(FRAMES);
  });

  it('an open GOP keeps the classic cut: the earlier segment writes the boundary slot and reads past it', () => {
    const plans = four();
    const segments = planSegments(plans, cfrIndex(false), 2);
    expectCovered(plans, segments);
    expect(segments.every((s) => s.cut === null)).toBe(true);
    expect(segments[1]!.branches.find((b) => b.job === 0)!.first).toBe(121);
    expect(decoded(segments)).toBeGreaterThan(FRAMES);
  });

  it('a slot within a tick before the keyframe keeps the classic cut (ffmpeg may place the keyframe a slot earlier)', () => {
    // Slot k of the second recipe is at 0.0318 + 0.001 + k/30 s: slot 119 at 3.99947 s, 0.53 ms before the keyframe.
    const plans = [plan(0, 180), plan(0.0318, 150)];
    const segments = planSegments(plans, cfrIndex(true), 2);
    expectCovered(plans, segments);
    expect(segments.every((s) => s.cut === null)).toBe(true);
  });

  it('a rotated or remote source keeps the classic cut (the concat demuxer is not used for it)', () => {
    for (const extra of [{ rotation: 90 }, { source: 'https://example.com/clip.mp4' }]) {
      const plans = four(extra);
      const segments = planSegments(plans, cfrIndex(true), 2);
      expectCovered(plans, segments);
      expect(segments.every((s) => s.cut === null)).toBe(true);
    }
  });

  it('one segment (no cut) decodes to the end of the union', () => {
    const plans = four();
    const [whole] = planSegments(plans, cfrIndex(true), 1);
    expect(whole!.cut).toBeNull();
    expect(whole!.framesDecoded).toBe(FRAMES);
  });
});
