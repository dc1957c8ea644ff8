/**
 * The render orchestrator: parse → project server → browser → capture workers → encoder → media stages
 * (finalize: e.g. audio mux) → rename into place.
 *
 * Output is all-or-nothing: the encoder writes a temporary name next to the output (`.NAME.partial-…`),
 * renamed over the output only after every stage succeeded. On any failure or cancellation the
 * temporary files are removed, the encoder is killed and the browser closed, so neither a partial
 * output nor a stray process remains.
 *
 * Vendor scripts: the project server serves only the composition's directory. So that examples can
 * use GSAP from npm without copying it, the render also serves the installed `gsap/dist` directory
 * under `/__framesmith/vendor/gsap/` (e.g. `<script src="/__framesmith/vendor/gsap/gsap.min.js">`).
 *
 * Media stages (`RenderOptions.stages`, see src/stages/stage.ts) plug in at fixed points: `prepare`
 * before pages open, `capture` hooks per page and per frame, `concurrent` alongside capture, `finalize`
 * after encoding.
 */
import { createRequire } from 'node:module';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { launchBrowser, BrowserError, type LaunchedBrowser } from './browser/launch.js';
import { injectedScripts, runtimeConfigFor, WEBGL_MISSING_EXPRESSION, WEBGL_STATE_EXPRESSION } from './browser/runtime-config.js';
import { startProjectServer, type ProjectServer } from './browser/server.js';
import { CaptureError } from './capture/errors.js';
import { combineHooks, type CaptureHooks } from './capture/hooks.js';
import type { OutputFormat, StageContext } from './stages/stage.js';
import { MediaError } from './load/media-errors.js';
import { pageMediaInfo, parseWithMedia } from './load/media.js';
import { RemoteMedia } from './load/remote-media.js';
import { resolveCacheDir } from './cache/config.js';
import { mediaStages } from './stages/media-stages.js';
import { captureFrames } from './capture/pool.js';
import { CaptureWorker } from './capture/worker.js';
import { CompositionError } from './composition/errors.js';
import type { Composition } from './composition/model.js';
import { settleDuration } from './composition/duration.js';
import { prepareFonts } from './fonts/fontconfig.js';
import { DEFAULT_FAMILY } from './fonts/catalog.js';
import { EncodeError, startVideoEncoder, type VideoEncoder } from './encode/video.js';
import { formatRational } from './media/rational.js';
import { defaultWorkers } from './capture/workers.js';
import { RenderError, type RenderOptions, type RenderResult, type RenderStageName } from './render/types.js';
import { checkRenderOptions, defaultOutputPath, formatFromOutput, frameRange } from './render/options.js';
import { StrictModeError, WarningLog } from './warnings.js';
import { VariablesError } from './load/index.js';
import { GIF_DEFAULT_MAX_FPS } from './encode/video-args.js';
import { toNumber } from './media/rational.js';
import { useProbeStore } from './media/probe-store.js';
import { toolStats } from './media/tools.js';

export type { OutputFormat } from './stages/stage.js';
export type { Quality } from './encode/video.js';
export { defaultOutputPath } from './render/options.js';
export { RenderError, type RenderErrorCode, type RenderOptions, type RenderProgress, type RenderResult, type RenderStageName } from './render/types.js';

/** URL prefix under which the installed gsap/dist is served to every composition. */
export const GSAP_URL_PREFIX = '/__framesmith/vendor/gsap/';

function toRenderError(error: unknown): RenderError {
  if (error instanceof RenderError) return error;
  if (error instanceof StrictModeError) return new RenderError('strict', error.message, { element: error.warning.element, url: error.warning.url, file: error.warning.file }, { cause: error });
  if (error instanceof VariablesError) return new RenderError('invalid_variables', error.message, {}, { cause: error });
  if (error instanceof CompositionError) return new RenderError(error.code, error.message, { element: error.element, file: error.file }, { cause: error });
  if (error instanceof MediaError) {
    return new RenderError(error.code, error.message, { element: error.element, file: error.file, ...(error.failures.length > 1 ? { failures: error.failures } : {}) }, { cause: error });
  }
  if (error instanceof CaptureError) return new RenderError(error.code, error.message, { url: error.url }, { cause: error });
  if (error instanceof BrowserError) return new RenderError('browser', error.message, {}, { cause: error });
  if (error instanceof EncodeError) return new RenderError('encode', error.message, {}, { cause: error });
  const message = error instanceof Error ? error.message : String(error);
  return new RenderError('stage', message, {}, { cause: error });
}

