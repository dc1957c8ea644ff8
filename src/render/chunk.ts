/**
 * The chunk phase: given a plan in storage and a frame range, check the plan (hash, schema, files,
 * framesmith, ffmpeg and browser versions), obtain the video frames the range shows (chunk-frames.ts:
 * through the storage, each window of frames decoded once for all workers), capture the range from the
 * plan's own copy of the project, and encode it as a segment that joins the others without re-encoding
 * (src/encode/segments.ts). The segment is written under a temporary name in the render's directory
 * and renamed to a name of its own (`chunk-00003-<attempt>.mp4`): a chunk killed midway leaves only a
 * `.partial` file, and the assembler takes exactly the names the finished chunks reported.
 */
import { readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Deadlines } from '../capture/deadlines.js';
import { frameCounts } from '../capture/worker.js';
import { segmentFormat, startSegmentEncoder, type SegmentEncoder } from '../encode/segments.js';
import { frameTime, parseRational } from '../media/rational.js';
import { getTools } from '../media/tools.js';
import { segmentFileName, type ChunkIncrementalReport, type ChunkJob, type ChunkResult } from '../plan/chunks.js';
import type { CaptureHooks } from '../capture/hooks.js';
import { SegmentStore } from '../cache/segments.js';
import { chunkKey, FramePrints, rangeKey, renderPrint, withRangeHistory } from './incremental.js';
import { PlanError } from '../plan/errors.js';
import { checkBrowser, openPlan, type OpenedPlan } from '../plan/read.js';
import { sharedFramesStats } from '../extract/shared-frames.js';
import { videoPainter, type ShownVideo } from '../stages/video-paint.js';
import { chunkVideos } from './chunk-frames.js';
import { openStorage, type RenderStorage } from '../storage/storage.js';
import { FRAMESMITH_VERSION } from '../version.js';
import { WarningLog, type RenderWarning } from '../warnings.js';
import { openCaptureSession, type CaptureSession } from './capture-session.js';
import {
  chunkSessionKey,
  hooksForKeptPages,
  openOneShot,
  type ChunkSessions,
  type HeldChunkSession,
  type OpenedChunkSession,
} from './chunk-session.js';
import { resolveDeadlines } from './deadlines.js';
import { toRenderError } from './errors.js';
import type { PageSetup, RenderSession } from './session.js';
import { RenderError } from './errors.js';

/** How `renderChunk()` renders one chunk of a plan frozen in storage. */
export interface ChunkOptions {
  /** The render's storage: a directory (the same path on every machine), an s3:// URL, or opened. */
  storage: string | RenderStorage;
  /** Capture workers (browsers) for this chunk. Default 1. */
  workers?: number;
  browser?: string;
  /** Deadlines of the browser and its pages. Default: `resolveDeadlines({})` (the PRODUCER_* variables, else HyperFrames'). */
  deadlines?: Deadlines;
  signal?: AbortSignal;
  /** Frames of this chunk captured so far. */
  onProgress?(done: number, total: number): void;
  /**
   * The process's sessions kept between chunks of one plan (the `worker` command's,
   * src/render/chunk-session.ts). Without it the chunk opens a session and closes it when done.
   */
  sessions?: ChunkSessions;
  /**
   * Whether the chunk's render still waits for it. Default: its storage marker is there and fresh by
   * this machine's clock (right for a render in this process). A worker passes its queue's answer
   * (`ChunkProcessor`'s `renderOpen`: Redis keys), as machines' clocks may be hours apart.
   */
  renderOpen?(renderId: string): Promise<boolean>;
  /**
   * Incremental rendering (src/render/incremental.ts) with the segment store of this cache directory:
   * the chunk's segment is taken from it when none of its frames changed, and stored in it otherwise.
   * Undefined: off. Segments that are directories (gif, png) are never reused.
   */
  incremental?: { cacheDir: string };
  /**
   * Browsers kept running once the chunk's session closes, for the next session of this process to
   * take (src/browser/pool.ts): ms, and the owner that closes them. Default: `keepBrowsersMs()`, no owner.
   */
  keepBrowsers?: { ms: number; owner: object };
}

/**
 * Throws `cancelled` (permanent) unless the render of `job` still waits for it: a chunk of a render
 * that finished, failed or was cancelled meanwhile is not rendered, and its segment not kept.
 */
