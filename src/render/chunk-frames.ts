/**
 * The video frames a chunk of a planned render shows: for each video of the plan, the frames its
 * range's capture times show (the painter's own lookup, `framesShownAt`), obtained through the render's
 * storage window by window (src/extract/shared-frames.ts: published ones used, the rest decoded here
 * once for all workers, a window another worker decodes waited for). A video's source is fetched from
 * the plan (an S3 worker downloads it) and checked only when this chunk decodes some of its frames.
 * With a storage other than a shared directory, this machine's frame cache (src/cache/) is looked up
 * first and kept what was decoded or downloaded here.
 */
import { checkPlanFiles, type OpenedPlan } from '../plan/read.js';
import type { PlannedVideo } from '../plan/types.js';
import { ExtractError } from '../extract/errors.js';
import { obtainFrames, type ClaimTimings, type SharedFramesStats } from '../extract/shared-frames.js';
import { thawRecipe } from '../extract/windows.js';
import { mediaError } from '../media/errors.js';
import { framesShownAt, type ShownVideo } from '../stages/video-paint.js';
import { extractFailure } from '../stages/video-placement.js';
import { DirectoryStorage, type RenderStorage } from '../storage/storage.js';
import { openFrameCache, type FrameCache } from '../cache/store.js';

/** How `chunkVideos` obtains frames: cancel signal, counters added to, claim timings (default `CLAIM_TIMINGS`), frame cache. */
export interface ChunkVideosOptions {
  signal?: AbortSignal;
  /** The frame cache directory, false for none; undefined: FRAMESMITH_CACHE_DIR, else the default (src/cache/config.ts). Unused with a shared directory. */
  cache?: string | false;
  stats: SharedFramesStats;
  timings?: ClaimTimings;
}

/** The videos a chunk shows, and `release`, which ends its hold on frames of the cache (call it once they are read). */
export interface ChunkVideos {
  videos: ShownVideo[];
  release(): void;
}

/**
 * The plan's videos as this chunk's pages show them, at composition `times`: each a ShownVideo whose
 * frame list has the local file of every frame shown at those times ('' for the others). Throws a
 * `MediaError` naming the element when a video's frames cannot be had.
 */
export async function chunkVideos(
  opened: OpenedPlan,
  storage: RenderStorage,
  times: readonly number[],
  options: ChunkVideosOptions,
): Promise<ChunkVideos> {
  // A shared directory's frames are local already: a second copy in the cache would only cost disk.
  const cache =
    opened.plan.videos.length > 0 && !(storage instanceof DirectoryStorage) && options.cache !== false
      ? await openFrameCache({ dir: options.cache, warn: () => {} }).catch(() => null)
      : null;
  try {
    return { videos: await obtainAll(opened, storage, times, options, cache), release: () => cache?.close() };
  } catch (error) {
    cache?.close();
    throw error;
  }
}

async function obtainAll(
  opened: OpenedPlan,
  storage: RenderStorage,
  times: readonly number[],
  options: ChunkVideosOptions,
  cache: FrameCache | null,
): Promise<ShownVideo[]> {
  // Videos of one recipe (the same clip twice) share one fetch of the frames either shows.
  const byRecipe = new Map<string, { video: PlannedVideo; slots: Set<number>; files?: Promise<Map<number, string>> }>();
  const recipeOf = (v: PlannedVideo) => `${v.sourceId}\n${JSON.stringify(v.recipe)}`;
  for (const video of opened.plan.videos) {
    const key = recipeOf(video);
    const shared = byRecipe.get(key) ?? { video, slots: new Set<number>() };
    for (const slot of framesShownAt(video, times)) shared.slots.add(slot);
    byRecipe.set(key, shared);
  }
  for (const shared of byRecipe.values()) {
    const { video, slots } = shared;
    let fetched: Promise<void> | undefined;
    shared.files = obtainFrames(
      {
        videoId: video.label,
        plan: thawRecipe(video.recipe, opened.resolve(video.source)),
        sourceId: video.sourceId,
        ensureSource: () =>
          (fetched ??= storage
            .fetchPlanFiles(opened.hash, [video.source])
            .then(() => checkPlanFiles(opened, [video.source], storage.name))),
      },
      slots,
      { storage, cache, signal: options.signal, ...(options.timings ? { timings: options.timings } : {}) },
      options.stats,
    );
    shared.files.catch(() => {}); // awaited below
  }
  return Promise.all(
    opened.plan.videos.map(async (video): Promise<ShownVideo> => {
      let files: Map<number, string>;
      try {
        files = await byRecipe.get(recipeOf(video))!.files!;
      } catch (error) {
        if (error instanceof ExtractError) throw mediaError([extractFailure(error.toJSON(), undefined)]);
        throw error;
      }
      const { frameCount: _count, source: _source, sourceId: _id, recipe: _recipe, ...shown } = video;
      return { ...shown, frames: Array.from({ length: video.frameCount }, (_, k) => files.get(k) ?? '') };
    }),
  );
}
