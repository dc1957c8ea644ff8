/**
 * A render session: what capturing a composition needs running — the project server (the only origin
 * the page may reach), the fonts, one browser per capture worker and a loaded page in each — opened
 * from a `PageSetup`, plain data that a live composition (streaming.ts) or a frozen plan (chunk.ts)
 * gives alike, so both capture through the same code.
 *
 * This is the machinery; every capture opens it through `openCaptureSession()` (capture-session.ts),
 * which decides WebGL: a session started without WebGL under `webgl: 'auto'` fails `openPages` with
 * `webgl_unavailable` when a page was refused a context while loading, and `webglState()` tells after
 * capture whether one was refused later; `enableWebGL()` then starts the browsers again with it.
 */
import type { BrowserInfo, CaptureMode, LaunchedBrowser } from '../browser/launch.js';
import { leaseBrowser } from '../browser/pool.js';
import { WEBGL_MISSING_EXPRESSION, WEBGL_STATE_EXPRESSION } from '../browser/runtime-config.js';
import { startProjectServer, type ProjectServer } from '../browser/server.js';
import { CaptureError } from '../capture/errors.js';
import type { CaptureHooks } from '../capture/hooks.js';
import type { FrameImageFormat } from '../capture/page.js';
import { CaptureWorker } from '../capture/worker.js';
import type { Deadlines } from '../capture/deadlines.js';
import type { ServedAsset } from '../composition/model.js';
import { browserFontFamilies } from '../fonts/generic.js';
import { deliverFonts } from '../fonts/delivery.js';
import { fontDir } from '../fonts/fontconfig.js';
import { CANVAS_RECORDER, evaluateOn, glyphWarnings, missingUnits, type Evaluate } from '../fonts/glyph-check.js';
import type { RenderWarning } from '../warnings.js';
import { RenderError } from './errors.js';
import { checkMeasuredSize } from '../composition/limits.js';

/** Everything the pages of a render load, as plain data. */
export interface PageSetup {
  /** The directory served at the origin's root. */
  rootDir: string;
  /** The HTML file rendered (absolute, inside `rootDir`), answered with `html`. */
  entryFile: string;
  html: string;
  /** Answered besides the directory's files (fetched remote assets, sub-composition files). */
  routes: readonly ServedAsset[];
  /** Directories served under URL prefixes (the vendored gsap). */
  mounts: readonly { prefix: string; dir: string }[];
  /** Bundled font families the document uses, and the fallback units its text needs (src/fonts/fallback.ts). */
  fonts: readonly string[];
  /** From the HTML; absent when the first page must measure the composition's size. */
  width?: number;
  height?: number;
  requiresWebGpu: boolean;
}

/** How `RenderSession.launch()` starts a session's browsers: executable, capture mode, WebGL, deadlines and device scale factor. */
export interface BrowserSettings {
  /** Browser executable; default the bundled headless shell. */
  browserPath?: string;
  captureMode?: CaptureMode;
  webgl: boolean;
  /** Fail with `webgl_unavailable` when a page is refused WebGL while loading (`webgl: 'auto'`). */
  failIfWebGLRefused: boolean;
  /** Deadlines of the browser's start and of every wait on its pages (`resolveDeadlines`, resolved by the caller). */
  deadlines: Deadlines;
  /**
   * The device scale factor for the composition's CSS size (`--resolution`); may throw to refuse the
   * size. Asked at launch when the HTML gives the size, else once the first page measured it (the
   * browsers then start again at that factor). Default: 1.
   */
  deviceScaleFactor?: (size: { width: number; height: number }) => number;
  /** Milliseconds the browsers stay running for a next render once closed (`leaseBrowser`). Default: `keepBrowsersMs()`. */
  keepBrowsersMs?: number;
  /** The owner the kept browsers are tagged with, to close them with `closeIdleBrowsers(owner)`. */
  keptFor?: object;
}

/** How each capture worker's page is loaded: the injected runtime, a transparent background or not, the frame image format. */
export interface PageSettings {
  /** The scripts injected before the page's own (runtime, media guard, WebGL watch). */
  runtime: string;
  transparent: boolean;
  frameFormat: FrameImageFormat;
}

