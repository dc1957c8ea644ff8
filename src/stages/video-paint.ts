/**
 * Painting extracted video frames into the pages being captured, from a list of `ShownVideo`s (where
 * each video is on screen and which frame file it shows at each slot). The live video stage
 * (video-frames.ts) builds the list by extracting; a chunk of a planned render from the frames its
 * range shows (src/render/chunk-frames.ts).
 *
 * Before each frame is captured, the frame each video shows at that time — `FrameLookupTable`: slot
 * floor((t - start) × fps), held at the last frame when the media ends, wrapped when looping — is
 * painted as the element's background. A video is visible on [start, end) exactly as the runtime's
 * clip windows (times within 1 µs are equal); outside it shows nothing. A page is only sent the videos
 * whose frame changed since its previous capture, and is told to drop its image caches after every
 * `decodedBudgetBytes` of frames (memory stays flat however long the render).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CDPSession, Page } from 'puppeteer-core';
import type { CaptureHooks } from '../capture/hooks.js';
import { FrameLookupTable } from '../extract/lookup.js';
import { parseRational, type Rational } from '../media/rational.js';
import { pageScript } from '../browser/page-scripts.js';
import type { RuntimeConfig } from '../browser/page-api.js';
import '../browser/page-api.js';
import { EPSILON_S, type PlacedVideo } from './video-placement.js';
import { FrameUrls, type FrameTransport, type ServeDirectory } from './video-transport.js';

/**
 * Chromium keeps decoded images cached up to its own budget (measured: a 720p render's renderer grew
 * from ~100 MB to a ~630 MB plateau). After this many decoded bytes a page gets a critical memory
 * pressure notification (CDP `Memory.simulatePressureNotification`), which drops those caches: the
 * renderer then stayed between ~120 and ~260 MB, at no measurable cost per frame.
 */
export const DECODED_BUDGET_BYTES = 128 * 1024 * 1024;

/** One `<video>` as the pages show it: plain data (a plan carries it to other machines). */
export interface ShownVideo {
  /** The element's timed index (the page finds it by this). */
  index: number;
  /** `video#intro`, for messages. */
  label: string;
  /** Composition seconds it is on screen: [start, end). */
  start: number;
  end: number;
  /** The source's display size (the element's `videoWidth`/`videoHeight`). */
  naturalWidth: number;
  naturalHeight: number;
  /** The size the frames were decoded at. */
  width: number;
  height: number;
  /** The frames' rate, exact (`30000/1001`). */
  fps: string;
  loop: boolean;
  /** Frame files, slot 0 first ('' for one no capture here shows: a chunk obtains only its range's). */
  frames: string[];
}

/** Where and how large a video is shown, as a painter or a page decoder needs it (the fields of `ShownVideo` that placement decides). */
export type ShownPlace = Pick<ShownVideo, 'index' | 'label' | 'start' | 'end' | 'naturalWidth' | 'naturalHeight' | 'width' | 'height'>;

/** The `ShownPlace` of `video`, its frames decoded at `decoded`'s size. */
export function shownPlace(video: PlacedVideo, decoded: { width: number; height: number }): ShownPlace {
  return {
    index: video.element.index,
    label: video.element.label,
    start: video.start,
    end: video.end,
    naturalWidth: video.info.width,
    naturalHeight: video.info.height,
    width: decoded.width,
    height: decoded.height,
  };
}

/**
 * How `videoPainter` sends frames: `transport` (default `auto`), the decoded-bytes budget per page before its
 * image caches are dropped (default `DECODED_BUDGET_BYTES`), and where the frame directories are served from.
 */
export interface VideoPainterOptions {
  transport?: FrameTransport;
  decodedBudgetBytes?: number;
  /** The root options of the runtime (which element is the composition's root). */
  rootOptions: Pick<RuntimeConfig, 'rootSelector' | 'timedWithinRoot'>;
  serveDirectory: ServeDirectory;
}

/** The painter's counters over all pages; they grow as frames are painted. */
export interface PaintStats {
  /** Frames sent to pages (a video held on one frame, or a slot repeating the previous frame, is not sent again). */
  framesPushed: number;
  /** Time spent reading frame files and in the pages' `show` calls, summed over pages, ms. */
  pushMs: number;
}

interface Painted extends ShownVideo {
  table: FrameLookupTable;
  rate: Rational;
}

function prepare(v: ShownVideo): Painted {
  return { ...v, ...screenTable(v, v.frames) };
}

/**
 * The exact rate of `video` and the lookup of which of its `frames` (a list, or a count) it shows when
 * on screen over [start, end): the one rule both decode paths (extracted frames, page decode) go by.
 */
export function screenTable(
  video: { label: string; fps: string; start: number; end: number; loop: boolean },
  frames: number | readonly string[],
): { rate: Rational; table: FrameLookupTable } {
  const rate = parseRational(video.fps);
  if (!rate) throw new RangeError(`${video.label}: frame rate ${video.fps} is not a positive rational`);
  const table = new FrameLookupTable({ start: video.start, duration: video.end - video.start, fps: rate, frames, loop: video.loop });
  return { rate, table };
}

