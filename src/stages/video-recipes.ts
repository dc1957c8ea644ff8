/**
 * The video stage of a plan phase (src/render/plan.ts): what extracting each `<video>`'s frames needs,
 * and nothing extracted. `prepare` probes every video file (a missing or damaged one fails the plan,
 * naming the element) and hashes its content (started by `hashSources` right after the parse, else by
 * `prepare`: while the browser starts and the page loads); the first page's `setupPage` measures where
 * each video is drawn, as the live stage does (video-frames.ts), and plans its
 * extraction (src/extract/plan.ts: trim, rates, loop, size, format, colour). `recipes()` then gives the
 * videos a plan freezes; the chunks extract the frames their ranges show (src/extract/shared-frames.ts).
 */
import path from 'node:path';
import type { Page } from 'puppeteer-core';
import { sourceIdentity } from '../cache/identity.js';
import { toExtractError } from '../extract/errors.js';
import { planVideo } from '../extract/plan.js';
import type { FormatChoice } from '../extract/types.js';
import { normalizeRequest } from '../extract/validate.js';
import { freezeRecipe } from '../extract/windows.js';
import { pageScript } from '../browser/page-scripts.js';
import { rootOptions } from '../browser/runtime-config.js';
import '../browser/page-api.js';
import { checkMediaFiles } from '../load/media.js';
import { mediaError, type MediaFailure } from '../media/errors.js';
import { probeMedia } from '../media/probe.js';
import { formatRational } from '../media/rational.js';
import type { Composition } from '../composition/model.js';
import type { PlannedVideo } from '../plan/types.js';
import type { RenderStage, StageContext } from './stage.js';
import { measuredRequests } from './video-frames.js';
import { extractFailure, placeVideos, type PlacedVideo } from './video-placement.js';
import { shownPlace } from './video-paint.js';

/** A video as a plan freezes it, with its source file (absolute) still to be copied in. */
export type VideoRecipe = Omit<PlannedVideo, 'source'> & { file: string };

/** How the plan's video stage plans extractions: the frame format (`RenderOptions.videoFrameFormat`), where source hashes are remembered. */
export interface VideoRecipesOptions {
  /** As `VideoFramesOptions.format`. Default `auto`. */
  format?: FormatChoice;
  /** Directory whose `sources.json` remembers source hashes across runs (the frame cache's); null: this process only. */
  memoDir?: string | null;
}

/** The plan's video stage, with the recipes once the first page measured the videos. */
export type VideoRecipesStage = RenderStage & {
  /** The videos' recipes, once the first page planned them (null before; [] without videos). */
  recipes(): Promise<VideoRecipe[]> | null;
  /**
   * Starts hashing every local video file of `composition` now (call it right after the parse), so the
   * hashing runs while the browser starts instead of after the page measured the videos. Optional:
   * `prepare` starts what was not started.
   */
  hashSources(composition: Composition): void;
};

/** JPEG quality of extracted frames: the engine's default (`ExtractOptions.jpegQuality`). */
const JPEG_QUALITY = 3;

/** A fresh plan-phase video stage (see the module comment); one plan per stage. */
export function videoRecipesStage(options: VideoRecipesOptions = {}): VideoRecipesStage {
  let context: StageContext | null = null;
  let placed: PlacedVideo[] = [];
  const identity = (file: string) => sourceIdentity(file, { memoDir: options.memoDir });
  /**
   * Starts hashing `files` ahead of `plan`, which asks `sourceIdentity` again and is given the same
   * work (it shares a hash in flight and remembers a finished one); a failure here is left for `plan`
   * to meet and report.
   */
  const hashAhead = (files: string[]) => {
    for (const file of new Set(files)) identity(file).catch(() => {});
  };
  let ready: Promise<VideoRecipe[]> | null = null;

  const plan = async (page: Page): Promise<VideoRecipe[]> => {
    const ctx = context!;
    const requests = await measuredRequests(page, placed);
    const failures: MediaFailure[] = [];
    const recipes = await Promise.all(
      placed.map(async (v, i): Promise<VideoRecipe | null> => {
        try {
          const request = normalizeRequest(requests[i]!, ctx.composition.rootDir);
          const info = await probeMedia(request.src);
          const { plan: extraction, loop } = planVideo(request, info, {
            fps: ctx.fps,
            format: options.format ?? 'auto',
            jpegQuality: JPEG_QUALITY,
            colorTarget: 'sdr',
          });
          return {
            ...shownPlace(v, extraction),
            fps: formatRational(ctx.fps),
            loop,
            frameCount: extraction.frameCount,
            file: info.file,
            sourceId: await identity(info.file),
            recipe: freezeRecipe(extraction),
          };
        } catch (error) {
          failures.push(extractFailure(toExtractError(error, v.id, v.element.src).toJSON(), v));
          return null;
        }
      }),
    );
    if (failures.length > 0) throw mediaError(failures);
    return recipes.filter((r): r is VideoRecipe => r !== null);
  };

  return {
    name: 'video-frames',
    recipes: () => ready,

    report() {
      // The plan extracts nothing: the chunks report what they extracted.
      return { videos: placed.length, passes: 0, framesExtracted: 0 };
    },

    async prepare(ctx) {
      context = ctx;
      await checkMediaFiles(ctx.composition);
      placed = await placeVideos(ctx.composition);
      // Hashed while the page loads (a file `hashSources` started is not read twice).
      hashAhead(placed.map((v) => v.info.file));
      if (placed.length === 0) ready = Promise.resolve([]);
    },

    hashSources(composition) {
      hashAhead(composition.media.filter((m) => m.kind === 'video' && path.isAbsolute(m.src)).map((m) => m.src));
    },

    capture: {
      async setupPage(page) {
        if (placed.length === 0 || ready) return;
        await page.evaluate(pageScript('video-paint', rootOptions(context!.composition)));
        ready = plan(page);
        await ready;
      },
    },
  };
}
