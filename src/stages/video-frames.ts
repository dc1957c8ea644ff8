/**
 * The video-frames stage: shows every `<video>` of a composition, frame-exactly, in the pages being
 * captured. Headless Chrome cannot play video deterministically, so:
 *
 * 1. `prepare` probes every video file (a missing or damaged one fails the render before capture,
 *    naming the element and the file);
 * 2. the first page's `setupPage` measures where each video is drawn (its content box × device
 *    scale, after `ready()`) and asks the extraction engine (src/extract/) for the frames a render at
 *    the composition's rate shows, decoded at that size (native size when the element is not laid out
 *    or uses `object-fit: none`), with in-render dedupe and the frame cache; the result is a list of
 *    `ShownVideo`s (`shown()`, which a plan freezes), and every page attaches the painter;
 * 3. before each frame is captured, the painter (video-paint.ts) shows each video's frame due then;
 * 4. `dispose` (end of the render, success or not) releases the frames' cache leases.
 *
 * A source that decodes short of what its header promised is shown holding its last decoded frame,
 * with a `media_truncated` warning naming the element, the file and the output frames affected.
 *
 * Frame bytes travel as data: URLs inside the `page.evaluate` call when small and from the project
 * server when large, whichever was measured faster (src/stages/video-transport.ts).
 */
import path from 'node:path';
import type { Page } from 'puppeteer-core';
import { combineHooks, type CaptureHooks } from '../capture/hooks.js';
import { extractVideos } from '../extract/extract.js';
import type { ExtractedVideo, ExtractMetrics, FormatChoice, VideoRequest } from '../extract/types.js';
import { formatRational } from '../media/rational.js';
import type { RenderStage, StageContext } from './stage.js';
import { mediaError } from '../media/errors.js';
import { checkMediaFiles } from '../load/media.js';
import { pageScript } from '../browser/page-scripts.js';
import { rootOptions } from '../browser/runtime-config.js';
import '../browser/page-api.js';
import { drawnSize, extractFailure, placeVideos, type PlacedVideo } from './video-placement.js';
import type { FrameTransport } from './video-transport.js';
import { shownPlace, videoPainter, type PaintStats, type ShownVideo } from './video-paint.js';
import { truncationWarning } from './video-truncation.js';
import { choosePageDecode, type DecodeChoice, type PageDecodeStats, type VideoDecodeMode } from './page-decode.js';

export { DECODED_BUDGET_BYTES, type ShownVideo } from './video-paint.js';

/** How the video-frames stage extracts frames and sends them to the pages; every field optional. */
export interface VideoFramesOptions {
  /** Frame cache directory, or false for none. Default: the extraction engine's default. */
  cache?: string | false;
  /**
   * The format frames are extracted in (`RenderOptions.videoFrameFormat`): `auto` (default) JPEG for
   * opaque sources and PNG for sources with alpha; `png` always; `jpg` JPEG but PNG for alpha sources.
   */
  format?: FormatChoice;
  /** ffmpeg passes at once. Default: the extraction engine's default (the machine's cores + 1). */
  concurrency?: number;
  /** How frames reach the page (src/stages/video-transport.ts). Default `auto`: by file size. */
  transport?: FrameTransport;
  /**
   * Decoded bytes (width × height × 4 per frame) a page may be sent before it is asked to drop its
   * image caches. Default `DECODED_BUDGET_BYTES`.
   */
  decodedBudgetBytes?: number;
  /** Where videos are decoded (`RenderOptions.videoDecode`, src/stages/page-decode.ts). Default `ffmpeg`. */
  videoDecode?: VideoDecodeMode;
}

/** What the stage did, for benchmarks and the render's report. */
export interface VideoFramesStats {
  videos: number;
  /** Wall time of measuring + extracting, ms. */
  extractMs: number;
  extraction: ExtractMetrics | null;
  /** Per video: the measured box asked for (device px; null = native size) and the frames decoded. */
  perVideo: Array<{
    element: string;
    requested: { width: number; height: number } | null;
    width: number;
    height: number;
    format: 'jpg' | 'png';
    frames: number;
    sharedWith?: string;
  }>;
  /** Frames sent to pages and the time it took (the painter's counters, video-paint.ts). */
  paint: PaintStats;
  /** Where each video was decoded, and what the pages' decoders did (page-decode.ts). */
  decode: { choices: DecodeChoice[]; page: PageDecodeStats | null };
}

