/**
 * The video-frames stage: shows every `<video>` of a composition, frame-exactly, in the pages being
 * captured. Headless Chrome cannot play video deterministically, so:
 *
 * 1. `prepare` probes every video file (a missing or damaged one fails the render before capture,
 *    naming the element and the file);
 * 2. the first page's `setupPage` measures where each video is drawn (its content box × device
 *    scale, after `ready()`) and asks the extraction engine (src/extract/) for the frames a render at
 *    the composition's rate shows, decoded at that size (native size when the element is not laid out
 *    or uses `object-fit: none`), with in-render dedupe and the frame cache; every page then attaches
 *    the page side (src/browser/runtime/video-paint.ts);
 * 3. before each frame is captured, the frame each video shows at that time — `FrameLookupTable`:
 *    slot floor((t - start) × fps), held at the last frame when the media ends, wrapped when looping —
 *    is painted as the element's background. A video is visible on [start, end) exactly as the
 *    runtime's clip windows (times within 1 µs are equal); outside it shows nothing. A page is only
 *    sent the videos whose frame changed since its previous capture, and is told to drop its image
 *    caches after every `decodedBudgetBytes` of frames (memory stays flat however long the render);
 * 4. `dispose` (end of the render, success or not) stops the frame server and releases the frames'
 *    cache leases.
 *
 * Frame bytes travel as data: URLs inside the `page.evaluate` call when small and from a loopback
 * server when large, whichever was measured faster (src/stages/video-transport.ts).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CDPSession, Page } from 'puppeteer-core';
import { extractVideos } from '../extract/extract.js';
import { FrameLookupTable } from '../extract/lookup.js';
import type { ExtractMetrics, VideoRequest } from '../extract/types.js';
import { formatRational } from '../media/rational.js';
import type { RenderStage, StageContext } from './stage.js';
import { MediaError } from '../load/media-errors.js';
import { checkMediaFiles } from '../load/media.js';
import { pageScript } from '../browser/page-scripts.js';
import { rootOptions } from '../browser/runtime-config.js';
import '../browser/page-api.js';
import { drawnSize, EPSILON_S, extractFailure, placeVideos, type PlacedVideo } from './video-placement.js';
import { FrameUrls, type FrameTransport } from './video-transport.js';

export interface VideoFramesOptions {
  /** Frame cache directory, or false for none. Default: the extraction engine's default. */
  cache?: string | false;
  /** ffmpeg passes at once. Default: the extraction engine's default (the machine's cores + 1). */
  concurrency?: number;
  /** How frames reach the page (src/stages/video-transport.ts). Default `auto`: by file size. */
  transport?: FrameTransport;
  /**
   * Decoded bytes (width × height × 4 per frame) a page may be sent before it is asked to drop its
   * image caches. Default `DECODED_BUDGET_BYTES`.
   */
  decodedBudgetBytes?: number;
}

/**
 * Chromium keeps decoded images cached up to its own budget (measured: a 720p render's renderer grew
 * from ~100 MB to a ~630 MB plateau). After this many decoded bytes a page gets a critical memory
 * pressure notification (CDP `Memory.simulatePressureNotification`), which drops those caches: the
 * renderer then stayed between ~120 and ~260 MB, at no measurable cost per frame.
 */
export const DECODED_BUDGET_BYTES = 128 * 1024 * 1024;

/** What the stage did, for benchmarks and the render's report. */
export interface VideoFramesStats {
  videos: number;
  /** Wall time of measuring + extracting, ms. */
  extractMs: number;
  extraction: ExtractMetrics | null;
  /** Per video: the measured box asked for (device px; null = native size) and the frames decoded. */
  perVideo: Array<{ element: string; requested: { width: number; height: number } | null; width: number; height: number; frames: number; sharedWith?: string }>;
  /** Frames sent to pages (a video held on one frame, or a slot repeating the previous frame, is not sent again). */
  framesPushed: number;
  /** Time spent reading frame files and in the pages' `show` calls, summed over pages, ms. */
  pushMs: number;
}


interface ReadyVideo extends PlacedVideo {
  table: FrameLookupTable;
  frames: readonly string[];
  extractedWidth: number;
  extractedHeight: number;
}

export type VideoFramesStage = RenderStage & { readonly stats: VideoFramesStats };