/**
 * A running render session (see the module comment), opened with `RenderSession.serve()`: its server, fonts,
 * browsers and one capture worker per browser; `close()` stops all of them.
 */
export class RenderSession {
  readonly workers: CaptureWorker[] = [];
  private readonly browsers: LaunchedBrowser[] = [];
  private served = 0;

  /** The families and fallback units installed: the setup's, then those the loaded page showed it needs. */
  private fonts: string[];

  private constructor(
    readonly setup: PageSetup,
    readonly server: ProjectServer,
    private fontconfigFile: string,
  ) {
    this.fonts = [...setup.fonts];
  }

  /** The families and fallback units installed so far (the render result's font report lists them). */
  get installedFonts(): readonly string[] {
    return this.fonts;
  }

  /** Starts the project server for `setup` and prepares its fonts; no browser yet. */
  static async serve(setup: PageSetup): Promise<RenderSession> {
    const server = await startProjectServer(setup.rootDir);
    try {
      server.serveText(setup.entryFile, setup.html);
      for (const m of setup.mounts) server.mount(m.prefix, m.dir);
      for (const asset of setup.routes)
        server.route(
          asset.path,
          'file' in asset ? { file: asset.file } : { text: asset.text },
          'text' in asset ? asset.contentType : undefined,
        );
      // fontconfig on Linux; elsewhere web fonts, served with the page (src/fonts/delivery.ts).
      return new RenderSession(setup, server, await deliverFonts(server, setup, setup.fonts));
    } catch (error) {
      await server.close();
      throw error;
    }
  }

  /** URL of a served file (absolute, or relative to the root). */
  urlFor(file: string): string {
    return this.server.urlFor(file);
  }

  /** Serves `dir` under a prefix of its own and returns the URL of a file inside it. */
  serveDirectory(dir: string): (file: string) => string {
    const prefix = `/__framesmith/frames/${this.served++}/`;
    this.server.mount(prefix, dir);
    return (file: string) => this.server.urlFor(file, prefix);
  }

  get captureMode(): CaptureMode {
    return this.browsers[0]!.captureMode;
  }