/** The video-frames stage, with what it did and the videos it shows (for plans and callers). */
export type VideoFramesStage = RenderStage & {
  readonly stats: VideoFramesStats;
  /** The videos as the pages show them, once the first page extracted them (null before). */
  shown(): Promise<ShownVideo[]> | null;
};

/**
 * The extraction request of each of `placed`, at the size it is drawn in `page` (which has the
 * measuring script, video-paint's runtime): throws a `MediaError` when the page has something else
 * where the composition has a video.
 */
export async function measuredRequests(page: Page, placed: readonly PlacedVideo[]): Promise<VideoRequest[]> {
  const measured = await page.evaluate(
    (indices) => window.__framesmithVideo!.measure(indices),
    placed.map((v) => v.element.index),
  );
  return placed.map((v, i) => {
    const m = measured[i]!;
    if (m.tagName !== 'video') {
      throw mediaError([
        {
          code: 'media_failed',
          element: v.element.label,
          file: v.element.src,
          message: `${v.element.label}: the page has ${m.tagName ?? 'nothing'} where the composition has this <video>; a script must not insert or remove timed elements before it`,
        },
      ]);
    }
    const size = drawnSize(m, v.info);
    return {
      id: v.id,
      src: v.element.src,
      mediaStart: v.element.mediaStart,
      duration: v.end - v.start,
      playbackRate: v.element.playbackRate,
      loop: v.element.loop,
      ...(size ?? {}),
    };
  });
}

/**
 * A fresh video-frames stage (see the module comment); it keeps per-render state, so one render per stage.
 * A missing, damaged or unextractable video fails the render with a media error naming the element.
 */