/** The index into the frame list `table` (of a video on screen over [start, end)) shows at composition time t, or null when it is not on screen. */
export function indexAt(table: FrameLookupTable, start: number, end: number, t: number): number | null {
  if (t < start - EPSILON_S || t >= end - EPSILON_S) return null;
  return table.indexAt(Math.min(Math.max(t, start), end - EPSILON_S / 2));
}

/** The frame path `video` shows at composition time t, or null when it is not on screen. */
function frameAt(video: Painted, t: number): string | null {
  const index = indexAt(video.table, video.start, video.end, t);
  return index === null ? null : (video.frames[index] ?? null);
}

/**
 * The frames (indices into its frame list, 0 … `frameCount` − 1) `video` shows at composition `times`,
 * by the painter's own lookup: what a chunk must extract of it.
 */
export function framesShownAt(
  video: Pick<ShownVideo, 'start' | 'end' | 'fps' | 'loop' | 'label'> & { frameCount: number },
  times: Iterable<number>,
): Set<number> {
  const rate = parseRational(video.fps);
  if (!rate) throw new RangeError(`${video.label}: frame rate ${video.fps} is not a positive rational`);
  const table = new FrameLookupTable({
    start: video.start,
    duration: video.end - video.start,
    fps: rate,
    frames: video.frameCount,
    loop: video.loop,
  });
  const shown = new Set<number>();
  for (const t of times) {
    const index = indexAt(table, video.start, video.end, t);
    if (index !== null) shown.add(index);
  }
  return shown;
}

/** Capture hooks painting `videos`; `stats` counts what was sent. */
export function videoPainter(videos: readonly ShownVideo[], options: VideoPainterOptions): { hooks: CaptureHooks; stats: PaintStats } {
  const stats: PaintStats = { framesPushed: 0, pushMs: 0 };
  const painted = videos.map(prepare);
  const urls = FrameUrls.open(
    options.transport ?? 'auto',
    // Every folder holding frames: a chunk's frames come from several windows (src/extract/windows.ts).
    [...new Set(painted.flatMap((v) => v.frames.filter((f) => f !== '').map((f) => path.dirname(f))))],
    options.serveDirectory,
  );
  const budget = options.decodedBudgetBytes ?? DECODED_BUDGET_BYTES;
  /**
   * Per page: timed index → the frame shown (null: nothing): its path, and its bytes, because the
   * engine writes one file per slot and a slot that repeats a source frame (a 24 fps source in a 30 fps
   * render, a slow playback rate) holds the same bytes under a new name — not worth sending again.
   */
  const shown = new WeakMap<Page, Map<number, { file: string; bytes: Buffer } | null>>();
  /** Per page: a CDP session, and decoded bytes sent since its caches were last dropped. */
  const memory = new WeakMap<Page, { session: CDPSession; decoded: number }>();

  const hooks: CaptureHooks = {
    async setupPage(page) {
      if (painted.length === 0) return;
      // Once per page (the live stage evaluated it already on the page that measured the boxes).
      if (!(await page.evaluate(() => window.__framesmithVideo !== undefined)))
        await page.evaluate(pageScript('video-paint', options.rootOptions));
      await page.evaluate(
        (list) => window.__framesmithVideo!.attach(list),
        painted.map((v) => ({ index: v.index, naturalWidth: v.naturalWidth, naturalHeight: v.naturalHeight })),
      );
      shown.set(page, new Map(painted.map((v) => [v.index, null])));
      memory.set(page, { session: await page.createCDPSession(), decoded: 0 });
    },

    async beforeCapture(page, _frameIndex, time) {
      const current = shown.get(page);
      if (!current) return;
      const started = performance.now();
      const changes: Array<{ video: Painted; frame: { file: string; bytes: Buffer } | null }> = [];
      for (const video of painted) {
        const file = frameAt(video, time);
        const before = current.get(video.index) ?? null;
        if ((before?.file ?? null) === file) continue;
        if (file === null) {
          changes.push({ video, frame: null });
          continue;
        }
        const bytes = await readFile(file);
        if (before?.bytes.equals(bytes)) current.set(video.index, { file, bytes: before.bytes });
        else changes.push({ video, frame: { file, bytes } });
      }
      if (changes.length > 0) {
        // Drop the caches before the new frames load, never between their load and the capture.
        const mem = memory.get(page)!;
        if (mem.decoded >= budget) {
          await mem.session.send('Memory.simulatePressureNotification', { level: 'critical' });
          mem.decoded = 0;
        }
        for (const c of changes) if (c.frame) mem.decoded += c.video.width * c.video.height * 4;
        const payload = changes.map((c) => ({
          index: c.video.index,
          url: c.frame === null ? null : urls.urlFor(c.frame.file, c.frame.bytes),
        }));
        await page.evaluate((list) => window.__framesmithVideo!.show(list), payload);
        for (const c of changes) current.set(c.video.index, c.frame);
        stats.framesPushed += changes.filter((c) => c.frame !== null).length;
      }
      stats.pushMs += performance.now() - started;
    },
  };
  return { hooks, stats };
}
