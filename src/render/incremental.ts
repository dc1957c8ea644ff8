/**
 * Incremental planned renders: a chunk whose frames would all be drawn as when its segment was last
 * encoded takes that segment from the cache (src/cache/segments.ts) instead of capturing and encoding.
 *
 * - A frame's key is the page's fingerprint after the frame was seeked and its video frame painted
 *   (src/browser/runtime/fingerprint.ts: stylesheets, fonts, the rendered DOM, animations), with the
 *   video painter's frame URLs rewritten to the frame directories' content keys (the page's URLs hold a
 *   per-session port and mount number). A frame the page cannot fingerprint (a canvas, an iframe…) has
 *   no key: its chunk is always rendered.
 * - A render's global part (`renderPrint`) is everything else that decides pixels: the project files'
 *   content hashes from the plan (the HTML documents aside: their content is the DOM, audio and video
 *   sources aside: sound is not in a segment, video frames are in the frame keys), the size, rate and
 *   scale, the encoder settings (the render's and every preset's: `encoderSettingsPrint`), the
 *   browser, ffmpeg and framesmith versions, fonts and seed.
 * - A chunk's key (`chunkKey`) hashes the global part, its frame range and its frames' keys.
 *
 * How a chunk uses it (src/render/chunk.ts): when the range was rendered before (a `ranges/` record
 * of the same global part holds the frame keys of its last `RANGE_HISTORY` versions), the chunk seeks
 * its first page through the range, fingerprinting each frame without a screenshot, and stops at the
 * first frame no version has; a version matched in full whose segment is in the store: the segment is
 * taken. Otherwise the chunk is captured as always — its pages loaded afresh when the check went past
 * the range's first frame (a page cannot go back in time, runtime.ts) — each frame fingerprinted just
 * before its screenshot; the segment and the range's keys are then stored. A local planned render
 * keeps each worker's session from chunk to chunk (src/render/chunk-session.ts), so a reused chunk
 * costs only its seeks.
 *
 * A whole-render hit (src/render/planned.ts): the plan's hash is the hash of its whole content, so the
 * same plan in chunks of the same size draws the same frames; the chunk keys of its last render
 * (`renders/` record) whose segments are all in the store are assembled without starting a chunk.
 * Before any plan, a render whose inputs all hash as they did for the last render of the same options
 * is assembled from that render's record without a browser (src/render/plan-memo.ts).
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Page } from 'puppeteer-core';
import type { PageFingerprint } from '../browser/page-api.js';
import type { CaptureHooks } from '../capture/hooks.js';
import type { CaptureWorker } from '../capture/worker.js';
import type { SegmentStore } from '../cache/segments.js';
import { segmentFileName, type ChunkIncrementalReport, type ChunkJob, type ChunkResult } from '../plan/chunks.js';
import { encoderSettingsPrint } from '../encode/video-args.js';
import type { RenderStorage } from '../storage/storage.js';
import type { RenderPlan } from '../plan/types.js';
import { FRAMESMITH_VERSION } from '../version.js';

/** Bumped when what a fingerprint covers changes: keys of another version never match. */
export const INCREMENTAL_VERSION = 1;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Plan files that are not in a render's global part (see the module comment). */
function outsideGlobal(file: string, plan: RenderPlan): boolean {
  return (
    /\.html?$/i.test(file) ||
    file === plan.page.runtime ||
    file === plan.page.html ||
    file === plan.audio?.file ||
    file.startsWith('sources/')
  );
}

/** The global part of every frame of `plan` (see the module comment), as a hex SHA-256. */
export function renderPrint(plan: RenderPlan): string {
  const { render, output, page, browser, tools } = plan;
  return sha256(
    JSON.stringify({
      v: INCREMENTAL_VERSION,
      framesmith: FRAMESMITH_VERSION,
      tools,
      browser,
      render: { id: render.compositionId, w: render.width, h: render.height, scale: render.deviceScaleFactor ?? 1, fps: render.fps },
      output,
      encoder: encoderSettingsPrint(),
      page: { fonts: page.fonts, webGpu: page.requiresWebGpu, root: page.rootOptions, seed: page.seed },
      files: plan.files.filter((f) => !outsideGlobal(f.path, plan)).map((f) => [f.path, f.sha256]),
    }),
  );
}

/** The key of the chunk `job` whose frames have `frameKeys` under the global part `global`. */
export function chunkKey(global: string, job: Pick<ChunkJob, 'first' | 'count'>, frameKeys: readonly string[]): string {
  return sha256(JSON.stringify([global, job.first, job.count, frameKeys]));
}

/** The key of the `ranges/` record of frames `job.first`… under `global`. */
export function rangeKey(global: string, job: Pick<ChunkJob, 'first' | 'count'>): string {
  return sha256(JSON.stringify(['range', global, job.first, job.count]));
}

/** The key of the `renders/` record of plan `planHash` cut in chunks of `chunkFrames`. */
export function renderKey(planHash: string, chunkFrames: number): string {
  return sha256(JSON.stringify(['render', INCREMENTAL_VERSION, planHash, chunkFrames]));
}