async function requireActive(storage: RenderStorage, job: ChunkJob, renderOpen?: ChunkOptions['renderOpen']): Promise<void> {
  // The storage is asked even when `renderOpen` decides: a storage that is down then fails the chunk
  // here (storage_unreachable), not after it rendered every frame, on each of its tries.
  const marker = await storage.isRenderOpen(job.renderId);
  if (!(renderOpen ? await renderOpen(job.renderId) : marker))
    throw new RenderError(
      'cancelled',
      `render ${job.renderId} no longer waits for its chunks (it finished, failed or was cancelled)`,
      chunkDetail(job),
    );
}

/** `ChunkOptions` with their defaults applied, once, at the top of `renderChunk`. */
type ResolvedChunkOptions = Readonly<ChunkOptions & { workers: number; deadlines: Deadlines }>;

function resolveChunkOptions(options: ChunkOptions): ResolvedChunkOptions {
  return Object.freeze({ ...options, workers: options.workers ?? 1, deadlines: Object.freeze(options.deadlines ?? resolveDeadlines({})) });
}

/** Renders `job` (see the module comment). Throws a `RenderError` naming the chunk. */
export async function renderChunk(job: ChunkJob, chunkOptions: ChunkOptions): Promise<ChunkResult> {
  const started = performance.now();
  const timings: Record<string, number> = {};
  const options = resolveChunkOptions(chunkOptions);
  const signal = options.signal ?? new AbortController().signal;
  let warnings = new WarningLog();
  let session: CaptureSession | undefined;
  let held: HeldChunkSession | undefined;
  let healthy = false;
  let encoder: SegmentEncoder | undefined;
  let partial: string | undefined;
  const videoFrames = sharedFramesStats();
  /** Ends the chunk's hold on frame-cache entries it shows (src/render/chunk-frames.ts). */
  let releaseFrames: (() => void) | undefined;
  try {
    const storage = typeof options.storage === 'string' ? await openStorage(options.storage) : options.storage;
    await requireActive(storage, job, options.renderOpen);
    const tools = await getTools();
    await storage.fetchPlan(job.planHash);
    const opened = await openPlan(storage.root, job.planHash, { framesmith: FRAMESMITH_VERSION, ffmpeg: tools.version }, storage.name, {
      framesLater: true,
    });
    const { plan } = opened;
    warnings = new WarningLog(plan.page.strict);
    const end = plan.render.first + plan.render.count;
    if (
      !(
        Number.isInteger(job.first) &&
        Number.isInteger(job.count) &&
        job.count >= 1 &&
        job.first >= plan.render.first &&
        job.first + job.count <= end
      )
    ) {
      throw new RenderError(
        'invalid_option',
        `chunk ${job.index}: frames ${job.first}–${job.first + job.count - 1} are outside the plan's ${plan.render.first}–${end - 1}`,
        chunkDetail(job),
      );
    }
    const fps = parseRational(plan.render.fps)!;
    // Only the frames this range shows, obtained while the browser starts.
    const times = Array.from({ length: job.count }, (_, i) => frameTime(job.first + i, fps));
    const framesReady = chunkVideos(opened, storage, times, { signal, stats: videoFrames }).then((got) => {
      timings.frames = Math.round(performance.now() - started);
      releaseFrames = got.release;
      return got.videos;
    });
    framesReady.catch(() => {}); // awaited below; a failure before then must not be unhandled
    const scale = plan.render.deviceScaleFactor ?? 1;
    const ext = segmentFormat(plan.output.format).extension;
    const prints = options.incremental && ext ? new FramePrints(job) : undefined;
    /** The video painter's hooks the pages run now (without the fingerprint): what a check paints with. */
    let painterHooks: CaptureHooks = {};
    // A kept session serves later chunks too: as many browsers as asked, not only as this chunk has frames.
    const browsers = options.sessions ? options.workers : Math.min(options.workers, job.count);
    const painter = (pages: RenderSession, videos: ShownVideo[]): CaptureHooks => {
      const serve = (dir: string) => pages.serveDirectory(dir);
      painterHooks = videoPainter(videos, {
        rootOptions: plan.page.rootOptions,
        serveDirectory: prints?.serveDirectory(serve) ?? serve,
      }).hooks;
      return prints ? prints.recording(painterHooks) : painterHooks;
    };
    const openSession = async (): Promise<OpenedChunkSession> => {
      const loadWarnings: RenderWarning[] = [];
      const session = await openCaptureSession({
        setup: await pageSetupFromPlan(opened),
        browsers,
        browser: {
          browserPath: options.browser,
          captureMode: plan.browser.captureMode,
          deadlines: options.deadlines,
          deviceScaleFactor: () => scale,
          ...(options.keepBrowsers ? { keepBrowsersMs: options.keepBrowsers.ms, keptFor: options.keepBrowsers.owner } : {}),
        },
        webgl: plan.browser.webgl ? 'on' : plan.browser.failIfWebGLRefused ? 'auto' : 'off',
        page: { transparent: plan.output.transparent, frameFormat: plan.output.frameFormat },
        runtime: () => readFile(opened.resolve(plan.page.runtime), 'utf8'),
        warn: (w) => loadWarnings.push(w),
        signal,
        started: async (pages) => checkBrowser(opened, await pages.browserVersion(), storage.name),
        loaded: async (pages, size) => {
          if (size.width !== plan.render.width || size.height !== plan.render.height) {
            throw new PlanError(
              'plan_mismatch',
              `chunk ${job.index}: the page measured ${size.width}x${size.height} here, ${plan.render.width}x${plan.render.height} when planned: give the composition data-width and data-height`,
              { storage: storage.name, hash: job.planHash },
            );
          }
          return painter(pages, await framesReady);
        },
      });
      return { session, loadWarnings };
    };
    const key = chunkSessionKey({
      planHash: job.planHash,
      storageRoot: storage.root,
      browsers,
      browserPath: options.browser,
      deadlines: options.deadlines,
    });
    held = options.sessions ? await options.sessions.acquire(key, job.renderId, openSession, job.first) : await openOneShot(openSession);
    session = held.session;
    for (const w of held.loadWarnings) warnings.add(w);
    if (held.reused) {
      // Kept from an earlier chunk: this chunk's video frames painted, pages loaded afresh for a range behind them.
      await session.replaceHooks(
        hooksForKeptPages(
          painter(session.session, await framesReady),
          plan.videos.map((v) => v.index),
        ),
      );
      if (held.needsReload(job.first)) await session.reload();
    }
    for (const worker of session.workers) worker.beginRange();
    timings.load = Math.round(performance.now() - started);

    const dir = await storage.segmentDir(job.renderId);
    const name = segmentFileName(job.index, ext);
    const partialFile = path.join(dir, `.${name}.partial`);
    partial = partialFile;
    const store = options.incremental && prints ? new SegmentStore(options.incremental.cacheDir) : undefined;
    const global = renderPrint(plan);
    const report: ChunkIncrementalReport = { key: null, reused: false, checked: 0, pageMs: 0 };
    const sessionReused = held.reused;
    /**
     * Publishes the finished segment `name` and reports the chunk: the same for a reused segment and a
     * rendered one. Awaited where it is returned (`return await`): the `finally` below reads `healthy`.
     */
    const published = async (result: Pick<ChunkResult, 'capture' | 'webgl' | 'incremental'>): Promise<ChunkResult> => {
      await storage.publishSegment(job.renderId, name);
      timings.total = Math.round(performance.now() - started);
      healthy = true;
      return { segment: name, frames: job.count, warnings: [...warnings.warnings], timings, sessionReused, videoFrames, ...result };
    };
    if (store && prints) {
      // Rendered before: its frames checked in order, the segment taken when none changed.
      const history = rangeLists(await store.readRecord('ranges', rangeKey(global, job)));
      if (history.length > 0) {
        const checkStart = performance.now();
        const hooks = plan.videos.length > 0 ? painterHooks : {}; // no video: nothing to paint
        const check = await prints.check(session.workers[0]!, hooks, history, (f) => frameTime(f, fps));
        timings.check = Math.round(performance.now() - checkStart);
        report.checked = check.checked;
        const key = check.matched && chunkKey(global, job, check.matched);
        if (key && (await store.take(key, ext, path.join(dir, name)))) {
          for (const w of await session.takeWarnings()) warnings.add(w);
          await requireActive(storage, job, options.renderOpen);
          return await published({
            capture: { captured: 0, reused: 0 },
            incremental: { ...report, key, reused: true, pageMs: Math.round(prints.pageMs) },
          });
        }
        // A page cannot go back in time: past the range's first frame, the pages are loaded afresh. A
        // check that stopped at the first frame left the page there, where the capture begins anyway.
        if (check.seeked > 1) await session.reload();
        for (const worker of session.workers) worker.beginRange();
      }
    }
    const { width, height } = session.size;
    // Each encoder starts on an empty path: a capture redone with WebGL (capture-session.ts) starts another.
    const startEncoder = async () => {
      await rm(partialFile, { recursive: true, force: true });
      encoder = await startSegmentEncoder({
        format: plan.output.format,
        output: partialFile,
        width: width * scale,
        height: height * scale,
        fps,
        quality: plan.output.quality,
        alpha: plan.output.alpha,
        frameFormat: plan.output.frameFormat,
        crf: plan.output.crf,
        videoBitrate: plan.output.videoBitrate,
        vp9CpuUsed: plan.output.vp9CpuUsed,
        firstFrame: job.first,
        signal,
      });
      return encoder;
    };
    const captureStart = performance.now();
    const captured = await session.capture(
      { firstFrame: job.first, frameCount: job.count, fps, signal, onFrame: (done) => options.onProgress?.(done, job.count) },
      startEncoder,
    );
    timings.capture = Math.round(performance.now() - captureStart);
    for (const w of await session.takeWarnings()) warnings.add(w);
    encoder = captured.sink;
    const flushStart = performance.now();
    await encoder.finish();
    timings.flush = Math.round(performance.now() - flushStart);
    await requireActive(storage, job, options.renderOpen);
    await rename(partial, path.join(dir, name));
    partial = undefined;
    if (store && prints) {
      report.pageMs = Math.round(prints.pageMs);
      if (prints.dirty !== undefined) report.dirty = prints.dirty;
      else await keepSegment(store, prints, global, job, path.join(dir, name), ext, report, warnings);
    }
    return await published({ webgl: captured.webgl, capture: frameCounts(session.workers), ...(store ? { incremental: report } : {}) });
  } catch (error) {
    await encoder?.abort();
    const failure = toRenderError(error, signal);
    throw new RenderError(
      failure.code,
      `chunk ${job.index} (frames ${job.first}–${job.first + job.count - 1}): ${failure.message}`,
      { ...failure.fields, ...chunkDetail(job) },
      { cause: error },
    );
  } finally {
    // A chunk that failed in any way closes its session: a page that threw or timed out is never reused.
    await held?.release(healthy ? { healthy: true, next: job.first + job.count } : { healthy: false });
    releaseFrames?.();
    if (partial) await rm(partial, { recursive: true, force: true });
  }
}

