/**
 * A capture worker: one page showing the composition, driven frame by frame.
 *
 * Opening: the in-page runtime is injected before any page script runs (`evaluateOnNewDocument`), the
 * page is loaded, `window.__framesmith.ready()` is awaited, then the stages' `setupPage` hooks run.
 * Per frame: `seek(frameIndex, time)` → `beforeCapture` hooks → capture (PNG).
 *
 * Anything that goes wrong in the page fails the frame with a `CaptureError` naming it: an uncaught
 * exception (`pageerror`), an entry in `window.__framesmith.errors`, or a request that failed or
 * answered 4xx/5xx (the URL is named).
 */
import type { Browser, HTTPRequest, HTTPResponse } from 'puppeteer-core';
import type { ReadyInfo as PageReadyInfo } from '../browser/page-api.js';
import { WEBGL_MISSING_EXPRESSION } from '../browser/runtime-config.js';
import type { CaptureMode } from '../browser/launch.js';
import { CaptureError } from './errors.js';
import type { CaptureHooks } from './hooks.js';
import { openCapturePage, type CapturePage, type FrameImageFormat } from './page.js';

export interface WorkerOptions {
  url: string;
  /** The runtime script (src/browser/runtime.ts `runtimeScript`). */
  runtime: string;
  width: number;
  height: number;
  transparent: boolean;
  /** Default png. */
  imageFormat?: FrameImageFormat;
  hooks?: CaptureHooks;
  /** Page load + ready timeout, ms. Default 60 s. */
  loadTimeoutMs?: number;
  /** Per-frame seek timeout, ms. Default 30 s. */
  seekTimeoutMs?: number;
}

export interface ReadyInfo extends PageReadyInfo {
  /** html, body and the composition root all have a fully transparent background. */
  transparentStage: boolean;
}

/** Per-stage time spent by a worker, ms. */
export interface WorkerTimings {
  seek: number;
  hooks: number;
  capture: number;
}

type Problem = { message: string; url?: string; code: 'page_error' | 'request_failed' };

const SCRIPT_FIX = 'fix the page script: a composition must load and seek without errors';

function pageThrew(error: unknown): Problem {
  return { code: 'page_error', message: `the page threw: ${error instanceof Error ? error.message : String(error)} — ${SCRIPT_FIX}` };
}

/** A failed request, with the fix: a project file to add, or an external URL to bring into the project. */
function requestProblem(pageUrl: string, url: string, why: string): Problem {
  const local = new URL(url).origin === new URL(pageUrl).origin;
  const fix = local
    ? `the file ${decodeURIComponent(new URL(url).pathname).replace(/^\//, '')} is missing from the project: add it or fix the reference`
    : 'renders must not depend on the network: copy the file into the project directory and reference it by a relative path';
  return { code: 'request_failed', url, message: `could not load ${url} (${why}) — ${fix}` };
}

export class CaptureWorker {
  readonly timings: WorkerTimings = { seek: 0, hooks: 0, capture: 0 };
  private readonly problems: Problem[] = [];

  private constructor(readonly index: number, readonly capturePage: CapturePage, readonly info: ReadyInfo, private readonly options: WorkerOptions) {}