/**
 * A chunk's frame keys as its pages are fingerprinted. `serveDirectory` wraps the session's (for the
 * video painter) to learn which URL prefix serves which frame directory; `frameKey` turns a page's
 * fingerprint into the frame's key.
 */
export class FramePrints {
  /** URL prefix → `frames:<directory name>/` (frame directories are named by their content's key). */
  private readonly prefixes = new Map<string, string>();
  /** Keys of the chunk's frames by offset from its first (null: no key), as captured. */
  readonly captured: Array<string | null>;
  pageMs = 0;
  dirty: string | undefined;

  constructor(private readonly job: Pick<ChunkJob, 'first' | 'count'>) {
    this.captured = new Array<string | null>(job.count).fill(null);
  }

  /** `serve` that also records the URL prefix of each directory it serves. */
  serveDirectory(serve: (dir: string) => (file: string) => string): (dir: string) => (file: string) => string {
    return (dir) => {
      const urlOf = serve(dir);
      const probe = urlOf(path.join(dir, 'x'));
      this.prefixes.set(probe.slice(0, -1), `frames:${path.basename(dir)}/`);
      return urlOf;
    };
  }

  /** The frame's key from the page's fingerprint, or null (recording why in `dirty`). */
  frameKey(print: PageFingerprint): string | null {
    this.pageMs += print.ms;
    if (print.dirty !== null) {
      this.dirty ??= print.dirty;
      return null;
    }
    let video = print.video;
    for (const [prefix, name] of this.prefixes) video = video.split(prefix).join(name);
    return sha256(`${print.hash}\n${video}`);
  }

  /** The key of the frame `page` shows now. */
  async keyOf(page: Page): Promise<string | null> {
    const print = await page.evaluate(() => window.__framesmith!.fingerprint());
    return this.frameKey(print);
  }

  /**
   * `hooks` that also fingerprint each captured frame after its `beforeCapture` (the video frame
   * painted), into `captured`.
   */
  recording(hooks: CaptureHooks): CaptureHooks {
    return {
      ...hooks,
      beforeCapture: async (page, frameIndex, time) => {
        await hooks.beforeCapture?.(page, frameIndex, time);
        const offset = frameIndex - this.job.first;
        if (offset >= 0 && offset < this.captured.length) this.captured[offset] = await this.keyOf(page);
      },
    };
  }

  /**
   * Seeks `worker`'s page through the chunk's frames in order (each painted by `hooks`, never
   * captured) while some list of `candidates` (the range's frame keys of earlier renders) has every
   * key so far; resolves with the frames checked (compared), the frames the page was seeked through
   * (`seeked` ≥ `checked`: without video, frames after the first go to the page `CHECK_BATCH` at a
   * time), and the list that matched all of them, or null. The page is left at the last frame seeked:
   * past the range's first frame, load it afresh before capturing.
   */
  async check(
    worker: CaptureWorker,
    hooks: CaptureHooks,
    candidates: ReadonlyArray<readonly string[]>,
    timeOf: (frame: number) => number,
  ): Promise<{ checked: number; seeked: number; matched: readonly string[] | null }> {
    const left = candidates.filter((c) => c.length === this.job.count);
    return hooks.beforeCapture ? this.checkEach(worker, hooks, left, timeOf) : this.checkInBatches(worker, left, timeOf);
  }

  /**
   * `check` without video to paint: one call to the page seeks and fingerprints the first frame (an
   * edit usually shows there, and the page stays where the capture begins), then `CHECK_BATCH` frames
   * a call (one protocol round trip instead of one a frame).
   */
  private async checkInBatches(
    worker: CaptureWorker,
    candidates: ReadonlyArray<readonly string[]>,
    timeOf: (frame: number) => number,
  ): Promise<{ checked: number; seeked: number; matched: readonly string[] | null }> {
    const { page } = worker.capturePage;
    let left = candidates;
    let offset = 0;
    while (offset < this.job.count && left.length > 0) {
      const size = offset === 0 ? 1 : Math.min(CHECK_BATCH, this.job.count - offset);
      const frames = Array.from({ length: size }, (_, i) => {
        const frame = this.job.first + offset + i;
        return { frame, time: timeOf(frame) };
      });
      const seeked = await guarded(
        worker,
        page.evaluate(async (list: Array<{ frame: number; time: number }>) => {
          const out: Array<PageFingerprint | null> = [];
          for (const f of list) {
            await window.__framesmith!.seek(f.frame, f.time);
            // A page that reported an error is rendered: the capture reports it as it always does.
            if (window.__framesmith!.errors.length > 0) {
              out.push(null);
              break;
            }
            out.push(await window.__framesmith!.fingerprint());
          }
          return out;
        }, frames),
        { phase: 'seek', frame: frames[0]!.frame, time: frames[0]!.time },
      );
      const base = offset;
      for (const print of seeked) {
        const key = print ? this.frameKey(print) : null;
        left = key === null ? [] : left.filter((c) => c[offset] === key);
        offset++;
        if (left.length === 0) return { checked: offset, seeked: base + seeked.length, matched: null };
      }
    }
    return { checked: offset, seeked: offset, matched: left[0] ?? null };
  }