export function videoFramesStage(options: VideoFramesOptions = {}): VideoFramesStage {
  let context: StageContext | null = null;
  let placed: PlacedVideo[] = [];
  let ready: Promise<ReadyVideo[]> | null = null;
  /** Drops the extraction's hold on its frames (cache leases); set once extraction returned. */
  let release: (() => Promise<void>) | null = null;
  let urls: FrameUrls | null = null;
  /**
   * Per page: timed index → the frame shown (null: nothing): its path, and its bytes, because the
   * engine writes one file per slot and a slot that repeats a source frame (a 24 fps source in a 30 fps
   * render, a slow playback rate) holds the same bytes under a new name — not worth sending again.
   */
  const shown = new WeakMap<Page, Map<number, { file: string; bytes: Buffer } | null>>();
  /** Per page: a CDP session, and decoded bytes sent since its caches were last dropped. */
  const memory = new WeakMap<Page, { session: CDPSession; decoded: number }>();
  const budget = options.decodedBudgetBytes ?? DECODED_BUDGET_BYTES;
  const stats: VideoFramesStats = { videos: 0, extractMs: 0, extraction: null, perVideo: [], framesPushed: 0, pushMs: 0 };

  const extract = async (page: Page): Promise<ReadyVideo[]> => {
    const started = performance.now();
    const ctx = context!;
    const measured = await page.evaluate((indices) => window.__framesmithVideo!.measure(indices), placed.map((v) => v.element.index));
    const requests: VideoRequest[] = placed.map((v, i) => {
      const m = measured[i]!;
      if (m.tagName !== 'video') {
        throw new MediaError([{ code: 'media_failed', element: v.element.label, file: v.element.src, message: `${v.element.label}: the page has ${m.tagName ?? 'nothing'} where the composition has this <video>; a script must not insert or remove timed elements before it` }]);
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
    const result = await extractVideos(requests, {
      fps: formatRational(ctx.fps),
      outDir: path.join(ctx.workDir, 'video-frames'),
      signal: ctx.signal,
      ...(options.cache !== undefined ? { cache: options.cache } : {}),
      ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    });
    release = () => result.release();
    stats.extraction = result.metrics;
    if (result.errors.length > 0) {
      throw new MediaError(result.errors.map((e) => extractFailure(e, placed.find((v) => v.id === e.videoId))));
    }
    urls = FrameUrls.open(options.transport ?? 'auto', result.extracted.flatMap((e) => [e.outputDir, ...(e.frames[0] ? [path.dirname(e.frames[0])] : [])]), ctx.serveDirectory);
    const byId = new Map(result.extracted.map((e) => [e.videoId, e]));
    const videos = placed.map((v): ReadyVideo => {
      const extracted = byId.get(v.id);
      if (!extracted || extracted.frames.length === 0) {
        throw new MediaError([{ code: 'media_failed', element: v.element.label, file: v.element.src, message: `${v.element.label}: no frames were extracted from ${v.element.src}; re-export the file` }]);
      }
      const request = requests.find((r) => r.id === v.id)!;
      stats.perVideo.push({
        element: v.element.label,
        requested: request.width !== undefined && request.height !== undefined ? { width: request.width, height: request.height } : null,
        width: extracted.width,
        height: extracted.height,
        frames: extracted.frames.length,
        ...(extracted.sharedWith !== undefined ? { sharedWith: extracted.sharedWith } : {}),
      });
      const table = new FrameLookupTable({ start: v.start, duration: v.end - v.start, fps: extracted.fps, frames: extracted.frames, loop: extracted.loop });
      return { ...v, table, frames: extracted.frames, extractedWidth: extracted.width, extractedHeight: extracted.height };
    });
    stats.extractMs = performance.now() - started;
    return videos;
  };

  /** The frame path `video` shows at composition time t, or null when it is not on screen. */
  const frameAt = (video: ReadyVideo, t: number): string | null => {
    if (t < video.start - EPSILON_S || t >= video.end - EPSILON_S) return null;
    return video.table.frameAt(Math.min(Math.max(t, video.start), video.end - EPSILON_S / 2));
  };

  return {
    name: 'video-frames',
    stats,

    report() {
      const m = stats.extraction;
      return {
        videos: stats.videos,
        extractMs: Math.round(stats.extractMs),
        framesPushed: stats.framesPushed,
        ...(m ? {
          uniqueExtractions: m.uniqueExtractions, dedupeHits: m.dedupeHits, cacheHits: m.cacheHits,
          cacheMisses: m.cacheMisses, framesExtracted: m.framesExtracted, supersetGroups: m.supersetGroups,
        } : {}),
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
      urls = null;
      release = null;
    },

    capture: {
      async setupPage(page) {
        if (placed.length === 0) return;
        await page.evaluate(pageScript('video-paint', rootOptions(context!.composition)));
        ready ??= extract(page);
        const videos = await ready;
        await page.evaluate((list) => window.__framesmithVideo!.attach(list), videos.map((v) => ({ index: v.element.index, naturalWidth: v.info.width, naturalHeight: v.info.height })));
        shown.set(page, new Map(videos.map((v) => [v.element.index, null])));
        memory.set(page, { session: await page.createCDPSession(), decoded: 0 });
      },

      async beforeCapture(page, _frameIndex, time) {
        if (!ready) return;
        const videos = await ready;
        const current = shown.get(page);
        if (!current) return;
        const started = performance.now();
        const changes: Array<{ index: number; frame: { file: string; bytes: Buffer } | null }> = [];
        for (const video of videos) {
          const index = video.element.index;
          const file = frameAt(video, time);
          const before = current.get(index) ?? null;
          if ((before?.file ?? null) === file) continue;
          if (file === null) {
            changes.push({ index, frame: null });
            continue;
          }
          const bytes = await readFile(file);
          if (before && before.bytes.equals(bytes)) current.set(index, { file, bytes: before.bytes });
          else changes.push({ index, frame: { file, bytes } });
        }
        if (changes.length > 0) {
          // Drop the caches before the new frames load, never between their load and the capture.
          const mem = memory.get(page)!;
          if (mem.decoded >= budget) {
            await mem.session.send('Memory.simulatePressureNotification', { level: 'critical' });
            mem.decoded = 0;
          }
          for (const c of changes) {
            const video = c.frame && videos.find((v) => v.element.index === c.index);
            if (video) mem.decoded += video.extractedWidth * video.extractedHeight * 4;
          }
          const payload = changes.map((c) => ({ index: c.index, url: c.frame === null ? null : urls!.urlFor(c.frame.file, c.frame.bytes) }));
          await page.evaluate((list) => window.__framesmithVideo!.show(list), payload);
          for (const c of changes) current.set(c.index, c.frame);
          stats.framesPushed += changes.filter((c) => c.frame !== null).length;
        }
        stats.pushMs += performance.now() - started;
      },
    },
  };
}
