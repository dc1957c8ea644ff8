/**
 * From a validated request and its probe to an `ExtractionPlan`: exactly which source frames one ffmpeg
 * pass must write. A plan's key fields are explicit (`planKeyFields`) so the in-render dedupe, the
 * persistent cache and a future "superset" planner all agree on when two extractions are the same.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { FileIdentity, MediaInfo } from '../media/probe.js';
import { formatRational, type Rational } from '../media/rational.js';
import { colourTransform } from './colour.js';
import { ExtractError } from './errors.js';
import type { ColorTarget, FormatChoice, FrameFormat } from './types.js';
import type { NormalizedRequest } from './validate.js';

/**
 * A source frame counts as on screen at media time t when its timestamp is <= t + PTS_TOLERANCE.
 * WebM/Matroska store timestamps in whole milliseconds, so frame 2 of a 30 fps WebM sits at 0.067 s,
 * 0.33 ms after slot 2 (0.0667 s) of a 30 fps render; without the tolerance every third frame of a
 * same-rate WebM would be skipped. 1 ms is far below any real frame duration (4 ms at 240 fps).
 */
export const PTS_TOLERANCE = 0.001;

/** Slot arithmetic tolerance (in slots): absorbs float noise in durations such as 0.1 * 30. */
export const SLOT_EPSILON = 1e-6;

/**
 * Exactly which frames one ffmpeg pass writes for one source, and how; plans with equal `key` produce
 * byte-identical frames.
 */
export interface ExtractionPlan {
  /** Absolute source path and its identity (device, inode, size, mtime). */
  source: string;
  identity: FileIdentity;
  /** Media time of slot 0 (seconds from the first frame). */
  mediaStart: number;
  playbackRate: number;
  fps: Rational;
  /** Slots to write, slot 0 first: min(slots on screen, slots before the media ends). */
  frameCount: number;
  /** Output size (display orientation). */
  width: number;
  height: number;
  format: FrameFormat;
  /** ffmpeg -q:v for JPEG (ignored for PNG). */
  jpegQuality: number;
  colorTarget: ColorTarget;
  /** Display rotation applied while decoding (ffmpeg autorotate), degrees clockwise. */
  rotation: number;
  /** PNG frames keep the source's alpha channel (RGBA); false: opaque RGB / JPEG. */
  alpha: boolean;
  /** Decoder forced before -i: libvpx keeps VP8/VP9 alpha that the native decoder drops. */
  decoder: 'libvpx' | 'libvpx-vp9' | null;
  /** Source facts the pass needs (not part of the key: they follow from the identity). */
  streamStart: number;
  /** The video stream decoded (`MediaInfo.streamIndex`; null in a recipe frozen without it: the first). */
  streamIndex: number | null;
  /** Displayed source size (after rotation). */
  sourceWidth: number;
  sourceHeight: number;
  vfr: boolean;
  hdr: 'pq' | 'hlg' | null;
  /**
   * The source's pixel format, and the YUV matrix it is decoded with — the one a browser uses
   * (MediaInfo.displayMatrix: the tag when fully tagged, else Chromium's rule): they pick the
   * conversion.
   */
  sourcePixelFormat: string;
  sourceColorSpace: string | null;
  /**
   * Colour transform from the source to `colorTarget` (src/extract/colour.ts): its id (kind and chain
   * version) is a key field, so frames of one trim made for different targets never share a key; the
   * filter is what the pass appends (null: none).
   */
  colourTransform: string;
  colourFilter: string | null;
  /** Hex digest of `planKeyFields`. */
  key: string;
}

/** The fields that decide a plan's output. Equal fields ⇒ byte-identical frames. */
export function planKeyFields(plan: Omit<ExtractionPlan, 'key'>): Record<string, unknown> {
  const { identity } = plan;
  return {
    v: 1,
    source: plan.source,
    identity: [identity.dev, identity.ino, identity.size, identity.mtimeMs],
    mediaStart: plan.mediaStart,
    playbackRate: plan.playbackRate,
    fps: formatRational(plan.fps),
    frameCount: plan.frameCount,
    size: [plan.width, plan.height],
    format: plan.format,
    jpegQuality: plan.format === 'jpg' ? plan.jpegQuality : null,
    colorTarget: plan.colorTarget,
    colour: plan.colourTransform,
    rotation: plan.rotation,
    alpha: plan.alpha,
    decoder: plan.decoder,
  };
}

/** A plan's key: the first 24 lowercase hex digits (96 bits) of the SHA-256 of `planKeyFields(plan)` as JSON. */
export function planKey(plan: Omit<ExtractionPlan, 'key'>): string {
  return createHash('sha256')
    .update(JSON.stringify(planKeyFields(plan)))
    .digest('hex')
    .slice(0, 24);
}

