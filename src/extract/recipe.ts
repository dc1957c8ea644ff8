/**
 * From an `ExtractionPlan` to the persistent cache's `FrameRecipe` and key.
 *
 * The recipe names the window (mediaStart, slot count, rate), the render rate as an exact rational,
 * the size, format, JPEG quality, colour target and ffmpeg's major version. Everything else that
 * decides the frames is folded into `recipe.variant`: a digest of `planKeyFields(plan)` without the
 * source's path and file-system identity (the cache keys by content instead) and without the window,
 * together with `ENGINE_RECIPE_VERSION`. So rotation, alpha decoding, the forced decoder, and any field
 * a later change adds to `planKeyFields` (colour transforms) change the key automatically; facts that
 * follow from the source bytes (rotation, HDR transfer, stream start, VFR) are covered by the content
 * identity.
 */
import { createHash } from 'node:crypto';
import { cacheKey, type FrameRecipe } from '../cache/key.js';
import { formatRational } from '../media/rational.js';
import { planKeyFields, type ExtractionPlan } from './plan.js';

// 2: JPEG frames are converted to the BT.601 matrix JPEG readers assume.
// 3: JPEG frames of yuv420p BT.709/BT.601/untagged sources are converted by `colorspace` (fast=1)
//    instead of swscale (src/extract/pass.ts): different rounding, so different bytes.
// 4: partly tagged and untagged sources are decoded with the matrix a browser uses (BT.709 from 720
//    lines for H.264), not always BT.601.
// 5: PNG frames are written without gAMA/cHRM chunks (pass.ts), which made browsers colour-manage them.
/**
 * The engine's frame-recipe version, hashed into every plan's `planVariant` and so into its cache key.
 * Bump when the pass (filters, seek, encoder settings) or the probe/plan logic changes the bytes of
 * frames for the same recipe: every older cache entry then misses instead of being served stale.
 */
export const ENGINE_RECIPE_VERSION = 5;

/** planKeyFields entries that the cache keys elsewhere: the file (by content) and the window. */
const WINDOW_AND_FILE = new Set(['source', 'identity', 'mediaStart', 'frameCount']);

/**
 * The digest of every decode-deciding field except the window and the source: two plans of one source
 * with equal variants differ only in mediaStart and frameCount (the superset planner relies on this).
 */
export function planVariant(plan: ExtractionPlan): string {
  const { key: _key, ...rest } = plan;
  const fields = Object.entries(planKeyFields(rest)).filter(([name]) => !WINDOW_AND_FILE.has(name));
  const digest = createHash('sha256')
    .update(JSON.stringify([ENGINE_RECIPE_VERSION, fields]))
    .digest('hex')
    .slice(0, 32);
  return `e${ENGINE_RECIPE_VERSION}-${digest}`;
}

/** The cache recipe of a plan. `loop` is always false: a loop's plan already holds one cycle's slots. */
export function planRecipe(plan: ExtractionPlan, ffmpegMajor: number): FrameRecipe {
  return {
    mediaStart: plan.mediaStart,
    slotCount: plan.frameCount,
    playbackRate: plan.playbackRate,
    loop: false,
    fps: formatRational(plan.fps),
    width: plan.width,
    height: plan.height,
    format: plan.format,
    jpegQuality: plan.format === 'jpg' ? plan.jpegQuality : null,
    colorTarget: plan.colorTarget,
    ffmpegMajor,
    variant: planVariant(plan),
  };
}

/** The cache key of a plan for a source with content identity `sourceId`. */
export function planCacheKey(plan: ExtractionPlan, sourceId: string, ffmpegMajor: number): { key: string; recipe: FrameRecipe } {
  const recipe = planRecipe(plan, ffmpegMajor);
  return { key: cacheKey({ sourceId, recipe }), recipe };
}
