/**
 * Cache keys. A key names one extraction: the content of the source (not its path), the full decode
 * recipe, and the cache schema version. Two requests share a key exactly when they would produce
 * byte-identical frame files with the same ffmpeg major version.
 */
import { createHash } from 'node:crypto';
import { formatRational, parseRational } from '../media/rational.js';
import type { ColorTarget, FrameFormat } from '../media/frame-types.js';
import { CacheError } from './errors.js';

/**
 * Bumped whenever the entry layout or the meaning of a recipe field changes; old entries then miss.
 * 2: every frame's SHA-256 is in the manifest and checked on lookup. Version 1 entries (no checksums)
 * are never looked up again (the version is part of every key) rather than trusted unverified; GC
 * counts them as damaged and evicts them first when the cache is over its budget.
 */
export const CACHE_SCHEMA_VERSION = 2;

/** Everything that decides the frames of one extraction, besides the source bytes. */
export interface FrameRecipe {
  /** Media time of slot 0, seconds. */
  mediaStart: number;
  /** Slots extracted; null means "to the end of the media". */
  slotCount: number | null;
  playbackRate: number;
  /** A loop extracts one cycle. */
  loop: boolean;
  /** Render rate as a rational ("30000/1001", "30"); normalised, so "60/2" and "30" are one key. */
  fps: string;
  /** Decoded frame size in pixels. */
  width: number;
  height: number;
  format: FrameFormat;
  /** JPEG quality (ffmpeg 2–31); ignored (keyed as null) for PNG. */
  jpegQuality: number | null;
  colorTarget: ColorTarget;
  /** Major version of the ffmpeg that decodes (the caller passes `getTools()`'s major). */
  ffmpegMajor: number;
  /**
   * Optional digest of every other decode-deciding input the caller knows about (the extraction
   * engine: its recipe version, rotation, alpha decoding, decoder, colour transforms). Absent keys
   * hash exactly as before the field existed.
   */
  variant?: string;
}

/** What `cacheKey` hashes: the source content identity and the decode recipe. */
export interface CacheKeyInput {
  /** From `sourceIdentity()`: "sha256:<hex>". */
  sourceId: string;
  recipe: FrameRecipe;
}

function finite(value: number, field: string, min = -Infinity): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new CacheError('invalid_recipe', `cache recipe field ${field} is ${String(value)}; it must be a finite number >= ${min}`, {});
  }
  return value === 0 ? 0 : value; // -0 and 0 are one key
}

function integer(value: number, field: string, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new CacheError('invalid_recipe', `cache recipe field ${field} is ${String(value)}; it must be an integer >= ${min}`, {});
  }
  return value;
}

function variantText(value: string): string {
  if (typeof value !== 'string' || !/^[0-9A-Za-z:._-]{1,128}$/.test(value)) {
    throw new CacheError('invalid_recipe', `cache recipe variant "${String(value)}" must be 1-128 characters of [0-9A-Za-z:._-]`, {});
  }
  return value;
}

/** The recipe in canonical form (validated, fps reduced, jpegQuality null for PNG). */
export function normalizeRecipe(recipe: FrameRecipe): FrameRecipe {
  const fps = parseRational(recipe.fps);
  if (!fps) throw new CacheError('invalid_recipe', `cache recipe fps "${recipe.fps}" is not a positive rational such as "30000/1001"`, {});
  if (recipe.format !== 'jpg' && recipe.format !== 'png') {
    throw new CacheError('invalid_recipe', `cache recipe format "${String(recipe.format)}" must be "jpg" or "png"`, {});
  }
  if (!['sdr', 'pq', 'hlg'].includes(recipe.colorTarget)) {
    throw new CacheError('invalid_recipe', `cache recipe colorTarget "${String(recipe.colorTarget)}" must be sdr, pq or hlg`, {});
  }
  return {
    mediaStart: finite(recipe.mediaStart, 'mediaStart', 0),
    slotCount: recipe.slotCount === null ? null : integer(recipe.slotCount, 'slotCount', 1),
    playbackRate: finite(recipe.playbackRate, 'playbackRate', Number.MIN_VALUE),
    loop: Boolean(recipe.loop),
    fps: formatRational(fps),
    width: integer(recipe.width, 'width', 1),
    height: integer(recipe.height, 'height', 1),
    format: recipe.format,
    jpegQuality: recipe.format === 'png' ? null : integer(recipe.jpegQuality ?? -1, 'jpegQuality', 1),
    colorTarget: recipe.colorTarget,
    ffmpegMajor: integer(recipe.ffmpegMajor, 'ffmpegMajor', 1),
    ...(recipe.variant === undefined ? {} : { variant: variantText(recipe.variant) }),
  };
}

/**
 * The key of one extraction: 40 hex digits of SHA-256 over the schema version, the source identity and
 * the normalised recipe in a fixed field order. Throws `CacheError('invalid_recipe')` on a malformed
 * recipe or source id.
 */
export function cacheKey({ sourceId, recipe }: CacheKeyInput): string {
  if (!/^sha256:[0-9a-f]{64}$/.test(sourceId)) {
    throw new CacheError('invalid_recipe', `cache source id "${sourceId}" is not from sourceIdentity() ("sha256:<64 hex>")`, {});
  }
  const r = normalizeRecipe(recipe);
  // An array in a fixed order: object key order must never change a key.
  const canonical = JSON.stringify([
    CACHE_SCHEMA_VERSION,
    sourceId,
    r.mediaStart,
    r.slotCount,
    r.playbackRate,
    r.loop,
    r.fps,
    r.width,
    r.height,
    r.format,
    r.jpegQuality,
    r.colorTarget,
    r.ffmpegMajor,
    ...(r.variant === undefined ? [] : [r.variant]),
  ]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 40);
}

/** True for a string shaped like a key (used to ignore foreign names in the cache directory). */
export function isCacheKey(text: string): boolean {
  return /^[0-9a-f]{40}$/.test(text);
}