/** The installed gsap's dist directory and version, or null. */
function gsapDir(): { dir: string; version: string } | null {
  try {
    const require = createRequire(import.meta.url);
    const dir = path.dirname(require.resolve('gsap'));
    const { version } = require('gsap/package.json') as { version: string };
    return { dir, version };
  } catch {
    return null;
  }
}

/**
 * Renders the composition at `input` (a directory holding index.html, or an .html file). Under
 * `webgl: 'auto'`, a page that first asks for WebGL mid-timeline (after its WebGL-less load) is
 * rendered once more from the start with WebGL: the first capture's canvas was blank.
 */
export async function render(input: string, options: RenderOptions = {}): Promise<RenderResult> {
  try {
    return await renderOnce(input, options);
  } catch (error) {
    const again = error instanceof RenderError && error.code === 'webgl_unavailable' && (options.webgl ?? 'auto') === 'auto' && !options.signal?.aborted;
    if (!again) throw error;
    return renderOnce(input, { ...options, webgl: 'on' });
  }
}

async function renderOnce(input: string, options: RenderOptions): Promise<RenderResult> {
  const started = performance.now();
  const timings: Record<string, number> = {};
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const signal = controller.signal;
  const progress = (stage: RenderStageName, done = 0, total = 0) => options.onProgress?.({ stage, done, total });

  const format = options.format ?? formatFromOutput(options.output) ?? 'mp4';
  const output = path.resolve(options.output ?? defaultOutputPath(input, format));
  checkRenderOptions(options, format);
  const warnings = new WarningLog(options.strict, options.onWarning);
  const stages = options.stages ?? mediaStages({ cache: options.cache });
  const cacheDir = resolveCacheDir({ dir: options.cache });
  // Probes persist next to the frames: a warm render starts capture without running ffprobe.
  if (cacheDir) useProbeStore(path.join(cacheDir, 'probes'));
  const probesBefore = toolStats.ffprobeRuns;
  const remote = new RemoteMedia({
    cacheDir,
    allowPrivateHosts: options.allowPrivateHosts,
    signal,
    onProgress: (received, total) => progress('download', received, total),
  });
  const temps: string[] = [];
  const tempOutput = (ext: string) => {
    const file = path.join(path.dirname(output), `.${path.basename(output)}.partial-${process.pid}-${randomBytes(4).toString('hex')}${ext ? `.${ext}` : ''}`);
    temps.push(file);
    return file;
  };

  // The CLI's SIGINT handler ends child processes and exits without unwinding this function: remove the
  // temporary outputs on the way out so an interrupted render leaves no partial file.
  let encoder: VideoEncoder | undefined;
  const removeTempsOnExit = () => {
    encoder?.killNow();
    for (const t of temps) rmSync(t, { recursive: true, force: true });
  };
  process.on('exit', removeTempsOnExit);

  let server: ProjectServer | undefined;
  // One browser per capture worker: pages of one browser share its compositor and screenshot encoder,
  // which measured 1.3-1.7x slower with 2 workers than 2 browsers (figures in src/capture/workers.ts).
  const browsers: LaunchedBrowser[] = [];
  let workDir: string | undefined;
  const workers: CaptureWorker[] = [];
  const cancelled = () => { if (signal.aborted) throw new CaptureError('cancelled', 'the render was cancelled'); };
  const time = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    try {
      return await work();
    } finally {
      timings[name] = (timings[name] ?? 0) + Math.round(performance.now() - t);
    }
  };

  try {
    progress('parse');
    const gsap = gsapDir();
    const composition: Composition = await time('parse', () => parseWithMedia(input, {
      fps: options.fps, remote, composition: options.composition, variables: options.variables,
      fetchRemote: (url) => remote.fetch(url), remoteHint: RemoteMedia.hint, warn: (w) => warnings.add(w),
      gsap: gsap ? { ...gsap, urlPrefix: GSAP_URL_PREFIX } : null,
    }));
    if (format === 'gif' && options.fps === undefined && toNumber(composition.fps) > GIF_DEFAULT_MAX_FPS) {
      // GIF delays are whole centiseconds and every frame costs size: a lower rate unless asked.
      composition.fps = { num: GIF_DEFAULT_MAX_FPS, den: 1 };
      settleDuration(composition, null);
    }
    cancelled();

    workDir = await mkdtemp(path.join(os.tmpdir(), 'framesmith-render-'));
    await mkdir(path.dirname(output), { recursive: true });

    server = await startProjectServer(composition.rootDir);
    server.serveText(composition.entryFile, composition.html);
    if (gsap) server.mount(GSAP_URL_PREFIX, gsap.dir);
    for (const asset of composition.assets) server.route(asset.path, 'file' in asset ? { file: asset.file } : { text: asset.text }, 'text' in asset ? asset.contentType : undefined);
    const fonts = await time('fonts', () => prepareFonts(composition.fonts));

    progress('browser');
    // The frame count may come from the page's timeline (known once the first page loaded).
    const workerCount = Math.min(options.workers ?? defaultWorkers(), composition.frameCount || Infinity);
    const webglMode = options.webgl ?? 'auto';
    const launchAll = (webgl: boolean) => time('browser', async () => {
      const launches = await Promise.allSettled(Array.from({ length: workerCount }, () => launchBrowser({ browserPath: options.browser, forceMode: options.captureMode, webgl, webgpu: composition.requiresWebGpu, onlyOrigin: server!.origin, fontconfigFile: fonts.configFile })));
      for (const l of launches) if (l.status === 'fulfilled') browsers.push(l.value);
      const failed = launches.find((l) => l.status === 'rejected');
      if (failed) throw failed.reason;
    });
    await launchAll(webglMode === 'on');
    cancelled();

    let range = { first: 0, count: 0 };
    let served = 0;
    const serveDirectory = (dir: string) => {
      const prefix = `/__framesmith/frames/${served++}/`;
      server!.mount(prefix, dir);
      return (file: string) => server!.urlFor(file, prefix);
    };
    const context = (width: number, height: number): StageContext => ({
      composition, fps: composition.fps, width, height, format, range, workDir: workDir!, tempOutput, serveDirectory, signal,
    });
    // The media stages supply video frames and sound: the guard keeps the page from loading the files.
    const mediaInfo = await pageMediaInfo(composition, (file) => server!.urlFor(file));
    const runtime = injectedScripts(runtimeConfigFor(composition, options.seed ?? 1), mediaInfo);
    const url = server.urlFor(composition.entryFile);
    const transparent = format !== 'mp4';
    const frameFormat = format === 'mp4' ? (options.frameFormat ?? (options.quality === 'high' ? 'png' : 'jpeg')) : 'png';
    const takeWarnings = async () => {
      for (const w of workers) for (const warning of await w.takeWarnings()) warnings.add(warning);
    };

    progress('load');
    const loadStart = performance.now();
    // Stages prepare while the first page loads (the first page tells us the size when the HTML does not).
    const preparing = Promise.all(stages.map(async (s) => s.prepare?.(context(composition.width ?? 0, composition.height ?? 0))));
    preparing.catch(() => {});
    const open = (index: number, width: number, height: number, hooks: CaptureHooks) =>
      CaptureWorker.open(browsers[index]!.browser, browsers[0]!.captureMode, index, { url, runtime, width, height, transparent, imageFormat: frameFormat, hooks, genericFamily: DEFAULT_FAMILY });
    // Pages open without the stages' hooks (those need `prepare` done) and get them afterwards. When
    // the HTML gives the size, every page loads at once; otherwise the first page measures it.
    const openAll = async (indices: number[], width: number, height: number) => {
      const opened = await Promise.allSettled(indices.map((i) => open(i, width, height, {})));
      for (const r of opened) if (r.status === 'fulfilled') workers.push(r.value);
      const rejected = opened.find((r) => r.status === 'rejected');
      if (rejected) throw rejected.reason;
    };
    const all = Array.from({ length: workerCount }, (_, i) => i);
    const openPages = async (): Promise<{ width: number; height: number }> => {
      if (composition.width !== undefined && composition.height !== undefined) {
        await openAll(all, composition.width, composition.height);
        return { width: composition.width, height: composition.height };
      }
      await openAll([0], 1920, 1080);
      const measured = { width: Math.round(workers[0]!.info.width), height: Math.round(workers[0]!.info.height) };
      if (!(measured.width >= 1 && measured.height >= 1)) throw new RenderError('invalid_size', `${composition.entryFile}: the composition's size is unknown (measured ${measured.width}x${measured.height}): set data-width and data-height on the root`, { file: composition.entryFile });
      await workers[0]!.capturePage.page.setViewport({ ...measured, deviceScaleFactor: 1 });
      await openAll(all.slice(1), measured.width, measured.height);
      return measured;
    };
    // WebGL on demand: when the page asked for a context the browser could not give (and perhaps
    // failed for it), start again with WebGL (SwiftShader): one more launch and load, only for such pages.
    const webglRefused = async (): Promise<boolean> => Boolean(await workers[0]!.capturePage.page.evaluate(WEBGL_MISSING_EXPRESSION));
    const firstOpen = await openPages().then((size) => ({ size }), (error: unknown) => ({ error }));
    let width: number;
    let height: number;
    const retry = webglMode === 'auto' && !browsers[0]!.webgl && ('error' in firstOpen
      ? firstOpen.error instanceof CaptureError && firstOpen.error.webglRefused
      : await webglRefused());
    if (retry) {
      await closeAll(workers, browsers);
      await launchAll(true);
      ({ width, height } = await openPages());
    } else if ('error' in firstOpen) {
      throw firstOpen.error;
    } else {
      ({ width, height } = firstOpen.size);
    }
    const first = workers[0]!;
    if (composition.requiresWebGpu) await requireWebGpu(first, composition.entryFile);
    settleDuration(composition, first.info);
    if (composition.frameCount < 1) {
      throw new RenderError('no_duration', `${composition.entryFile}: the composition has no length: the root has no data-duration, no timeline is registered in window.__timelines["${composition.id}"], and no timed element has an end; give the root data-duration="<seconds>"`, { file: composition.entryFile, element: `#${composition.id}` });
    }
    range = frameRange(options, composition.frameCount);
    const frameCount = range.count;
    await preparing;
    const hooks = combineHooks(stages.flatMap((s) => (s.capture ? [s.capture] : [])));
    await Promise.all(workers.map(async (w) => {
      if (hooks.setupPage) await w.capturePage.pumpWhile(hooks.setupPage(w.capturePage.page, w.index));
      w.setHooks(hooks);
    }));
    timings.load = Math.round(performance.now() - loadStart);
    await takeWarnings();
    cancelled();

    const alpha = (format === 'webm' || format === 'gif' || format === 'mov') && first.info.transparentStage;
    const encodedFile = format === 'png' ? tempOutput('') : tempOutput(format);
    encoder = await startVideoEncoder({
      format, output: encodedFile, width, height, fps: composition.fps, quality: options.quality, alpha, frameFormat, signal,
      crf: options.crf, videoBitrate: options.videoBitrate, gifWidth: options.gifWidth, workDir,
    });

    const concurrent = Promise.all(stages.map(async (s) => s.concurrent?.(context(width, height))));
    concurrent.catch(() => {});
    const probesBeforeCapture = toolStats.ffprobeRuns - probesBefore;
    progress('capture', 0, frameCount);
    const captureStart = performance.now();
    await captureFrames({
      workers,
      firstFrame: range.first,
      frameCount,
      fps: composition.fps,
      signal,
      sink: (frame) => encoder!.write(frame),
      onFrame: (done) => progress('capture', done, frameCount),
    });
    timings.capture = Math.round(performance.now() - captureStart);
    const webglUsed = await usedWebGL(workers, webglMode === 'auto' && !browsers[0]!.webgl);
    await takeWarnings();

    progress('encode', 0, 1);
    await encoder.finish();
    timings.encode = Math.round(encoder.busyMs);
    timings.seek = Math.round(workers.reduce((sum, w) => sum + w.timings.seek, 0));
    timings.hooks = Math.round(workers.reduce((sum, w) => sum + w.timings.hooks, 0));
    timings.screenshot = Math.round(workers.reduce((sum, w) => sum + w.timings.capture, 0));

    progress('finalize', 0, 1);
    let file = encodedFile;
    await time('finalize', async () => {
      await concurrent;
      for (const stage of stages) {
        if (!stage.finalize) continue;
        try {
          file = await stage.finalize(context(width, height), file);
        } catch (error) {
          throw error instanceof Error && !(error instanceof RenderError) && !(error instanceof MediaError) ? new RenderError('stage', `${stage.name}: ${error.message}`, {}, { cause: error }) : error;
        }
      }
      cancelled();
      if (format === 'png') {
        // A directory cannot be renamed over a non-empty one: the old sequence goes first.
        if (await stat(output).catch(() => null)) await rm(output, { recursive: true, force: true });
      }
      await rename(file, output);
    });
    timings.total = Math.round(performance.now() - started);
    progress('done', 1, 1);
    return {
      output,
      format,
      frames: frameCount,
      duration: composition.duration,
      fps: formatRational(composition.fps),
      width,
      height,
      captureMode: browsers[0]!.captureMode,
      webgl: webglUsed,
      workers: workers.length,
      timings,
      stages: Object.fromEntries(stages.flatMap((s) => (s.report ? [[s.name, s.report()]] : []))),
      warnings: [...warnings.warnings],
      firstFrame: range.first,
      probesBeforeCapture,
    };
  } catch (error) {
    await encoder?.abort();
    if (signal.aborted && !(error instanceof RenderError)) throw new RenderError('cancelled', 'the render was cancelled', {}, { cause: error });
    throw toRenderError(error);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    process.off('exit', removeTempsOnExit);
    await closeAll(workers, browsers);
    await server?.close();
    await Promise.allSettled(stages.map((s) => s.dispose?.()));
    await Promise.allSettled(temps.map((t) => rm(t, { recursive: true, force: true })));
    if (workDir) await rm(workDir, { recursive: true, force: true });
    await remote.dispose();
  }
}

