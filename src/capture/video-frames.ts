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
 *    the page side (src/capture/video-page-source.ts);
 * 3. before each frame is captured, the frame each video shows at that time — `FrameLookupTable`:
 *    slot floor((t - start) × fps), held at the last frame when the media ends, wrapped when looping —
 *    is painted as the element's background. A video is visible on [start, end) exactly as the
 *    runtime's clip windows (times within 1 µs are equal); outside it shows nothing. A page is only
 *    sent the videos whose frame changed since its previous capture;
 * 4. `dispose` (end of the render, success or not) releases the frames' cache leases.
 *
 * Frame bytes travel as data: URLs inside the `page.evaluate` call when small and from a loopback
 * server when large, whichever was measured faster (src/capture/video-transport.ts).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'puppeteer-core';
import type { Composition, MediaElement } from '../composition/model.js';
import { extractVideos } from '../extract/extract.js';
import { FrameLookupTable } from '../extract/lookup.js';
import type { ExtractErrorInfo, ExtractMetrics, VideoRequest } from '../extract/types.js';
import { probeMedia, type MediaInfo } from '../media/probe.js';
import { formatRational } from '../media/rational.js';
import type { RenderStage, StageContext } from './hooks.js';
import { MediaError, type MediaErrorCode, type MediaFailure } from './media-errors.js';
import { mediaFailure } from './media-sources.js';
import { VIDEO_PAGE_SOURCE } from './video-page-source.js';
import { FrameUrls, type FrameTransport } from './video-transport.js';

/** Two times within 1 µs are the same moment (the page runtime's clip windows use the same rule). */
const EPSILON_S = 1e-6;

export interface VideoFramesOptions {
  /** Frame cache directory, or false for none. Default: the extraction engine's default. */
  cache?: string | false;
  /** ffmpeg passes at once. Default: the extraction engine's default (the machine's cores). */
  concurrency?: number;
  /** How frames reach the page (src/capture/video-transport.ts). Default `auto`: by file size. */
  transport?: FrameTransport;
}

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

interface PlacedVideo {
  element: MediaElement;
  /** Unique id for the extraction engine: the element's label, made unique when two share one. */
  id: string;
  info: MediaInfo;
  start: number;
  end: number;
}

interface ReadyVideo extends PlacedVideo {
  table: FrameLookupTable;
  frames: readonly string[];
}

interface Measured {
  index: number;
  tagName: string | null;
  width: number;
  height: number;
  fit: string;
}

declare global {
  interface Window {
    __framesmithVideo?: {
      measure(indices: number[]): Measured[];
      attach(videos: Array<{ index: number; naturalWidth: number; naturalHeight: number }>): void;
      show(changes: Array<{ index: number; url: string | null }>): Promise<void>;
    };
  }
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
    urls = await FrameUrls.open(options.transport ?? 'auto', result.extracted.flatMap((e) => [e.outputDir, ...(e.frames[0] ? [path.dirname(e.frames[0])] : [])]));
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
      return { ...v, table, frames: extracted.frames };
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

    async prepare(ctx) {
      context = ctx;
      placed = await placeVideos(ctx.composition);
      stats.videos = placed.length;
    },

    async dispose() {
      await urls?.close().catch(() => {});
      await release?.().catch(() => {});
      urls = null;
      release = null;
    },

    capture: {
      async setupPage(page) {
        if (placed.length === 0) return;
        await page.evaluate(VIDEO_PAGE_SOURCE);
        ready ??= extract(page);
        const videos = await ready;
        await page.evaluate((list) => window.__framesmithVideo!.attach(list), videos.map((v) => ({ index: v.element.index, naturalWidth: v.info.width, naturalHeight: v.info.height })));
        shown.set(page, new Map(videos.map((v) => [v.element.index, null])));
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
          const payload = changes.map((c) => ({ index: c.index, url: c.frame === null ? null : urls!.urlFor(c.frame.file, c.frame.bytes) }));
          await page.evaluate((list) => window.__framesmithVideo!.show(list), payload);
          for (const c of changes) current.set(c.index, c.frame);
          if (process.env.FS_PRESSURE && stats.framesPushed % Number(process.env.FS_PRESSURE) === 0) {
            const session = await page.createCDPSession();
            await session.send('Memory.simulatePressureNotification', { level: 'moderate' });
            await session.detach();
          }
          stats.framesPushed += changes.filter((c) => c.frame !== null).length;
        }
        stats.pushMs += performance.now() - started;
      },
    },
  };
}

/**
 * The composition's videos that appear at all, with their windows: [start, start + duration), or to
 * the end of the composition for an open-ended loop. Every file is probed; all failures are thrown
 * together as one `MediaError`.
 */
async function placeVideos(composition: Composition): Promise<PlacedVideo[]> {
  const videos = composition.media.filter((m) => m.kind === 'video');
  const failures: MediaFailure[] = [];
  const seen = new Map<string, number>();
  const placed: Array<PlacedVideo | null> = await Promise.all(videos.map(async (element): Promise<PlacedVideo | null> => {
    const start = element.start;
    const end = element.duration !== undefined ? start + element.duration : composition.duration;
    try {
      const info = await probeMedia(element.src);
      if (!(end - start > EPSILON_S) || start >= composition.duration) return null;
      return { element, id: element.label, info, start, end };
    } catch (error) {
      failures.push(mediaFailure(error, element.label, element.src));
      return null;
    }
  }));
  if (failures.length > 0) throw new MediaError(failures);
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
 * `none` or a box that is not laid out.
 */
export function drawnSize(box: { width: number; height: number; fit: string }, source: { width: number; height: number }): { width: number; height: number } | null {
  if (!(box.width > 0 && box.height > 0) || box.fit === 'none') return null;
  if (box.fit !== 'contain' && box.fit !== 'scale-down') return { width: box.width, height: box.height };
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

function extractFailure(error: ExtractErrorInfo, video: PlacedVideo | undefined): MediaFailure {
  const label = video?.element.label ?? error.videoId;
  // The engine's messages start with `video "<id>": `; the element's label replaces it.
  const detail = error.message.replace(/^video "[^"]*": /, '');
  return {
    code: EXTRACT_CODES[error.kind] ?? 'media_failed',
    element: label,
    ...(video ? { file: video.element.src } : {}),
    message: `${label}: ${detail}`,
  };
}
