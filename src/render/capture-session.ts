/**
 * `openCaptureSession()`: the one start-up every capture runs — the streaming render, the plan phase,
 * a chunk and the preview — and the one place WebGL is decided. In order: serve the `PageSetup` and set
 * its fonts up (src/render/session.ts), launch the browsers, load the composition in a page of each,
 * attach the hooks the caller's stages give, take the warnings loading produced. Each caller adds only
 * its own steps (through `started` and `loaded`) and its own sink (`CaptureSession.capture`).
 *
 * WebGL under `webgl: 'auto'`: the browsers start without it (faster for 2D pages). A page refused a
 * context while loading gets the browsers started again with WebGL and every page loaded afresh, before
 * the caller's `loaded` step runs. A page refused one later, during capture, drew a blank canvas: the
 * frames captured are dropped with their sink, the browsers start again with WebGL, the pages load
 * afresh with the same hooks, and the range is captured again into a new sink. `on` starts with WebGL;
 * `off` never gives it.
 */
import type { BrowserInfo, CaptureMode } from '../browser/launch.js';
import type { CaptureHooks } from '../capture/hooks.js';
import { captureFrames, type CaptureRunOptions } from '../capture/pool.js';
import type { CaptureWorker } from '../capture/worker.js';
import { hasCode } from '../errors.js';
import type { RenderWarning } from '../warnings.js';
import { RenderSession, type BrowserSettings, type PageSettings, type PageSetup } from './session.js';

/** `RenderOptions.webgl`, resolved. */
export type WebGLSetting = 'auto' | 'on' | 'off';

/** The pages' CSS size and the device scale factor they draw at (a frame is the size times it). */
export interface PageSize {
  width: number;
  height: number;
  deviceScaleFactor: number;
}

/** Where captured frames go (an encoder): written in order, dropped with `abort` when the capture is redone. */
export interface FrameSink {
  write(frame: Buffer): Promise<void>;
  abort(): Promise<void>;
}

/**
 * What `openCaptureSession()` starts and loads: the browsers, the pages and their runtime, and the hooks it calls
 * as it goes (started, loaded) and with every warning.
 */
export interface CaptureSessionSpec {
  setup: PageSetup;
  /** Browsers to start, one per capture worker (>= 1). */
  browsers: number;
  browser: Omit<BrowserSettings, 'webgl' | 'failIfWebGLRefused'>;
  webgl: WebGLSetting;
  page: Omit<PageSettings, 'runtime'>;
  /** The scripts injected before the page's own, made once the server runs (media URLs point at it). */
  runtime(session: RenderSession): Promise<string>;
  /** Given every warning loading produced (the pages' own, characters drawn as boxes). */
  warn(warning: RenderWarning): void;
  /** No WebGL retry once aborted. */
  signal?: AbortSignal;
  /** Called as the browsers start (`browser`) and as the pages start loading (`load`): progress. */
  onStep?(step: 'browser' | 'load'): void;
  /** Runs once the browsers started, before the pages load (a version check, stages that prepare meanwhile). */
  started?(session: RenderSession): Promise<void> | void;
  /**
   * Runs once the pages loaded, with their size: checks of it, and the hooks every page runs (attached
   * now, and again to pages loaded afresh).
   */
  loaded(session: RenderSession, size: PageSize): Promise<CaptureHooks>;
}

/** Opens a capture session (see the module comment). On failure everything it started is closed. */
export async function openCaptureSession(spec: CaptureSessionSpec): Promise<CaptureSession> {
  const timings: Record<string, number> = {};
  let mark = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    timings[name] = Math.round(now - mark);
    mark = now;
  };
  const session = await RenderSession.serve(spec.setup);
  lap('fonts');
  try {
    spec.onStep?.('browser');
    await session.launch(spec.browsers, { ...spec.browser, webgl: spec.webgl === 'on', failIfWebGLRefused: spec.webgl === 'auto' });
    lap('browser');
    spec.onStep?.('load');
    await spec.started?.(session);
    const page: PageSettings = { ...spec.page, runtime: await spec.runtime(session) };
    const size = await openPages(session, page, spec.webgl, spec.signal);
    const hooks = await spec.loaded(session, size);
    await session.attachHooks(hooks);
    lap('load');
    for (const w of await session.takeWarnings()) spec.warn(w);
    return new CaptureSession(session, { page, webgl: spec.webgl, signal: spec.signal, hooks, size, timings });
  } catch (error) {
    await session.close();
    throw error;
  }
}