  /** Launches `count` browsers (one per capture worker: pages of one browser share its compositor). */
  async launch(count: number, settings: BrowserSettings): Promise<void> {
    this.settings = settings;
    const deadlines = this.deadlines;
    const { width, height } = this.setup;
    if (settings.deviceScaleFactor && width !== undefined && height !== undefined)
      this.scale = settings.deviceScaleFactor({ width, height });
    const launches = await Promise.allSettled(
      Array.from({ length: count }, () =>
        leaseBrowser(
          {
            browserPath: settings.browserPath,
            forceMode: settings.captureMode,
            webgl: settings.webgl,
            webgpu: this.setup.requiresWebGpu,
            onlyOrigin: this.server.origin,
            fontconfigFile: this.fontconfigFile,
            timeoutMs: deadlines.browserTimeoutMs,
            protocolTimeoutMs: deadlines.protocolTimeoutMs,
            deviceScaleFactor: this.scale,
          },
          settings.keepBrowsersMs,
          settings.keptFor,
        ),
      ),
    );
    for (const l of launches) if (l.status === 'fulfilled') this.browsers.push(l.value);
    const failed = launches.find((l) => l.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private settings: BrowserSettings | null = null;
  /** The device scale factor the browsers run at. */
  private scale = 1;

  /** Set by `launch`, which every page waits behind. */
  private get deadlines(): Deadlines {
    return this.settings!.deadlines;
  }

  /**
   * Closes the pages, kills the browsers and launches as many afresh with the same settings: after
   * a page got stuck or crashed (its browser was killed), the preview goes on with a new one.
   */
  async restartBrowsers(): Promise<void> {
    if (!this.settings) return;
    await this.closePages();
    const old = this.browsers.splice(0);
    await Promise.allSettled(old.map((b) => b.close()));
    await this.launch(old.length, this.settings);
  }

  /** The browser's version string (`HeadlessChrome/147.0.…`), checked at launch against the bundled binary's. */
  browserVersion(): Promise<string> {
    return Promise.resolve(this.browsers[0]!.version);
  }

  /** Which browser runs: its version, path and source (the render result's `browser`). */
  browserInfo(): BrowserInfo {
    const b = this.browsers[0]!;
    return { version: b.version, path: b.executablePath, source: b.source };
  }

  /**
   * Loads the composition in a page of every browser (hooks come later: `attachHooks`) and resolves with
   * its CSS size — the HTML's, or measured by the first page (then every other page loads at it) — and
   * the device scale factor the pages draw at (a captured frame is the size times it).
   */
  async openPages(page: PageSettings): Promise<{ width: number; height: number; deviceScaleFactor: number }> {
    const url = this.server.urlFor(this.setup.entryFile);
    const open = (index: number, width: number, height: number) =>
      CaptureWorker.open(this.browsers[index]!.browser, this.captureMode, index, {
        url,
        runtime: page.runtime + CANVAS_RECORDER,
        width,
        height,
        transparent: page.transparent,
        imageFormat: page.frameFormat,
        hooks: {},
        genericFamily: browserFontFamilies(),
        deadlines: this.deadlines,
        deviceScaleFactor: this.scale,
        browserContextId: this.browsers[index]!.contextId,
      });
    const openAll = async (indices: number[], width: number, height: number) => {
      const opened = await Promise.allSettled(indices.map((i) => open(i, width, height)));
      for (const r of opened) if (r.status === 'fulfilled') this.workers.push(r.value);
      const rejected = opened.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (rejected) throw this.refusedWhileLoading(rejected.reason) ?? rejected.reason;
    };
    const all = this.browsers.map((_, i) => i);
    let size: { width: number; height: number };
    if (this.setup.width !== undefined && this.setup.height !== undefined) {
      size = { width: this.setup.width, height: this.setup.height };
      await openAll(all, size.width, size.height);
    } else {
      await openAll([0], 1920, 1080);
      size = { width: Math.round(this.workers[0]!.info.width), height: Math.round(this.workers[0]!.info.height) };
      if (!(size.width >= 1 && size.height >= 1)) {
        throw new RenderError(
          'invalid_size',
          `${this.setup.entryFile}: the composition's size is unknown (measured ${size.width}x${size.height}): set data-width and data-height on the root`,
          { file: this.setup.entryFile },
        );
      }
      checkMeasuredSize(size.width, size.height, this.setup.entryFile);
      const scale = this.settings?.deviceScaleFactor?.(size) ?? 1;
      if (scale !== this.scale) {
        // The factor is a launch flag: start the browsers again at it and load every page at the size.
        this.scale = scale;
        await this.restartBrowsers();
        await openAll(all, size.width, size.height);
      } else {
        await this.workers[0]!.capturePage.page.setViewport({ ...size, deviceScaleFactor: scale });
        await openAll(all.slice(1), size.width, size.height);
      }
    }
    if (this.settings?.failIfWebGLRefused && (await this.workers[0]!.capturePage.page.evaluate(WEBGL_MISSING_EXPRESSION)))
      throw webglRefused('while it loaded');
    if (this.setup.requiresWebGpu) await requireWebGpu(this.workers[0]!, this.setup.entryFile);
    if (await this.installMissingFonts()) {
      await this.restartBrowsers();
      return this.openPages(page);
    }
    return { ...size, deviceScaleFactor: this.scale };
  }

  /** `page.evaluate` in a worker's page, bounded like its setup. */
  private evaluateIn(worker: CaptureWorker): Evaluate {
    return evaluateOn(worker.capturePage.page, (work) => worker.guard.within(worker.capturePage.pumpWhile(work), { phase: 'setup' }));
  }

  /**
   * Sets the fonts up again, with the fallback units the first page's text needs that the text known
   * before loading did not show (src/fonts/glyph-check.ts): true when the browsers must restart.
   */
  private async installMissingFonts(): Promise<boolean> {
    const units = await missingUnits(this.evaluateIn(this.workers[0]!), this.fonts, fontDir());
    if (units.length === 0) return false;
    this.fonts.push(...units);
    this.fontconfigFile = await deliverFonts(this.server, this.setup, this.fonts);
    return true;
  }

  /** A load failure of a page that had been refused WebGL, under `failIfWebGLRefused`: the likely cause. */
  private refusedWhileLoading(error: unknown): CaptureError | null {
    return this.settings?.failIfWebGLRefused && error instanceof CaptureError && error.fields.webglRefused
      ? webglRefused('while it loaded', error)
      : null;
  }

  /** Runs each page's `setupPage` hook, then hands the hooks to its worker. */
  async attachHooks(hooks: CaptureHooks): Promise<void> {
    await Promise.all(this.workers.map((w) => w.attachHooks(hooks)));
  }

  /** Warnings the pages collected since last asked, and characters they draw as boxes or from the machine's fonts. */
  async takeWarnings(): Promise<RenderWarning[]> {
    const all: RenderWarning[] = [];
    for (const w of this.workers) all.push(...(await w.takeWarnings()));
    for (const w of this.workers) all.push(...(await glyphWarnings(this.evaluateIn(w), this.fonts, fontDir())));
    return all;
  }

  /**
   * `used`: whether a page drew with WebGL (asked for a context and got one); `refused`: whether a page
   * asked for one and was refused (its canvas stayed blank). A page that cannot answer counts as neither.
   */
  async webglState(): Promise<{ used: boolean; refused: boolean }> {
    const states = await Promise.all(
      this.workers.map((w) =>
        w.capturePage.page.evaluate(WEBGL_STATE_EXPRESSION).then(
          (state) => state as { requested: boolean; missing: boolean },
          () => ({ requested: false, missing: false }),
        ),
      ),
    );
    return { used: states.some((state) => state.requested && !state.missing), refused: states.some((state) => state.missing) };
  }

  /** The WebGL settings the browsers run with now (what a plan freezes). */
  get webgl(): { webgl: boolean; failIfWebGLRefused: boolean } {
    return { webgl: this.settings?.webgl ?? false, failIfWebGLRefused: this.settings?.failIfWebGLRefused ?? false };
  }

  /** Closes the pages and starts the browsers again with WebGL (no longer failing on a refusal): `openPages` next. */
  async enableWebGL(): Promise<void> {
    this.settings = { ...this.settings!, webgl: true, failIfWebGLRefused: false };
    await this.restartBrowsers();
  }

  /** Closes the pages (the browsers stay): `openPages` can load the composition afresh. */
  async closePages(): Promise<void> {
    await Promise.allSettled(this.workers.splice(0).map((w) => w.close()));
  }

  /** Closes the pages, the browsers and the server. Safe to call more than once. */
  async close(): Promise<void> {
    await Promise.allSettled(this.workers.splice(0).map((w) => w.close()));
    await Promise.allSettled(this.browsers.splice(0).map((b) => b.close()));
    await this.server.close().catch(() => {});
  }
}

function webglRefused(when: string, cause?: unknown): CaptureError {
  return new CaptureError(
    'webgl_unavailable',
    `the page asked for a WebGL context ${when}, when the browser had been started without WebGL, so its canvas stayed blank: render with \`webgl: 'on'\`, or create the context while the page loads`,
    {},
    { cause },
  );
}

/** Fails unless the page gets a WebGPU adapter (a composition marked data-requires-webgpu). */
async function requireWebGpu(worker: CaptureWorker, file: string): Promise<void> {
  const found = await worker.capturePage.page
    .evaluate(async () => {
      const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
      if (!gpu) return 'no navigator.gpu';
      const adapter = await Promise.race([gpu.requestAdapter(), new Promise((resolve) => setTimeout(() => resolve('timeout'), 10_000))]);
      return adapter === 'timeout' ? 'requestAdapter() did not answer in 10 s' : adapter ? null : 'requestAdapter() returned null';
    })
    .catch((error: unknown) => String(error));
  if (found !== null) {
    throw new RenderError(
      'webgpu_unavailable',
      `${file} is marked data-requires-webgpu, but this browser has no WebGPU adapter (${found}): render on a machine with a GPU and a WebGPU-capable Chromium (\`browser\`), or remove data-requires-webgpu if the composition can draw without it`,
      { file },
    );
  }
}