/**
 * Stores the chunk's segment `file` and its range's frame keys (all known: none dirty) in `store`,
 * setting `report.key`. A store that fails costs only later reuse: a warning, not a failed chunk.
 */
async function keepSegment(
  store: SegmentStore,
  prints: FramePrints,
  global: string,
  job: ChunkJob,
  file: string,
  ext: string,
  report: ChunkIncrementalReport,
  warnings: WarningLog,
): Promise<void> {
  const frames = prints.captured as string[];
  const key = chunkKey(global, job, frames);
  const record = rangeKey(global, job);
  try {
    await store.put(key, ext, file);
    await store.writeRecord('ranges', record, { lists: withRangeHistory(rangeLists(await store.readRecord('ranges', record)), frames) });
    report.key = key;
  } catch (error) {
    warnings.add({
      code: 'incremental',
      message: `chunk ${job.index}: its segment could not be kept in the cache (${store.dir}) for later incremental renders: ${error instanceof Error ? error.message : String(error)}`,
    });
  }
}

/** The frame-key lists of a `ranges/` record (`{ lists }`), none when it is absent or malformed. */
function rangeLists(record: unknown): string[][] {
  const lists = (record as { lists?: unknown } | undefined)?.lists;
  return Array.isArray(lists) ? lists.filter((l): l is string[] => Array.isArray(l) && l.every((k) => typeof k === 'string')) : [];
}

function chunkDetail(job: ChunkJob): { chunk: { index: number; first: number; count: number } } {
  return { chunk: { index: job.index, first: job.first, count: job.count } };
}

/** What the pages load, from the plan's own copies. */
async function pageSetupFromPlan(opened: OpenedPlan): Promise<PageSetup> {
  const { plan, resolve } = opened;
  return {
    rootDir: resolve('project'),
    entryFile: resolve(plan.render.entry),
    html: await readFile(resolve(plan.page.html), 'utf8'),
    routes: plan.page.routes.map((r) => ('file' in r ? { path: r.path, file: resolve(r.file) } : r)),
    mounts: plan.page.mounts.map((m) => ({ prefix: m.prefix, dir: resolve(m.dir) })),
    fonts: plan.page.fonts,
    width: plan.render.width,
    height: plan.render.height,
    requiresWebGpu: plan.page.requiresWebGpu,
  };
}