export function videoFramesStage(options: VideoFramesOptions = {}): VideoFramesStage {
  let context: StageContext | null = null;
  let placed: PlacedVideo[] = [];
  let ready: Promise<{ videos: ShownVideo[]; hooks: CaptureHooks }> | null = null;
  /** Drops the extraction's hold on its frames (cache leases); set once extraction returned. */
  let release: (() => Promise<void>) | null = null;
  const stats: VideoFramesStats = {
    videos: 0,
    extractMs: 0,
    extraction: null,
    perVideo: [],
    paint: { framesPushed: 0, pushMs: 0 },
    decode: { choices: [], page: null },
  };

  /** One `media_truncated` warning per video whose source decoded short (under `strict`: throws). */
  const warnTruncated = (ctx: StageContext, byId: Map<string, ExtractedVideo>) => {
    for (const v of placed) {
      const extracted = byId.get(v.id);
      if (!extracted?.truncated) continue;
      const warning = truncationWarning({
        label: v.element.label,
        file: v.element.src,
        start: v.start,
        end: v.end,
        fps: ctx.fps,
        loop: extracted.loop,
        truncated: extracted.truncated,
      });
      if (warning) ctx.warn(warning);
    }
  };

  const extract = async (page: Page): Promise<{ videos: ShownVideo[]; hooks: CaptureHooks }> => {
    const started = performance.now();
    const ctx = context!;
    // Videos the pages decode themselves (videoDecode page/auto) are not extracted.
    const decoded = await choosePageDecode(page, placed, {
      mode: options.videoDecode ?? 'ffmpeg',
      fps: ctx.fps,
      rootOptions: rootOptions(ctx.composition),
      serveDirectory: ctx.serveDirectory,
    });
    stats.decode = { choices: decoded.choices, page: decoded.stats };
    const extracting = placed.filter((v) => !decoded.ids.has(v.id));
    const requests = await measuredRequests(page, extracting);
    const result = await extractVideos(requests, {
      fps: formatRational(ctx.fps),
      outDir: path.join(ctx.workDir, 'video-frames'),
      signal: ctx.signal,
      ...(options.cache !== undefined ? { cache: options.cache } : {}),
      ...(options.format !== undefined ? { format: options.format } : {}),
      ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    });
    release = () => result.release();
    stats.extraction = result.metrics;
    if (result.errors.length > 0) {
      throw mediaError(
        result.errors.map((e) =>
          extractFailure(
            e,
            extracting.find((v) => v.id === e.videoId),
          ),
        ),
      );
    }
    const byId = new Map(result.extracted.map((e) => [e.videoId, e]));
    const videos = extracting.map((v): ShownVideo => {
      const extracted = byId.get(v.id);
      if (!extracted || extracted.frames.length === 0) {
        throw mediaError([
          {
            code: 'media_failed',
            element: v.element.label,
            file: v.element.src,
            message: `${v.element.label}: no frames were extracted from ${v.element.src}; re-export the file`,
          },
        ]);
      }
      const request = requests.find((r) => r.id === v.id)!;
      stats.perVideo.push({
        element: v.element.label,
        requested: request.width !== undefined && request.height !== undefined ? { width: request.width, height: request.height } : null,
        width: extracted.width,
        height: extracted.height,
        format: extracted.format,
        frames: extracted.frames.length,
        ...(extracted.sharedWith !== undefined ? { sharedWith: extracted.sharedWith } : {}),
      });
      return {
        ...shownPlace(v, extracted),
        fps: formatRational(extracted.fps),
        loop: extracted.loop,
        frames: [...extracted.frames],
      };
    });
    warnTruncated(ctx, byId);
    stats.extractMs = performance.now() - started;
    const painter = videoPainter(videos, {
      transport: options.transport,
      decodedBudgetBytes: options.decodedBudgetBytes,
      rootOptions: rootOptions(ctx.composition),
      serveDirectory: ctx.serveDirectory,
    });
    stats.paint = painter.stats;
    return { videos, hooks: combineHooks([painter.hooks, decoded.hooks]) };
  };

  return {
    name: 'video-frames',
    stats,
    shown: () => ready?.then((r) => r.videos) ?? null,

    report() {
      const m = stats.extraction;
      return {
        videos: stats.videos,
        extractMs: Math.round(stats.extractMs),
        framesPushed: stats.paint.framesPushed,
        // How many videos each path decoded (videoDecode; src/stages/page-decode.ts).
        decode: {
          page: stats.decode.choices.filter((c) => c.path === 'page').length,
          ffmpeg: stats.decode.choices.filter((c) => c.path === 'ffmpeg').length,
          // Frames the pages decoded, summed over pages (each page decodes the frames its captures need).
          framesDecodedInPages: stats.decode.page?.framesDecoded ?? 0,
        },
        // Per video: the size and format its frames were extracted at (device pixels: --resolution scales them).
        perVideo: stats.perVideo.map((v) => ({ element: v.element, width: v.width, height: v.height, format: v.format })),
        ...(m
          ? {
              uniqueExtractions: m.uniqueExtractions,
              dedupeHits: m.dedupeHits,
              cacheHits: m.cacheHits,
              cacheMisses: m.cacheMisses,
              framesExtracted: m.framesExtracted,
              supersetGroups: m.supersetGroups,
            }
          : {}),
      };
    },

    async prepare(ctx) {
      context = ctx;
      await checkMediaFiles(ctx.composition);
      placed = await placeVideos(ctx.composition);
      stats.videos = placed.length;
    },

    async dispose() {
      await release?.().catch(() => {});
      release = null;
    },

    capture: {
      async setupPage(page, workerIndex) {
        if (placed.length === 0) return;
        // The measuring script first: the first page measures the boxes before anything is extracted.
        await page.evaluate(pageScript('video-paint', rootOptions(context!.composition)));
        ready ??= extract(page);
        await (await ready).hooks.setupPage?.(page, workerIndex);
      },

      async beforeCapture(page, frameIndex, time) {
        if (!ready) return;
        await (await ready).hooks.beforeCapture?.(page, frameIndex, time);
      },
    },
  };
}
