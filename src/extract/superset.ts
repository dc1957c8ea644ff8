/**
 * Superset decoding: cache-missing extractions of one source that differ only in their window are
 * decoded by ONE ffmpeg pass over the union of their windows; each member's frames are then hardlinked
 * out of the union's directory and published as the member's own cache entry.
 *
 * Which windows can share. With rate r and render rate F, slot k of a clip trimmed at mediaStart m is
 * at media time m + k·r/F. Two members (m1 <= m2) of equal r and F put their slots on one grid exactly
 * when (m2 − m1)·F/r is a whole number d (within GRID_EPSILON slots): then slot k of member 2 is slot
 * d + k of member 1, shows the same source frame, and — decoded, scaled and encoded by the same filter
 * chain — is the same bytes. Members whose grids do not align are never merged (their frames are not
 * subsets of each other). Everything else that decides the frames (size, format, quality, colour,
 * rotation, alpha, decoder: `planVariant`) must be equal too, so members are bucketed by source content
 * and variant first.
 *
 * Loops need no special case: a loop's plan already lists the slots of one cycle (slot 0 up to where
 * the media ends, `frameCount`), exactly the frames a direct pass writes; the wrap happens in the lookup.
 *
 * Residual difference, stated plainly: a direct pass shifts timestamps by its own mediaStart and ffmpeg
 * truncates the shifted timestamp to the stream's time base; the union shifts by the first member's
 * mediaStart. A source frame that lies within one time-base tick of a slot's tolerance edge (1 ms after
 * the slot time, see PTS_TOLERANCE) may therefore fall on the other side in the two passes; either
 * choice is within the documented 1 ms tolerance. Away from that edge the frames are byte-identical
 * (the tests compare bytes for CFR, VFR, non-aligned trims and 30000/1001).
 *
 * Groups are the overlap-connected components of aligned members: sorted by mediaStart, a member joins
 * a group when its slot 0 is at or before the group's end slot (overlapping or touching windows). A
 * group of one is extracted directly.
 */
import { copyFile, link } from 'node:fs/promises';
import path from 'node:path';
import { framePath } from './pass.js';
import { planKey, type ExtractionPlan } from './plan.js';

/** Alignment tolerance in slots: absorbs float noise of decimal trims (0.1 s · 30 = 2.9999…). */
export const GRID_EPSILON = 1e-6;

/** A cache-missing extraction offered to `planSupersets`; `item` is the caller's handle, returned unchanged. */
export interface SupersetCandidate<T> {
  item: T;
  plan: ExtractionPlan;
  /** Members may share a pass only when their buckets are equal (source content + `planVariant`). */
  bucket: string;
}

/** Two or more members decoded by one union pass; member slot k is union slot `offset + k`. */
export interface SupersetGroup<T> {
  /** The pass to run: the first member's plan with the union's frame count. */
  union: ExtractionPlan;
  /** Every member with the union slot of its slot 0, in mediaStart order; `offset` 0 first. */
  members: Array<{ item: T; plan: ExtractionPlan; offset: number }>;
  /** Frames the members' direct passes would have written minus the union's (decode work saved). */
  framesSaved: number;
}

/** The slot offset of `later` on `anchor`'s grid, or null when the grids do not align. */
export function gridOffset(anchor: ExtractionPlan, later: ExtractionPlan): number | null {
  if (anchor.playbackRate !== later.playbackRate || anchor.fps.num !== later.fps.num || anchor.fps.den !== later.fps.den) return null;
  const slots = ((later.mediaStart - anchor.mediaStart) * anchor.fps.num) / (anchor.fps.den * anchor.playbackRate);
  const whole = Math.round(slots);
  return Math.abs(slots - whole) <= GRID_EPSILON ? whole : null;
}

/**
 * Splits candidates into superset groups (two or more members sharing one union pass) and the rest,
 * which run directly. Pure: no I/O.
 */
export function planSupersets<T>(candidates: ReadonlyArray<SupersetCandidate<T>>): { groups: Array<SupersetGroup<T>>; direct: T[] } {
  const buckets = new Map<string, Array<SupersetCandidate<T>>>();
  for (const candidate of candidates) {
    const list = buckets.get(candidate.bucket);
    if (list) list.push(candidate);
    else buckets.set(candidate.bucket, [candidate]);
  }
  const groups: Array<SupersetGroup<T>> = [];
  const direct: T[] = [];
  for (const list of buckets.values()) {
    list.sort((a, b) => a.plan.mediaStart - b.plan.mediaStart);
    // Open groups of this bucket: one per grid that still may grow.
    const open: Array<{ anchor: ExtractionPlan; end: number; members: SupersetGroup<T>['members'] }> = [];
    const closed: typeof open = [];
    for (const candidate of list) {
      let joined = false;
      for (let i = 0; i < open.length; i++) {
        const group = open[i]!;
        const offset = gridOffset(group.anchor, candidate.plan);
        if (offset === null) continue;
        if (offset <= group.end) {
          group.members.push({ item: candidate.item, plan: candidate.plan, offset });
          group.end = Math.max(group.end, offset + candidate.plan.frameCount);
          joined = true;
        } else {
          // Same grid but a gap: the group is complete (later members start later still).
          closed.push(group);
          open.splice(i, 1);
        }
        break;
      }
      if (!joined)
        open.push({
          anchor: candidate.plan,
          end: candidate.plan.frameCount,
          members: [{ item: candidate.item, plan: candidate.plan, offset: 0 }],
        });
    }
    for (const group of [...closed, ...open]) {
      if (group.members.length === 1) {
        direct.push(group.members[0]!.item);
        continue;
      }
      const { key: _key, ...base } = group.anchor;
      const unionFields = { ...base, frameCount: group.end };
      const union: ExtractionPlan = { ...unionFields, key: planKey(unionFields) };
      const framesSaved = group.members.reduce((sum, m) => sum + m.plan.frameCount, 0) - group.end;
      groups.push({ union, members: group.members, framesSaved });
    }
  }
  return { groups, direct };
}

/**
 * Makes `count` frames of a member in `toDir` (slot 0 named `000000.<format>`) from the union's frames
 * `offset`… in `fromDir`: a hardlink each, or a copy where linking fails (another file system, a file
 * system without links). Returns the member's frame file names in slot order.
 */
export async function materializeFrames(fromDir: string, toDir: string, offset: number, count: number, format: string): Promise<string[]> {
  const names: string[] = [];
  for (let k = 0; k < count; k++) {
    const from = framePath(fromDir, offset + k, format);
    const to = framePath(toDir, k, format);
    try {
      await link(from, to);
    } catch {
      await copyFile(from, to);
    }
    names.push(path.basename(to));
  }
  return names;
}