/** Whether a WebGL retry may happen: `auto`, WebGL not yet on, not aborted. */
function mayRetryWithWebGL(session: RenderSession, webgl: WebGLSetting, signal?: AbortSignal): boolean {
  return webgl === 'auto' && !session.webgl.webgl && !signal?.aborted;
}

/** Loads the composition in every browser's page; a refusal of WebGL while loading under `auto` starts them again with it. */
async function openPages(session: RenderSession, page: PageSettings, webgl: WebGLSetting, signal?: AbortSignal): Promise<PageSize> {
  try {
    return await session.openPages(page);
  } catch (error) {
    if (!(hasCode(error, 'webgl_unavailable') && mayRetryWithWebGL(session, webgl, signal))) throw error;
    await session.enableWebGL();
    return session.openPages(page);
  }
}

/** What `openCaptureSession` settled, kept to load pages afresh the same way. */
interface OpenedState {
  page: PageSettings;
  webgl: WebGLSetting;
  signal?: AbortSignal;
  /** The hooks every page runs. */
  hooks: CaptureHooks;
  /** The pages' size as first loaded. */
  size: PageSize;
  /** ms of the start-up: fonts (server and fonts), browser (launch), load (pages loaded, hooks attached). */
  timings: Readonly<Record<string, number>>;
}

/** An open capture session: its pages loaded with the caller's hooks attached. */
export class CaptureSession {
  constructor(
    readonly session: RenderSession,
    private readonly state: OpenedState,
  ) {}

  /** The pages' CSS size and device scale factor, as first loaded. */
  get size(): PageSize {
    return this.state.size;
  }

  /** ms of the start-up: fonts (server and fonts), browser (launch), load (pages loaded, hooks attached). */
  get timings(): Readonly<Record<string, number>> {
    return this.state.timings;
  }

  get workers(): readonly CaptureWorker[] {
    return this.session.workers;
  }

  get captureMode(): CaptureMode {
    return this.session.captureMode;
  }

  browserInfo(): BrowserInfo {
    return this.session.browserInfo();
  }

  /** The WebGL settings the browsers run with now: a page refused WebGL while loading turned it on. */
  get webglSettings(): { webgl: boolean; failIfWebGLRefused: boolean } {
    return this.session.webgl;
  }

  /** Loads the pages afresh with the same settings and hooks. */
  private async reopen(): Promise<PageSize> {
    const size = await openPages(this.session, this.state.page, this.state.webgl, this.state.signal);
    await this.session.attachHooks(this.state.hooks);
    return size;
  }

  /**
   * Loads every page afresh (the browsers restarted first when `restartBrowsers`) and attaches the
   * hooks again: the preview's way back to frame 0, or past a killed browser.
   */
  async reload(options: { restartBrowsers?: boolean } = {}): Promise<PageSize> {
    if (options.restartBrowsers) await this.session.restartBrowsers();
    await this.session.closePages();
    return this.reopen();
  }

  /**
   * Attaches `hooks` to every page in place of the ones it runs (their `setupPage` runs now), and to
   * pages loaded afresh later: a page kept for another frame range (src/render/chunk-session.ts).
   */
  async replaceHooks(hooks: CaptureHooks): Promise<void> {
    this.state.hooks = hooks;
    await this.session.attachHooks(hooks);
  }

  /**
   * Captures `run`'s frames into the sink `open` gives and returns that sink, with whether the pages
   * drew with WebGL. Under `auto`, a page refused WebGL during the capture: the sink is aborted, the
   * browsers start again with WebGL, and the frames are captured again into a new sink from `open`.
   * A failure leaves the current sink to the caller (it aborts the one `open` gave it last).
   */
  async capture<S extends FrameSink>(
    run: Omit<CaptureRunOptions, 'workers' | 'sink'>,
    open: () => Promise<S>,
  ): Promise<{ sink: S; webgl: boolean }> {
    const into = async (sink: S) => {
      await captureFrames({ ...run, workers: this.session.workers, sink: (frame) => sink.write(frame) });
      return this.session.webglState();
    };
    let sink = await open();
    let state = await into(sink);
    if (state.refused && mayRetryWithWebGL(this.session, this.state.webgl, this.state.signal)) {
      await sink.abort();
      await this.session.enableWebGL();
      await this.reopen();
      sink = await open();
      state = await into(sink);
    }
    return { sink, webgl: state.used };
  }

  /** Warnings the pages collected since last asked (see `RenderSession.takeWarnings`). */
  takeWarnings(): Promise<RenderWarning[]> {
    return this.session.takeWarnings();
  }

  /** Closes the pages, the browsers and the server. Safe to call more than once. */
  close(): Promise<void> {
    return this.session.close();
  }
}