  /** Opens a page, loads the composition and waits until it is ready to seek. */
  static async open(browser: Browser, mode: CaptureMode, index: number, options: WorkerOptions): Promise<CaptureWorker> {
    const capturePage = await openCapturePage(browser, mode, { width: options.width, height: options.height, transparent: options.transparent, imageFormat: options.imageFormat });
    // Until the worker exists, problems collect here; afterwards they go to the worker.
    let problems: Problem[] = [];
    const { page } = capturePage;
    page.on('pageerror', (error: unknown) => problems.push(pageThrew(error)));
    page.on('requestfailed', (request: HTTPRequest) => problems.push(requestProblem(options.url, request.url(), request.failure()?.errorText ?? 'failed')));
    page.on('response', (response: HTTPResponse) => {
      if (response.status() >= 400 && !response.url().endsWith('/favicon.ico')) problems.push(requestProblem(options.url, response.url(), `HTTP ${response.status()}`));
    });
    const loadTimeout = options.loadTimeoutMs ?? 60_000;
    try {
      await page.evaluateOnNewDocument(options.runtime);
      await capturePage.pumpWhile(page.goto(options.url, { waitUntil: 'load', timeout: loadTimeout }));
      const ready = await capturePage.pumpWhile(withTimeout(
        page.evaluate(async () => {
          const fs = window.__framesmith;
          if (!fs) throw new Error('the framesmith runtime is missing from the page');
          const info = await fs.ready();
          const transparent = (el: Element | null) => !el || /rgba\(.*,\s*0\)$|transparent/.test(getComputedStyle(el).backgroundColor);
          const root = document.querySelector('[data-composition-id]');
          return { ...info, transparentStage: transparent(document.documentElement) && transparent(document.body) && transparent(root) };
        }),
        loadTimeout,
        () => new CaptureError('timeout', `${options.url} was not ready after ${loadTimeout} ms: check for a script that never finishes loading (window.__framesmith.ready() did not resolve)`),
      ));
      const worker = new CaptureWorker(index, capturePage, ready, options);
      worker.problems.push(...problems);
      problems = worker.problems;
      worker.throwIfProblems();
      if (options.hooks?.setupPage) await capturePage.pumpWhile(options.hooks.setupPage(page, index));
      return worker;
    } catch (error) {
      // A page that uses WebGL without checking for it fails here when the browser has none.
      const webglRefused = await page.evaluate(WEBGL_MISSING_EXPRESSION).then(Boolean, () => false);
      await capturePage.close();
      const first = problems[0];
      const failure = first ? new CaptureError(first.code, first.message, first.url, { cause: error })
        : error instanceof CaptureError ? error
          : loadFailure(error, options.url);
      failure.webglRefused = webglRefused;
      throw failure;
    }
  }

  /** Seeks to frame `frameIndex` at `time` seconds, runs the hooks and returns the frame (PNG or JPEG). */
  async renderFrame(frameIndex: number, time: number): Promise<Buffer> {
    const { page } = this.capturePage;
    const seekTimeout = this.options.seekTimeoutMs ?? 30_000;
    let t = performance.now();
    const errors = await this.capturePage.pumpWhile(withTimeout(
      page.evaluate(async (i: number, s: number) => {
        const fs = window.__framesmith!;
        await fs.seek(i, s);
        return fs.errors.slice();
      }, frameIndex, time),
      seekTimeout,
      () => new CaptureError('timeout', `seeking ${this.options.url} to frame ${frameIndex} (${time.toFixed(3)} s) took longer than ${seekTimeout} ms`),
    ), 20);
    this.timings.seek += performance.now() - t;
    for (const message of errors) this.problems.push({ code: 'page_error', message: `the page reported an error at frame ${frameIndex} (${time.toFixed(3)} s): ${message} — ${SCRIPT_FIX}` });
    this.throwIfProblems();
    if (this.options.hooks?.beforeCapture) {
      t = performance.now();
      await this.capturePage.pumpWhile(this.options.hooks.beforeCapture(page, frameIndex, time), 20);
      this.timings.hooks += performance.now() - t;
    }
    t = performance.now();
    const png = await this.capturePage.capture();
    this.timings.capture += performance.now() - t;
    this.throwIfProblems();
    return png;
  }

  /** Replaces the hooks (the first page opens before the stages are prepared). */
  setHooks(hooks: CaptureHooks): void {
    this.options.hooks = hooks;
  }

  /** Throws the first problem the page reported, if any. */
  throwIfProblems(): void {
    const first = this.problems[0];
    if (first) throw new CaptureError(first.code, first.message, first.url);
  }

  close(): Promise<void> {
    return this.capturePage.close();
  }
}

function withTimeout<T>(work: Promise<T>, ms: number, makeError: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(makeError()), ms); });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function loadFailure(error: unknown, url: string): CaptureError {
  const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
  return new CaptureError(/timeout/i.test(message) ? 'timeout' : 'page_error', `could not load ${url}: ${message}`, undefined, { cause: error });
}
