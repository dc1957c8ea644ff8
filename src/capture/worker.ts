/**
 * A capture worker: one page showing the composition, driven frame by frame.
 *
 * Opening: the in-page runtime is injected before any page script runs (`evaluateOnNewDocument`), the
 * page is loaded, `window.__framesmith.ready()` is awaited, then the stages' `setupPage` hooks run.
 * Per frame: `seek(frameIndex, time)` → `beforeCapture` hooks → capture (PNG or JPEG), or, when the
 * page drew nothing since this worker's previous screenshot (or drew the same pixels), that image again
 * (page.ts).
 *
 * Anything that goes wrong in the page fails the frame with a `CaptureError` naming it: an uncaught
 * exception (`pageerror`), an entry in `window.__framesmith.errors`, or a request that failed or
 * answered 4xx/5xx (the URL is named). Every step (load, ready, setup, seek, paint, capture) is
 * bounded by its deadline, and a crashed page fails it at once (deadlines.ts).
 */
import type { Browser, HTTPRequest, HTTPResponse } from 'puppeteer-core';
import { TimeoutError } from '../browser/puppeteer.js';
import type { ReadyInfo as PageReadyInfo } from '../browser/page-api.js';
import { WEBGL_MISSING_EXPRESSION } from '../browser/runtime-config.js';
import type { CaptureMode } from '../browser/launch.js';
import { DEFAULT_DEADLINES, PageGuard, type Deadlines } from './deadlines.js';
import { CaptureError } from './errors.js';
import type { CaptureHooks } from './hooks.js';
import { openCapturePage, type CapturePage, type FrameImageFormat, type OpenPageOptions } from './page.js';
import { judgeRequest, referrersInPage, type RequestFailure, type RequestVerdict } from './requests.js';
import type { RenderWarning } from '../warnings.js';

/**
 * What a capture worker loads (`url`, with `runtime` injected first), at what size (`width`×`height`, CSS px)
 * and background, and how it captures.
 */
export interface WorkerOptions {
  url: string;
  /** The runtime script (src/browser/runtime.ts `runtimeScript`). */
  runtime: string;
  width: number;
  height: number;
  transparent: boolean;
  /** See OpenPageOptions.genericFamily. */
  genericFamily?: OpenPageOptions['genericFamily'];
  /** Default png. */
  imageFormat?: FrameImageFormat;
  /** See OpenPageOptions.deviceScaleFactor. Default 1. */
  deviceScaleFactor?: number;
  /** See OpenPageOptions.browserContextId. */
  browserContextId?: string;
  hooks?: CaptureHooks;
  /** The deadlines of every wait on the page. Default `DEFAULT_DEADLINES`. */
  deadlines?: Deadlines;
  /**
   * Reuse the previous image instead of taking a screenshot when the page drew nothing since it
   * (`CapturePage.captureIfChanged`: beginframe mode). Default true; false takes one every frame.
   */
  reuseUnchanged?: boolean;
}

/** What the page's `ready()` resolved with, plus what the worker read from the page right after it. */
export interface ReadyInfo extends PageReadyInfo {
  /** html, body and the composition root all have a fully transparent background. */
  transparentStage: boolean;
  /** What the page noted by then in `window.__framesmith.warnings` (e.g. a rejected build step). */
  pageWarnings: string[];
}

/** Per-stage time spent by a worker, ms. */
export interface WorkerTimings {
  seek: number;
  hooks: number;
  capture: number;
}

/** Frames a worker returned: by a screenshot, or its previous image again (nothing was drawn since). */
export interface WorkerFrameCounts {
  captured: number;
  reused: number;
}

/** What went wrong in the page; `frame` is the frame being rendered when it happened (none while loading). */
type Problem = { message: string; url?: string; code: 'page_error' | 'request_failed'; frame?: number };

const SCRIPT_FIX = 'fix the page script: a composition must load and seek without errors';

function pageThrew(error: unknown): Problem {
  return { code: 'page_error', message: `the page threw: ${error instanceof Error ? error.message : String(error)} — ${SCRIPT_FIX}` };
}

/**
 * One page of a browser showing the composition (see the module comment); create it with `open`. What goes
 * wrong in the page rejects as a `CaptureError` (`page_error`, `request_failed`, `timeout`, `browser_crashed`).
 */
export class CaptureWorker {
  readonly timings: WorkerTimings = { seek: 0, hooks: 0, capture: 0 };
  readonly frames: WorkerFrameCounts = { captured: 0, reused: 0 };
  /** The image the last screenshot of `renderFrame` returned (what a frame with no change reuses). */
  private lastImage: Buffer | null = null;
  private readonly problems: Problem[] = [];
  /** The frame `renderFrame` works on (undefined before the first): a problem arriving meanwhile names it. */
  private currentFrame: number | undefined;
  /** Failed requests the render can do without, not yet reported (see requests.ts). */
  private pendingWarnings: RequestVerdict[] = [];

