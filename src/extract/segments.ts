/**
 * Splitting one source's decode into segments at keyframes, so several ffmpeg processes decode
 * disjoint parts of the union of every recipe's window, each writing every recipe's slots that fall
 * in its part. Pure: plans and the packet index in, segments out.
 *
 * Where a slot's frame comes from. With the pass's timestamp mapping (pass.ts), slot k of a plan shows
 * the last source frame whose presentation time P satisfies P <= origin + k·r/F, where origin =
 * streamStart + mediaStart + PTS_TOLERANCE, r the playback rate and F the render rate. So the slots
 * that show keyframe S or a later frame are those with k >= ceil((S − origin)·F/r): the boundary
 * slot of S.
 *
 * A segment starting at keyframe S_i is decoded from S_i (an inexact seek lands exactly there) and on
 * until its slots are written; it needs nothing before S_i. How the earlier segment ends at a cut:
 *
 * - A clean cut (the usual case): the earlier segment's demuxer stops right before S_i in decoding
 *   order (a concat `outpoint`, `PacketIndex.cutBefore`), so it decodes only frames shown before S_i and
 *   writes the slots up to, not including, the boundary slot; the later segment writes from the boundary
 *   slot on. No frame is decoded twice. It needs a closed GOP before S_i (every frame shown before S_i is
 *   decoded before it) and a boundary ffmpeg cannot place one slot earlier than we do: ffmpeg truncates a
 *   frame's shifted timestamp to a whole tick (at most 1 ms in the containers we read, times the
 *   playback rate on the media clock), so S_i must lie more than that after the slot before the boundary
 *   (`CUT_MARGIN`), and the boundary slot itself at or after S_i (ffprobe prints six decimals).
 * - Otherwise (an open GOP, a slot within a tick of S_i, no decoding times): the earlier segment decodes
 *   past its end for as long as its last slot needs and writes the boundary slot itself; the later one
 *   starts one slot after it, so a boundary computed one slot off still gets its frame from a segment
 *   that has every frame around it. This decodes S_i and a frame or two after it twice.
 *
 * Frames decoded, counted from the packet index: for a segment ending at a clean cut, the packets from
 * its keyframe to the cut; otherwise the packets from its keyframe up to and including the first packet
 * after the last slot's time (the `fps` filter sees that frame before it writes the last slot).
 */
import { lowerBound, packetsBetween, type PacketIndex } from '../media/packets.js';
import { PTS_TOLERANCE, type ExtractionPlan } from './plan.js';

/**
 * A segment of at least this many slots (all recipes together) is worth its own process: measured on
 * 2 cores, a 150-frame 1080p clip was no faster in 2 or 3 segments than whole (1.1–1.3 s), while 570
 * slots of one source took 2.5 s in 2 against 2.6–2.9 s whole.
 */
export const MIN_SLOTS_PER_SEGMENT = 150;

/**
 * How far (seconds of media time, per unit of playback rate) a keyframe must lie after the slot before
 * its boundary for a clean cut: one tick of the coarsest time base we read (Matroska/WebM: 1 ms), which
 * ffmpeg's truncation may move a frame earlier, plus the six-decimal rounding of ffprobe's times.
 */
export const CUT_MARGIN = 0.001 + 2e-6;

/** Slots `first` … `first + count - 1` of plan `job` that one segment writes (`count` >= 1). */
export interface SegmentBranch {
  /** Index into the plans given to `planSegments`. */
  job: number;
  first: number;
  count: number;
}

/** One ffmpeg process of a source pass: where it seeks and which slots of which plans it writes. */
export interface Segment {
  /** Media time to seek to (relative to the stream start, as ExtractionPlan.mediaStart). */
  seek: number;
  /**
   * A clean cut: the absolute decoding time (seconds) before which the demuxer stops (the next
   * segment's keyframe is the first packet at or after it); null when the segment runs on as its slots
   * need (the last segment, a cut that is not clean, or omitted).
   */
  cut?: number | null;
  branches: SegmentBranch[];
  /** Source frames this segment decodes (null without a packet index). */
  framesDecoded: number | null;
}

/** The source time (absolute, seconds) slot `k` of `plan` shows: the last frame at or before it. */
export function slotTime(plan: Pick<ExtractionPlan, 'streamStart' | 'mediaStart' | 'playbackRate' | 'fps'>, k: number): number {
  return plan.streamStart + plan.mediaStart + PTS_TOLERANCE + (k * plan.playbackRate * plan.fps.den) / plan.fps.num;
}

/** The first slot of `plan` that shows keyframe `key` (absolute seconds) or a later frame, clamped to [0, frameCount]. */
export function boundarySlot(plan: ExtractionPlan, key: number): number {
  const origin = plan.streamStart + plan.mediaStart + PTS_TOLERANCE;
  const k = Math.ceil(((key - origin) * plan.fps.num) / (plan.fps.den * plan.playbackRate) - 1e-9);
  return Math.min(Math.max(k, 0), plan.frameCount);
}

/**
 * Segments for `plans` (all of one source and one decoder), at most `maxSegments`: without a packet
 * index, or when the work is small, one segment holding every plan whole.
 */
