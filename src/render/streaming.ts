/**
 * The streaming render, in one process: load → session (server, browsers, pages) → media stages
 * prepare → capture every frame straight into the encoder → stages finalize (audio mux) → rename into
 * place. Frames are never stored: each goes from a page to the encoder's stdin.
 *
 * Media stages (`RenderOptions.stages`, src/stages/stage.ts) plug in at fixed points: `prepare` while
 * the first page loads, `capture` hooks per page and per frame, `concurrent` alongside capture,
 * `finalize` after encoding, `dispose` at the end, whatever happened.
 */
import path from 'node:path';
import { resolveCacheDir } from '../cache/config.js';
import { combineHooks } from '../capture/hooks.js';
import { captureFrames } from '../capture/pool.js';
import { defaultWorkers } from '../capture/workers.js';
import { settleDuration } from '../composition/duration.js';
import { startVideoEncoder, type VideoEncoder } from '../encode/video.js';
import { MediaError } from '../load/media-errors.js';
import { RemoteMedia } from '../load/remote-media.js';
import { useProbeStore } from '../media/probe-store.js';
import { formatRational } from '../media/rational.js';
import { toolStats } from '../media/tools.js';
import { mediaStages } from '../stages/media-stages.js';
import type { OutputFormat, StageContext } from '../stages/stage.js';
import { WarningLog } from '../warnings.js';
import { resolveDeadlines } from './deadlines.js';
import { cancelledError, noDuration, toRenderError } from './errors.js';
import { frameFormatFor, loadComposition, pageSetupOf, runtimeOf } from './load.js';
import { encoderExtras, encoderFormatOf, packageHlsOutput } from './formats.js';
import { frameRange } from './options.js';
import { compositionInputs } from './output-guard.js';
import { OutputFiles } from './output.js';
import { scaleOption } from './resolution.js';
import { hdrOf } from './picture-options.js';
import { RenderSession } from './session.js';
import { makeTempDir, removeTempDir } from './temp-dirs.js';
import { RenderError, type RenderOptions, type RenderResult, type RenderStageName } from './types.js';