  private constructor(
    readonly index: number,
    readonly capturePage: CapturePage,
    readonly guard: PageGuard,
    readonly info: ReadyInfo,
    private readonly options: WorkerOptions,
  ) {}

  /** Opens a page, loads the composition and waits until it is ready to seek. */
  static async open(browser: Browser, mode: CaptureMode, index: number, options: WorkerOptions): Promise<CaptureWorker> {
    const capturePage = await openCapturePage(browser, mode, {
      width: options.width,
      height: options.height,
      transparent: options.transparent,
      imageFormat: options.imageFormat,
      genericFamily: options.genericFamily,
      deviceScaleFactor: options.deviceScaleFactor,
      browserContextId: options.browserContextId,
    });
    // Until the worker exists, problems collect here; afterwards they go to the worker.
    let problems: Problem[] = [];
    let warnings: RequestVerdict[] = [];
    const { page } = capturePage;
    const failed = (failure: RequestFailure) => {
      const verdict = judgeRequest(options.url, failure);
      if (verdict.severity === 'error') problems.push({ code: 'request_failed', url: verdict.url, message: verdict.message });
      else warnings.push(verdict);
    };
    page.on('pageerror', (error: unknown) => problems.push(pageThrew(error)));
    page.on('requestfailed', (request: HTTPRequest) => {
      // Answered with an error status: reported by the response. Cancelled by the page itself (a
      // replaced image source, a navigation): not a failure.
      if (request.response() || request.failure()?.errorText === 'net::ERR_ABORTED') return;
      failed({ url: request.url(), errorText: request.failure()?.errorText, resourceType: request.resourceType() });
    });
    page.on('response', (response: HTTPResponse) => {
      if (response.status() >= 400 && !response.url().endsWith('/favicon.ico'))
        failed({ url: response.url(), status: response.status(), resourceType: response.request().resourceType() });
    });
    const deadlines = options.deadlines ?? DEFAULT_DEADLINES;
    const guard = new PageGuard(browser, page, options.url, deadlines);
    try {
      await page.evaluateOnNewDocument(options.runtime);
      await guard.within(capturePage.pumpWhile(page.goto(options.url, { waitUntil: 'load', timeout: deadlines.browserTimeoutMs })), {
        phase: 'load',
      });
      const ready = await guard.within(
        capturePage.pumpWhile(
          page.evaluate(async () => {
            const fs = window.__framesmith;
            if (!fs) throw new Error('the framesmith runtime is missing from the page');
            const info = await fs.ready();
            const transparent = (el: Element | null) => !el || /rgba\(.*,\s*0\)$|transparent/.test(getComputedStyle(el).backgroundColor);
            const root = document.querySelector('[data-composition-id]');
            return {
              ...info,
              transparentStage: transparent(document.documentElement) && transparent(document.body) && transparent(root),
              pageWarnings: fs.warnings.slice(),
            };
          }),
        ),
        { phase: 'ready' },
      );
      const worker = new CaptureWorker(index, capturePage, guard, ready, options);
      worker.problems.push(...problems);
      problems = worker.problems;
      worker.pendingWarnings = warnings;
      warnings = worker.pendingWarnings;
      worker.throwIfProblems();
      if (options.hooks?.setupPage) await guard.within(capturePage.pumpWhile(options.hooks.setupPage(page, index)), { phase: 'setup' });
      return worker;
    } catch (error) {
      // A page that uses WebGL without checking for it fails here when the browser has none. A
      // stuck or crashed page is not asked (its browser is gone).
      const webglRefused = guard.failure ? false : await page.evaluate(WEBGL_MISSING_EXPRESSION).then(Boolean, () => false);
      guard.dispose();
      await capturePage.close();
      const first = guard.failure ? undefined : problems[0];
      const failure = first
        ? new CaptureError(first.code, first.message, { url: first.url }, { cause: error })
        : error instanceof CaptureError
          ? error
          : loadFailure(error, options.url);
      throw webglRefused
        ? new CaptureError(failure.code, failure.message, { ...failure.fields, webglRefused }, { cause: failure.cause })
        : failure;
    }
  }

