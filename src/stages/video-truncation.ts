/**
 * The warning for a `<video>` whose source decoded short of what its header promised (a truncated
 * download, an interrupted export): the clip holds its last decoded frame, as a player would, and the
 * render says which output frames show that held frame instead of the frames the file lacks.
 */
import type { Rational } from '../media/rational.js';
import type { RenderWarning } from '../warnings.js';

/** Absorbs float noise in composition times × fps (as the frame lookup's SLOT_EPSILON does). */
const FRAME_EPSILON = 1e-6;

/**
 * A clip whose source decoded short, as the warning needs it. `truncated` counts frame slots at `fps` from the
 * clip's start: how many the header promised, how many decoded.
 */
export interface TruncatedClip {
  /** `video#intro`. */
  label: string;
  /** The source file, absolute. */
  file: string;
  /** Composition seconds the clip is on screen: [start, end). */
  start: number;
  end: number;
  /** The composition's frame rate (= the extraction's). */
  fps: Rational;
  loop: boolean;
  /** From `ExtractedVideo.truncated`. */
  truncated: { promised: number; decoded: number };
}

/**
 * The composition frames (inclusive range) that show slots `decoded` … `promised - 1` of the clip —
 * those that hold the last decoded frame — or null when none of them is on screen. Composition frame
 * f is at time f / fps and shows slot floor((f / fps − start) × fps), as the painter's lookup.
 */
export function repeatedFrames(clip: TruncatedClip): { first: number; last: number } | null {
  const { num, den } = clip.fps;
  const slot0 = (clip.start * num) / den;
  const endFrame = (clip.end * num) / den;
  const first = Math.max(0, Math.ceil(slot0 + clip.truncated.decoded - FRAME_EPSILON));
  const last = Math.ceil(Math.min(slot0 + clip.truncated.promised, endFrame) - FRAME_EPSILON) - 1;
  return last >= first ? { first, last } : null;
}

/** The `media_truncated` warning for `clip`, or null when no output frame is affected. */
export function truncationWarning(clip: TruncatedClip): RenderWarning | null {
  const { promised, decoded } = clip.truncated;
  const what = `${clip.label}: ${clip.file} ends early — ${decoded} of the ${promised} frames its header promises decode (a truncated or damaged file)`;
  const fix = 're-export or re-download it';
  if (clip.loop) {
    return {
      code: 'media_truncated',
      element: clip.label,
      file: clip.file,
      message: `${what}; the loop restarts after ${decoded} frames instead of ${promised}: ${fix}`,
    };
  }
  const frames = repeatedFrames(clip);
  if (!frames) return null;
  const list =
    frames.first === frames.last ? `output frame ${frames.first} repeats` : `output frames ${frames.first}–${frames.last} repeat`;
  return { code: 'media_truncated', element: clip.label, file: clip.file, message: `${what}; ${list} its last decoded frame: ${fix}` };
}
