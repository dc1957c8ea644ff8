/**
 * Frame windows: an extraction recipe's slots cut on a fixed grid of `WINDOW_SLOTS`, so that chunks of a
 * planned render, each needing the slots its own frame range shows, agree on what one unit of work is.
 * Window w of a recipe holds slots [w·WINDOW_SLOTS, min((w+1)·WINDOW_SLOTS, frameCount)). A window is
 * keyed by the source's content and the whole recipe plus its first slot (`windowKey`), so it names the
 * same bytes on every machine and in every plan that shows the same clip.
 *
 * Decoding a run of consecutive windows is one ffmpeg process of the recipe's own chain started at
 * the run's first slot (`passFilters(plan, first)`, as a later segment of a source pass): an inexact
 * seek to that slot's media time lands on the last keyframe at or before it, so the frame on screen
 * at the slot is decoded (keyframe preroll), and the timestamps are mapped with the recipe's origin,
 * not the window's — the frames are byte for byte those a pass from slot 0 writes.
 */
import { readdir, stat } from 'node:fs/promises';
import { cacheKey, type FrameRecipe } from '../cache/key.js';
import { framePath, runFfmpegPass } from './pass.js';
import { formatRational, parseRational } from '../media/rational.js';
import { planKey, type ExtractionPlan } from './plan.js';
import { planRecipe, planVariant } from './recipe.js';
import { segmentArgs } from './source-pass.js';

/**
 * Slots per window: 64 (about 2 s at 30 fps). Smaller windows waste less decoding past a chunk's end
 * but cost a keyframe preroll and a process start each where a run of them breaks; consecutive windows
 * one worker decodes run as one process.
 */
export const WINDOW_SLOTS = 64;

/**
 * An extraction plan as a render plan freezes it (src/plan/types.ts): without the source's path and
 * file identity (machine-local: a chunk decodes the plan's own copy) and its key; the rate as a string.
 */
export type FrozenRecipe = Omit<ExtractionPlan, 'source' | 'identity' | 'key' | 'fps'> & { fps: string };

/** `plan` as a render plan freezes it. */
export function freezeRecipe(plan: ExtractionPlan): FrozenRecipe {
  const { source: _source, identity: _identity, key: _key, fps, ...rest } = plan;
  return { ...rest, fps: formatRational(fps) };
}

/**
 * The extraction plan of a frozen recipe whose source is the local file `source`. Its `identity` is
 * zero and its `key` computed from that: windows are keyed by content (`windowKey`), never by either.
 */
export function thawRecipe(recipe: FrozenRecipe, source: string): ExtractionPlan {
  const fps = parseRational(recipe.fps);
  if (!fps) throw new RangeError(`recipe rate ${recipe.fps} is not a positive rational`);
  const partial = { ...recipe, fps, source, identity: { dev: 0, ino: 0, size: 0, mtimeMs: 0 } };
  return { ...partial, key: planKey(partial) };
}

/** Window `index` of a recipe with `frameCount` slots: its first slot and how many it holds. */
export function windowSlots(index: number, frameCount: number): { first: number; count: number } {
  const first = index * WINDOW_SLOTS;
  return { first, count: Math.max(0, Math.min(WINDOW_SLOTS, frameCount - first)) };
}

/** The windows holding `slots` (recipe frame indices), ascending. */
export function windowsOf(slots: Iterable<number>): number[] {
  return [...new Set([...slots].map((s) => Math.floor(s / WINDOW_SLOTS)))].sort((a, b) => a - b);
}

/**
 * The key of window `index` of `plan` for the source whose content identity is `sourceId`: the frame
 * cache's key (src/cache/key.ts) of the window as a recipe of its own — the recipe's window, size,
 * format and variant, with the window's first slot and length.
 */
export function windowKey(plan: ExtractionPlan, sourceId: string, index: number, ffmpegMajor: number): string {
  return cacheKey({ sourceId, recipe: windowRecipe(plan, index, ffmpegMajor) });
}

/** Window `index` of `plan` as a frame-cache recipe of its own (what `windowKey` hashes). */
export function windowRecipe(plan: ExtractionPlan, index: number, ffmpegMajor: number): FrameRecipe {
  const { first, count } = windowSlots(index, plan.frameCount);
  return { ...planRecipe(plan, ffmpegMajor), slotCount: count, variant: `${planVariant(plan)}.w${first}` };
}

/** Runs of consecutive window indices: [3, 4, 6] → [[3, 4], [6]]. */
export function consecutiveRuns(indices: readonly number[]): number[][] {
  const runs: number[][] = [];
  for (const i of [...indices].sort((a, b) => a - b)) {
    const last = runs.at(-1);
    if (last && last.at(-1) === i - 1) last.push(i);
    else runs.push([i]);
  }
  return runs;
}

/**
 * Decodes slots `first` … `first + count - 1` of `plan` into `dir` (which exists), each named by its
 * slot (`000064.jpg`), in one ffmpeg process; resolves with how many were written, contiguous from
 * `first` (fewer when the media ends sooner: a truncated file).
 */
export async function decodeSlots(
  plan: ExtractionPlan,
  first: number,
  count: number,
  dir: string,
  options: { signal?: AbortSignal; timeoutMs?: number; videoId: string },
): Promise<number> {
  const seek = plan.mediaStart + (first * plan.playbackRate * plan.fps.den) / plan.fps.num;
  const args = segmentArgs([{ plan, dir, videoId: options.videoId }], { seek, branches: [{ job: 0, first, count }], framesDecoded: null });
  await runFfmpegPass(args, count, options, () => {});
  const names = new Set(await readdir(dir));
  let written = 0;
  while (written < count && names.has(framePath('', first + written, plan.format))) written++;
  return written;
}

/** The sizes of `files` in bytes (−1 for one that is missing). */
export async function fileSizes(files: readonly string[]): Promise<number[]> {
  return Promise.all(
    files.map((f) =>
      stat(f).then(
        (s) => s.size,
        () => -1,
      ),
    ),
  );
}