  /** `check` with video: each frame seeked, painted by `hooks` and fingerprinted in calls of its own. */
  private async checkEach(
    worker: CaptureWorker,
    hooks: CaptureHooks,
    candidates: ReadonlyArray<readonly string[]>,
    timeOf: (frame: number) => number,
  ): Promise<{ checked: number; seeked: number; matched: readonly string[] | null }> {
    const { page } = worker.capturePage;
    let left = candidates;
    for (let offset = 0; offset < this.job.count && left.length > 0; offset++) {
      const frame = this.job.first + offset;
      const time = timeOf(frame);
      const step = { phase: 'seek' as const, frame, time };
      const errors = await guarded(
        worker,
        page.evaluate(
          async (i: number, t: number) => {
            await window.__framesmith!.seek(i, t);
            return window.__framesmith!.errors.length;
          },
          frame,
          time,
        ),
        step,
      );
      // A page that reported an error is rendered: the capture reports it as it always does.
      if (errors > 0) return { checked: offset + 1, seeked: offset + 1, matched: null };
      const key = await guarded(
        worker,
        (async () => {
          await hooks.beforeCapture?.(page, frame, time);
          return this.keyOf(page);
        })(),
        { ...step, phase: 'paint' },
      );
      left = key === null ? [] : left.filter((c) => c[offset] === key);
      if (left.length === 0) return { checked: offset + 1, seeked: offset + 1, matched: null };
    }
    return { checked: this.job.count, seeked: this.job.count, matched: left[0] ?? null };
  }
}

/**
 * `work` on `worker`'s page under its deadline guard, with frames pumped while it runs (a page that
 * awaits an animation frame needs them in beginFrame mode); `step` names what a passed deadline was doing.
 */
function guarded<T>(worker: CaptureWorker, work: Promise<T>, step: Parameters<CaptureWorker['guard']['within']>[1]): Promise<T> {
  return worker.guard.within(worker.capturePage.pumpWhile(work, 20), step);
}

/** Frames a call to the page seeks and fingerprints in a check without video (after the first frame alone). */
export const CHECK_BATCH = 10;

/** Frame-key lists a `ranges/` record keeps (the latest first): going back to an earlier version of a scene reuses it too. */
export const RANGE_HISTORY = 8;

/** The `ranges/` record's lists with `frames` first, duplicates and lists past `RANGE_HISTORY` dropped. */
export function withRangeHistory(lists: ReadonlyArray<readonly string[]>, frames: readonly string[]): string[][] {
  const same = (a: readonly string[]) => a.length === frames.length && a.every((k, i) => k === frames[i]);
  return [[...frames], ...lists.filter((l) => !same(l)).map((l) => [...l])].slice(0, RANGE_HISTORY);
}

/**
 * The whole-render hit (see the module comment): when the `renders/` record `key` lists one chunk key
 * per job and the store holds every one of those segments, each is placed in the render's segment
 * directory of `storage` and published, and the chunks' results are returned (no chunk started);
 * otherwise null, and nothing is left behind that the render would read.
 */
export async function wholeRenderHit(
  store: SegmentStore,
  key: string,
  jobs: readonly ChunkJob[],
  storage: RenderStorage,
  ext: string,
): Promise<ChunkResult[] | null> {
  const record = await store.readRecord<{ keys?: unknown }>('renders', key);
  const keys = record?.keys;
  if (!ext || !Array.isArray(keys) || keys.length !== jobs.length || !keys.every((k) => typeof k === 'string')) return null;
  for (const k of keys as string[]) if (!(await store.has(k, ext))) return null;
  const renderId = jobs[0]!.renderId;
  const dir = await storage.segmentDir(renderId);
  const results: ChunkResult[] = [];
  for (const [i, job] of jobs.entries()) {
    const name = segmentFileName(job.index, ext);
    // Removed (a gc) since it was looked at: the render goes on the usual way.
    if (!(await store.take(keys[i] as string, ext, path.join(dir, name)))) return null;
    await storage.publishSegment(renderId, name);
    results.push({
      segment: name,
      frames: job.count,
      warnings: [],
      timings: {},
      capture: { captured: 0, reused: 0 },
      incremental: { key: keys[i] as string, reused: true, checked: 0, pageMs: 0 },
    });
  }
  return results;
}

/** `RenderResult.incremental` of a render whose chunks reported `results`. */
export function incrementalSummary(results: readonly ChunkResult[], wholeRender: boolean) {
  const reused = results.filter((r) => r.incremental?.reused);
  return {
    reusedChunks: reused.length,
    renderedChunks: results.length - reused.length,
    reusedFrames: reused.reduce((n, r) => n + r.frames, 0),
    wholeRender,
    recorded: false,
  };
}

/** What `RenderResult.chunks[i].incremental` shows of a chunk's report (its key left out). */
export function chunkReport(report: ChunkIncrementalReport): { reused: boolean; checked: number; pageMs: number; dirty?: string } {
  const { reused, checked, pageMs, dirty } = report;
  return { reused, checked, pageMs, ...(dirty !== undefined ? { dirty } : {}) };
}