export function planSegments(plans: readonly ExtractionPlan[], index: PacketIndex | null, maxSegments: number): Segment[] {
  const first = plans[0]!;
  const seekMedia = Math.min(...plans.map((p) => p.mediaStart));
  const whole = (): Segment[] => [
    {
      seek: seekMedia,
      cut: null,
      branches: plans.map((p, job) => ({ job, first: 0, count: p.frameCount })),
      framesDecoded: index
        ? decodedBetween(
            index,
            startKeyframe(index, first.streamStart + seekMedia),
            plans.map((p) => slotTime(p, p.frameCount - 1)),
          )
        : null,
    },
  ];
  const slots = plans.reduce((sum, p) => sum + p.frameCount, 0);
  const wanted = Math.min(maxSegments, Math.floor(slots / MIN_SLOTS_PER_SEGMENT));
  if (!index || index.keyframes.length === 0 || wanted < 2) return whole();

  const start = startKeyframe(index, first.streamStart + seekMedia);
  const end = Math.max(...plans.map((p) => slotTime(p, p.frameCount - 1)));
  // Keyframes inside the union are the possible cuts; spread the cuts evenly over its packets.
  const from = lowerBound(index.keyframes, start, true);
  const to = lowerBound(index.keyframes, end, true);
  const candidates = Array.from(index.keyframes.subarray(from, to));
  if (candidates.length === 0) return whole();
  const total = packetsBetween(index, start, end);
  const cuts: number[] = [];
  for (let i = 1; i < wanted && cuts.length < candidates.length; i++) {
    const target = (total * i) / wanted;
    let best = candidates[0]!;
    for (const c of candidates)
      if (Math.abs(packetsBetween(index, start, c) - target) < Math.abs(packetsBetween(index, start, best) - target)) best = c;
    if (!cuts.includes(best)) cuts.push(best);
  }
  cuts.sort((a, b) => a - b);
  const keys = [start, ...cuts];
  // Per key: the decoding time its earlier segment's demuxer stops before, when the cut is clean.
  const clean = keys.map((key, i) => (i === 0 || !cleanCutPossible(plans) ? null : cleanCut(plans, index, key)));
  const segments: Segment[] = [];
  for (const [i, key] of keys.entries()) {
    const next = keys[i + 1];
    const cut = next === undefined ? null : clean[i + 1]!;
    const branches: SegmentBranch[] = [];
    plans.forEach((plan, job) => {
      const lo = i === 0 ? 0 : firstSlotFrom(plan, key, clean[i] !== null);
      const hi = next === undefined ? plan.frameCount : firstSlotFrom(plan, next, cut !== null);
      if (hi > lo) branches.push({ job, first: lo, count: hi - lo });
    });
    if (branches.length === 0) continue;
    const lastTimes = branches.map((b) => slotTime(plans[b.job]!, b.first + b.count - 1));
    segments.push({
      seek: i === 0 ? seekMedia : key - first.streamStart + 1e-4,
      // A segment whose branches all end before the cut still stops there (it has nothing after it).
      cut,
      branches,
      framesDecoded: cut !== null ? packetsBefore(index, key, next!) : decodedBetween(index, key, lastTimes),
    });
  }
  return segments.length ? segments : whole();
}

/**
 * Whether these plans may be cut cleanly at all: the earlier segment then reads the source through
 * ffmpeg's concat demuxer, which does not carry a display rotation over (so rotated sources keep the
 * classic cut), opens local files only, and is given an absolute in point.
 */
function cleanCutPossible(plans: readonly ExtractionPlan[]): boolean {
  // The in point is an absolute time, the first segment's the earliest: it must not be negative.
  return plans.every((p) => p.rotation === 0 && p.streamStart + p.mediaStart >= 0 && !/^[a-z][a-z0-9+.-]*:\/\//i.test(p.source));
}

/**
 * The decoding time to stop before for a clean cut at keyframe `key` (see the module comment), or null
 * when the GOP before it is open or some plan's boundary slot is within `CUT_MARGIN` of it.
 */
function cleanCut(plans: readonly ExtractionPlan[], index: PacketIndex, key: number): number | null {
  const at = lowerBound(index.keyframes, key - 1e-9);
  const cut = index.cutBefore[at];
  if (cut === undefined || Number.isNaN(cut) || Math.abs(index.keyframes[at]! - key) > 1e-9) return null;
  for (const plan of plans) {
    const b = boundarySlot(plan, key);
    if (b >= plan.frameCount) continue; // the plan's window ends before the key: the cut is outside it
    if (slotTime(plan, b) - key < 2e-6) return null;
    if (b > 0 && key - slotTime(plan, b - 1) <= CUT_MARGIN * plan.playbackRate) return null;
  }
  return cut;
}

/**
 * The first slot of `plan` the segment starting at keyframe `key` writes: at a clean cut the boundary
 * slot; otherwise the slot after it, which the earlier segment writes (see the module comment). A plan
 * whose slot 0 already lies clearly after `key` (a millisecond or more) starts in the later segment
 * from slot 0: the earlier segment would otherwise decode all the way to it for one slot.
 */
function firstSlotFrom(plan: ExtractionPlan, key: number, clean: boolean): number {
  const b = boundarySlot(plan, key);
  if (clean) return b;
  if (b === 0 && slotTime(plan, 0) - key >= 1e-3) return 0;
  return Math.min(b + 1, plan.frameCount);
}

/** The keyframe an inexact seek to absolute time `t` lands on: the last one at or before it. */
function startKeyframe(index: PacketIndex, t: number): number {
  const at = lowerBound(index.keyframes, t + 1e-6, true) - 1;
  return at >= 0 ? index.keyframes[at]! : (index.times[0] ?? 0);
}

/** Packets shown from keyframe `key` up to, not including, keyframe `next` (a clean cut decodes exactly these). */
function packetsBefore(index: PacketIndex, key: number, next: number): number {
  return lowerBound(index.times, next - 1e-9) - lowerBound(index.times, key - 1e-9);
}

/** Packets from `key` up to and including the first one after the latest of `lastTimes`. */
function decodedBetween(index: PacketIndex, key: number, lastTimes: number[]): number {
  const last = Math.max(...lastTimes);
  const after = lowerBound(index.times, last, true);
  const until = after < index.times.length ? index.times[after]! : last;
  return packetsBetween(index, key, until);
}