/** `render()` without the WebGL retry: see src/render.ts. */
export async function renderStreaming(input: string, options: RenderOptions, format: OutputFormat, output: string): Promise<RenderResult> {
  const started = performance.now();
  const timings: Record<string, number> = {};
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const signal = controller.signal;
  const progress = (stage: RenderStageName, done = 0, total = 0) => options.onProgress?.({ stage, done, total });
  const warnings = new WarningLog(options.strict, options.onWarning);
  const stages = options.stages ?? mediaStages({ cache: options.cache, format: options.videoFrameFormat });
  const cacheDir = resolveCacheDir({ dir: options.cache });
  // Probes persist next to the frames: a warm render starts capture without running ffprobe.
  if (cacheDir) useProbeStore(path.join(cacheDir, 'probes'));
  const probesBefore = toolStats.ffprobeRuns;
  const remote = new RemoteMedia({ cacheDir, allowPrivateHosts: options.allowPrivateHosts, signal, onProgress: (received, total) => progress('download', received, total) });
  const files = new OutputFiles(output, format);
  let encoder: VideoEncoder | undefined;
  let session: RenderSession | undefined;
  let workDir: string | undefined;
  const cancelled = () => { if (signal.aborted) throw cancelledError(); };
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
    const composition = await time('parse', () => loadComposition(input, options, format, remote, warnings));
    const hdr = await hdrOf(options, format, composition, (w) => warnings.add(w));
    cancelled();
    await files.protect(compositionInputs(composition));
    workDir = await makeTempDir('framesmith-render-');
    await files.prepare();
    session = await time('fonts', () => RenderSession.serve(pageSetupOf(composition)));

    progress('browser');
    // The frame count may come from the page's timeline (known once the first page loaded).
    const workerCount = Math.min(options.workers ?? defaultWorkers(), composition.frameCount || Infinity);
    const webgl = options.webgl ?? 'auto';
    await time('browser', () => session!.launch(workerCount, { browserPath: options.browser, captureMode: options.captureMode, webgl: webgl === 'on', failIfWebGLRefused: webgl === 'auto', deadlines: resolveDeadlines(options), deviceScaleFactor: scaleOption(options.resolution, composition.entryFile) }));
    cancelled();

    let range = { first: 0, count: 0 };
    let alpha = false;
    const context = (width: number, height: number): StageContext => ({
      composition, fps: composition.fps, width, height, format, alpha, range, workDir: workDir!, tempOutput: (ext) => files.temp(ext),
      serveDirectory: (dir) => session!.serveDirectory(dir), signal, warn: (w) => warnings.add(w),
    });
    // The HDR conversion reads RGB: PNG frames.
    const frameFormat = hdr ? 'png' : frameFormatFor(format, options);

    progress('load');
    const loadStart = performance.now();
    // Stages prepare while the first page loads (the first page tells us the size when the HTML does not).
    const preparing = Promise.all(stages.map(async (s) => s.prepare?.(context(composition.width ?? 0, composition.height ?? 0))));
    preparing.catch(() => {});
    const runtime = await runtimeOf(composition, session, options.seed ?? 1);
    const opened = await session.openPages({ runtime, transparent: encoderFormatOf(format) !== 'mp4', frameFormat });
    // Frames are the CSS size times the device scale factor (--resolution).
    const width = opened.width * opened.deviceScaleFactor;
    const height = opened.height * opened.deviceScaleFactor;
    const first = session.workers[0]!;
    settleDuration(composition, first.info);
    if (composition.frameCount < 1) throw noDuration(composition);
    range = frameRange(options, composition.frameCount);
    const frameCount = range.count;
    await preparing;
    await session.attachHooks(combineHooks(stages.flatMap((s) => (s.capture ? [s.capture] : []))));
    timings.load = Math.round(performance.now() - loadStart);
    for (const w of await session.takeWarnings()) warnings.add(w);
    cancelled();

    alpha = (format === 'webm' || format === 'gif' || format === 'mov') && first.info.transparentStage;
    const encodedFile = files.temp(encoderFormatOf(format) === 'png' ? '' : encoderFormatOf(format));
    encoder = await startVideoEncoder({
      ...encoderExtras(format, options), format: encoderFormatOf(format), output: encodedFile, width, height, fps: composition.fps, quality: options.quality, alpha, frameFormat, signal, hdr,
      crf: options.crf, videoBitrate: options.videoBitrate, gifWidth: options.gifWidth, gifLoop: options.gifLoop, vp9CpuUsed: options.vp9CpuUsed, workDir,
    });
    const running = encoder;
    files.killOnExit(() => running.killNow());

    const concurrent = Promise.all(stages.map(async (s) => s.concurrent?.(context(width, height))));
    concurrent.catch(() => {});
    const probesBeforeCapture = toolStats.ffprobeRuns - probesBefore;
    progress('capture', 0, frameCount);
    const captureStart = performance.now();
    await captureFrames({
      workers: session.workers, firstFrame: range.first, frameCount, fps: composition.fps, signal,
      sink: (frame) => running.write(frame),
      onFrame: (done) => progress('capture', done, frameCount),
    });
    timings.capture = Math.round(performance.now() - captureStart);
    const webglUsed = await session.usedWebGL();
    for (const w of await session.takeWarnings()) warnings.add(w);

    progress('encode', 0, 1);
    await encoder.finish();
    timings.encode = Math.round(encoder.busyMs);
    timings.seek = Math.round(session.workers.reduce((sum, w) => sum + w.timings.seek, 0));
    timings.hooks = Math.round(session.workers.reduce((sum, w) => sum + w.timings.hooks, 0));
    timings.screenshot = Math.round(session.workers.reduce((sum, w) => sum + w.timings.capture, 0));

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
      // hls: the muxed MP4 packaged into its playlist directory.
      if (format === 'hls') file = await packageHlsOutput(file, files.temp(''), options, signal);
      cancelled();
      // Every file the pages read (stylesheets, images, fonts, scripts) is an input too.
      await files.protect(session!.server.servedFiles());
      await files.commit(file);
    });
    timings.total = Math.round(performance.now() - started);
    progress('done', 1, 1);
    return {
      output, format, frames: frameCount, duration: composition.duration, fps: formatRational(composition.fps), width, height,
      captureMode: session.captureMode, browser: session.browserInfo(), webgl: webglUsed, workers: session.workers.length, timings,
      stages: Object.fromEntries(stages.flatMap((s) => (s.report ? [[s.name, s.report()]] : []))),
      warnings: [...warnings.warnings], firstFrame: range.first, probesBeforeCapture,
    };
  } catch (error) {
    await encoder?.abort();
    throw toRenderError(signal.aborted ? error : await files.explain(error), signal);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await session?.close();
    await Promise.allSettled(stages.map((s) => s.dispose?.()));
    await files.dispose();
    if (workDir) await removeTempDir(workDir);
    await remote.dispose();
  }
}