/** Directory name for a plan's frames: readable source name plus the key. */
export function planDirName(plan: ExtractionPlan): string {
  const base = path
    .basename(plan.source)
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .slice(0, 40);
  return `${base}-${plan.key}`;
}

/** Slots from slot 0 whose media time mediaStart + k*rate/fps falls before `mediaDuration`. */
export function slotsBeforeEnd(mediaDuration: number, mediaStart: number, rate: number, fps: Rational): number {
  const exact = ((mediaDuration - mediaStart) * fps.num) / (fps.den * rate);
  return Math.max(0, Math.ceil(exact - SLOT_EPSILON));
}

/** Slots a clip of `duration` seconds occupies at `fps`: ceil(duration * fps). */
export function slotsFor(duration: number, fps: Rational): number {
  return Math.max(1, Math.ceil((duration * fps.num) / fps.den - SLOT_EPSILON));
}

/**
 * The output size for a display box: the smallest size keeping the source's aspect that covers the box,
 * never larger than the source. Without a box, the source size.
 */
export function coverSize(srcW: number, srcH: number, boxW?: number, boxH?: number): { width: number; height: number } {
  if (!boxW && !boxH) return { width: srcW, height: srcH };
  const scale = Math.min(1, Math.max(boxW ? boxW / srcW : 0, boxH ? boxH / srcH : 0));
  if (scale >= 1) return { width: srcW, height: srcH };
  // Round up so the covering edge is never a pixel short; clamp to the source.
  return {
    width: Math.min(srcW, Math.max(1, Math.ceil(srcW * scale - 1e-9))),
    height: Math.min(srcH, Math.max(1, Math.ceil(srcH * scale - 1e-9))),
  };
}

/** The call-wide choices `planVideo` applies to every video; `jpegQuality` is on ffmpeg's 2–31 scale. */
export interface PlanOptions {
  fps: Rational;
  format: FormatChoice;
  jpegQuality: number;
  colorTarget: ColorTarget;
}

/** One video's plan. `slotCount` may exceed `plan.frameCount` when the clip outlasts its media (held or looped). */
export interface PlannedVideo {
  videoId: string;
  plan: ExtractionPlan;
  /** Slots the clip is on screen. */
  slotCount: number;
  loop: boolean;
}

/** Plans one video. Throws `ExtractError('media_start_out_of_range')` when mediaStart is at or past the end. */
export function planVideo(request: NormalizedRequest, info: MediaInfo, options: PlanOptions): PlannedVideo {
  const { fps } = options;
  const available = slotsBeforeEnd(info.duration, request.mediaStart, request.playbackRate, fps);
  if (available === 0) {
    throw new ExtractError(
      'media_start_out_of_range',
      `mediaStart ${request.mediaStart}s is at or past the end of ${info.file} (${info.duration.toFixed(3)}s long); use a mediaStart below ${info.duration.toFixed(3)}`,
      { videoId: request.id, file: info.file },
    );
  }
  const slotCount = request.duration === undefined ? available : slotsFor(request.duration, fps);
  const frameCount = Math.min(slotCount, available);
  const { width, height } = coverSize(info.width, info.height, request.width, request.height);
  // A source with alpha stays PNG under `jpg` too: JPEG has no alpha channel to keep it in.
  const format: FrameFormat = options.format === 'png' || info.hasAlpha ? 'png' : 'jpg';
  const alpha = format === 'png' && info.hasAlpha;
  const colour = colourTransform(info, options.colorTarget, alpha);
  const decoder = format === 'png' && info.alphaNeedsLibvpx ? (info.codec === 'vp8' ? 'libvpx' : 'libvpx-vp9') : null;
  const partial: Omit<ExtractionPlan, 'key'> = {
    source: info.file,
    identity: info.identity,
    mediaStart: request.mediaStart,
    playbackRate: request.playbackRate,
    fps,
    frameCount,
    width,
    height,
    format,
    jpegQuality: options.jpegQuality,
    colorTarget: options.colorTarget,
    rotation: info.rotation,
    alpha,
    decoder,
    streamStart: info.streamStart,
    streamIndex: info.streamIndex,
    sourceWidth: info.width,
    sourceHeight: info.height,
    vfr: info.vfr,
    hdr: info.hdr,
    sourcePixelFormat: info.pixelFormat,
    sourceColorSpace: info.displayMatrix,
    colourTransform: colour.id,
    colourFilter: colour.filter,
  };
  return { videoId: request.id, plan: { ...partial, key: planKey(partial) }, slotCount, loop: request.loop };
}