  /**
   * Seeks to frame `frameIndex` at `time` seconds, runs the hooks and returns the frame (PNG or JPEG):
   * a screenshot, or the previous one's Buffer itself when the page drew nothing since (see
   * `WorkerOptions.reuseUnchanged`).
   */
  async renderFrame(frameIndex: number, time: number): Promise<Buffer> {
    const { page } = this.capturePage;
    const step = (phase: 'seek' | 'paint' | 'capture') => ({ phase, frame: frameIndex, time });
    this.currentFrame = frameIndex;
    let t = performance.now();
    const errors = await this.guard.within(
      this.capturePage.pumpWhile(
        page.evaluate(
          async (i: number, s: number) => {
            const fs = window.__framesmith!;
            await fs.seek(i, s);
            return fs.errors.slice();
          },
          frameIndex,
          time,
        ),
        20,
      ),
      step('seek'),
    );
    this.timings.seek += performance.now() - t;
    for (const message of errors)
      this.problems.push({
        code: 'page_error',
        frame: frameIndex,
        message: `the page reported an error at frame ${frameIndex} (${time.toFixed(3)} s): ${message} — ${SCRIPT_FIX}`,
      });
    this.throwIfProblems();
    if (this.options.hooks?.beforeCapture) {
      t = performance.now();
      await this.guard.within(this.capturePage.pumpWhile(this.options.hooks.beforeCapture(page, frameIndex, time), 20), step('paint'));
      this.timings.hooks += performance.now() - t;
    }
    t = performance.now();
    // captureIfChanged captures on its first call, and this worker is its only caller: when it answers
    // null, `lastImage` holds the image of its previous answer.
    const reuse = this.options.reuseUnchanged !== false;
    const image = await this.guard.within(reuse ? this.capturePage.captureIfChanged() : this.capturePage.capture(), step('capture'));
    this.timings.capture += performance.now() - t;
    this.throwIfProblems();
    if (image === null) {
      this.frames.reused++;
      return this.lastImage!;
    }
    this.frames.captured++;
    this.lastImage = image;
    return image;
  }

  /**
   * Starts a new range on a page kept from an earlier one (a worker's next chunk): its first frame is
   * a screenshot, never the previous range's image, and `frames` counts from zero again.
   */
  beginRange(): void {
    this.capturePage.forgetImage();
    this.lastImage = null;
    this.frames.captured = 0;
    this.frames.reused = 0;
  }

  /**
   * The warnings gathered since the last call (the page's notes from its ready, failed requests the
   * render did without), each request naming the element that refers to the URL when there is one.
   */
  async takeWarnings(): Promise<RenderWarning[]> {
    // The page's own notes once (every worker's page makes the same; the log keeps one of each).
    const notes = this.info.pageWarnings.splice(0).map((message): RenderWarning => ({ code: 'page', message: `the page: ${message}` }));
    const verdicts = this.pendingWarnings.splice(0);
    if (verdicts.length === 0) return notes;
    const referrers = await this.capturePage.page
      .evaluate(
        referrersInPage,
        verdicts.map((v) => v.url),
      )
      .catch(() => verdicts.map(() => null));
    return [
      ...notes,
      ...verdicts.map((v, i): RenderWarning => {
        const element = referrers[i] ?? undefined;
        return {
          code: 'asset_unavailable',
          url: v.url,
          ...(element ? { element } : {}),
          message: `${element ?? 'the page (CSS or a script)'}: ${v.message}`,
        };
      }),
    ];
  }

  /** Runs `hooks.setupPage` on this page (bounded like the page's ready), then keeps the hooks for every frame. */
  async attachHooks(hooks: CaptureHooks): Promise<void> {
    if (hooks.setupPage)
      await this.guard.within(this.capturePage.pumpWhile(hooks.setupPage(this.capturePage.page, this.index)), { phase: 'setup' });
    this.setHooks(hooks);
  }

  /** Replaces the hooks (the first page opens before the stages are prepared). */
  setHooks(hooks: CaptureHooks): void {
    this.options.hooks = hooks;
  }

  /** Throws the first problem the page reported, if any. */
  throwIfProblems(): void {
    const first = this.problems[0];
    if (!first) return;
    // An error thrown by the page's own handlers (a `pageerror`) carries no frame: it belongs to the
    // frame being rendered when it arrived.
    const frame = first.frame ?? this.currentFrame;
    throw new CaptureError(first.code, first.message, { url: first.url, ...(frame === undefined ? {} : { frame }) });
  }

  close(): Promise<void> {
    this.guard.dispose();
    return this.capturePage.close();
  }
}

/** The frames `workers` returned, summed: by a screenshot, or reused (see `WorkerOptions.reuseUnchanged`). */
export function frameCounts(workers: readonly CaptureWorker[]): WorkerFrameCounts {
  return workers.reduce((sum, w) => ({ captured: sum.captured + w.frames.captured, reused: sum.reused + w.frames.reused }), {
    captured: 0,
    reused: 0,
  });
}

function loadFailure(error: unknown, url: string): CaptureError {
  const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
  return new CaptureError(
    error instanceof TimeoutError ? 'timeout' : 'page_error',
    `could not load ${url}: ${message}`,
    {},
    { cause: error },
  );
}
