/**
 * Where the composition's videos are and at what size their frames are needed: the videos that appear
 * at all, with their windows and probed files; the size a frame is drawn at in its measured box; and
 * extraction failures turned into media failures naming the element.
 */
import type { Composition, MediaElement } from '../composition/model.js';
import type { ExtractErrorInfo } from '../extract/types.js';
import { probeMedia, type MediaInfo } from '../media/probe.js';
import { mediaError, type MediaErrorCode, type MediaFailure } from '../media/errors.js';
import { mediaFailure } from '../load/media.js';

/** Two times within 1 µs are the same moment (the page runtime's clip windows use the same rule). */
export const EPSILON_S = 1e-6;

/** A `<video>` that appears in the render: its element, probed file, and window [start, end) in composition seconds. */
export interface PlacedVideo {
  element: MediaElement;
  /** Unique id for the extraction engine: the element's label, made unique when two share one. */
  id: string;
  info: MediaInfo;
  start: number;
  end: number;
}

/**
 * The composition's videos that appear at all, with their windows: [start, start + duration), or to
 * the end of the composition for an open-ended loop, and never past the composition's end (frames no
 * capture asks for are not decoded). Every file is probed; all failures are thrown together as one
 * `MediaError`.
 */
export async function placeVideos(composition: Composition): Promise<PlacedVideo[]> {
  const videos = composition.media.filter((m) => m.kind === 'video');
  const failures: MediaFailure[] = [];
  const seen = new Map<string, number>();
  const placed: Array<PlacedVideo | null> = await Promise.all(
    videos.map(async (element): Promise<PlacedVideo | null> => {
      const start = element.start;
      const end = element.duration !== undefined ? Math.min(start + element.duration, composition.duration) : composition.duration;
      try {
        const info = await probeMedia(element.src);
        if (!(end - start > EPSILON_S) || start >= composition.duration) return null;
        return { element, id: element.label, info, start, end };
      } catch (error) {
        failures.push(mediaFailure(error, element.label, element.src));
        return null;
      }
    }),
  );
  if (failures.length > 0) throw mediaError(failures);
  const result = placed.filter((v): v is PlacedVideo => v !== null);
  for (const v of result) {
    const count = seen.get(v.id) ?? 0;
    seen.set(v.id, count + 1);
    if (count > 0) v.id = `${v.id} (timed element ${v.element.index})`;
  }
  return result;
}

/**
 * The size in device pixels at which the frame is drawn in a measured box, by object-fit: the box for
 * `fill` and `cover` (the engine decodes at the size that covers it), the source's aspect fitted inside
 * the box for `contain` (and `scale-down`, never above the source), and null — the native size — for
 * `none` or a box that is not laid out. A source of no size is drawn at the box's size.
 */
export function drawnSize(
  box: { width: number; height: number; fit: string },
  source: { width: number; height: number },
): { width: number; height: number } | null {
  if (!(box.width > 0 && box.height > 0) || box.fit === 'none') return null;
  // A source without a size (a probe that gave none) has no aspect to fit: it fills the box.
  if ((box.fit !== 'contain' && box.fit !== 'scale-down') || !(source.width > 0 && source.height > 0))
    return { width: box.width, height: box.height };
  let scale = Math.min(box.width / source.width, box.height / source.height);
  if (box.fit === 'scale-down') scale = Math.min(scale, 1);
  return { width: Math.max(1, Math.ceil(source.width * scale - 1e-9)), height: Math.max(1, Math.ceil(source.height * scale - 1e-9)) };
}

const EXTRACT_CODES: Partial<Record<ExtractErrorInfo['kind'], MediaErrorCode>> = {
  source_missing: 'media_missing',
  invalid_media: 'media_invalid',
  invalid_request: 'media_invalid',
  media_start_out_of_range: 'media_invalid',
  zero_output: 'media_invalid',
  cancelled: 'cancelled',
};

/**
 * The media failure for an extraction error, naming the element (its label; the request id when `video` is
 * unknown) and its file; the code by error kind, `media_failed` for kinds without a closer one.
 */
export function extractFailure(error: ExtractErrorInfo, video: PlacedVideo | undefined): MediaFailure {
  const label = video?.element.label ?? error.videoId;
  // The element's label names it, in place of the request id.
  const detail = error.reason;
  return {
    code: EXTRACT_CODES[error.kind] ?? 'media_failed',
    element: label,
    ...(video ? { file: video.element.src } : {}),
    message: `${label}: ${detail}`,
  };
}