/** Fails unless the page gets a WebGPU adapter (a composition marked data-requires-webgpu). */
async function requireWebGpu(worker: CaptureWorker, file: string): Promise<void> {
  const found = await worker.capturePage.page.evaluate(async () => {
    const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
    if (!gpu) return 'no navigator.gpu';
    const adapter = await Promise.race([gpu.requestAdapter(), new Promise((resolve) => setTimeout(() => resolve('timeout'), 10_000))]);
    return adapter === 'timeout' ? 'requestAdapter() did not answer in 10 s' : adapter ? null : 'requestAdapter() returned null';
  }).catch((error: unknown) => String(error));
  if (found !== null) {
    throw new RenderError('webgpu_unavailable', `${file} is marked data-requires-webgpu, but this browser has no WebGPU adapter (${found}): render on a machine with a GPU and a WebGPU-capable Chromium (--browser), or remove data-requires-webgpu if the composition can draw without it`, { file });
  }
}

/** Closes the pages, then their browsers, and empties both lists. */
async function closeAll(workers: CaptureWorker[], browsers: LaunchedBrowser[]): Promise<void> {
  await Promise.allSettled(workers.splice(0).map((w) => w.close()));
  await Promise.allSettled(browsers.splice(0).map((b) => b.close()));
}

/**
 * Whether the pages drew with WebGL (asked for a context and got one). With `failIfRefused`, a page
 * that was refused one — it first asked after loading, in a browser started without WebGL — fails the
 * render: its canvas stayed blank.
 */
async function usedWebGL(workers: CaptureWorker[], failIfRefused: boolean): Promise<boolean> {
  const states = await Promise.all(workers.map((w) => w.capturePage.page.evaluate(WEBGL_STATE_EXPRESSION)
    .then((state) => state as { requested: boolean; missing: boolean }, () => ({ requested: false, missing: false }))));
  if (failIfRefused && states.some((state) => state.missing)) {
    // render() catches this and starts again with WebGL.
    throw new CaptureError('webgl_unavailable', 'the page asked for a WebGL context after it loaded, when the browser had been started without WebGL, so its canvas stayed blank: render with --webgl on (API: webgl: \'on\'), or create the context while the page loads');
  }
  return states.some((state) => state.requested && !state.missing);
}
