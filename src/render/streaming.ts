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
import { combineHooks } from '../capture/hooks.js';
import { frameCounts } from '../capture/worker.js';
import { startVideoEncoder } from '../encode/video.js';
import type { VideoEncoder } from '../encode/encoder.js';
import { MediaError } from '../media/errors.js';
import { RemoteMedia } from '../load/remote-media.js';
import { useProbeStore } from '../media/probe-store.js';
import { formatRational } from '../media/rational.js';
import { toolStats } from '../media/tools.js';
import { mediaStages } from '../stages/media-stages.js';
import type { StageContext } from '../stages/stage.js';
import { WarningLog } from '../warnings.js';
import { openCaptureSession, type CaptureSession } from './capture-session.js';
import type { RenderSession } from './session.js';
import { cancelledError, toRenderError } from './errors.js';
import { compositionSteps, loadComposition, pageSetupOf, runtimeOf } from './load.js';
import { encoderExtras, encoderFormatOf, packageHlsOutput } from './formats.js';
import { browserSettingsOf, frameRange, type ResolvedRenderOptions } from './options.js';
import { workersForFrames } from '../capture/worker-count.js';
import { compositionInputs } from './output-guard.js';
import { OutputFiles } from './output.js';
import { hdrOf } from './picture-options.js';
import { makeTempDir, removeTempDir } from './temp-dirs.js';
import type { RenderResult, RenderStageName } from './types.js';
import { RenderError } from './errors.js';
import { reportedFonts } from '../fonts/report.js';

/** A streaming `render()` (see the module comment), with its options resolved (src/render/options.ts). */
export async function renderStreaming(options: ResolvedRenderOptions): Promise<RenderResult> {
  const { input, format, output } = options;
  const started = performance.now();
  const timings: Record<string, number> = {};
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const signal = controller.signal;
  const progress = (stage: RenderStageName, done = 0, total = 0) => options.onProgress?.({ stage, done, total });
  const warnings = new WarningLog(options.strict, options.onWarning);
  const stages =
    options.stages ?? mediaStages({ cache: options.cacheDir ?? false, format: options.videoFrameFormat, videoDecode: options.videoDecode });
  const { cacheDir } = options;
  // Probes persist next to the frames: a warm render starts capture without running ffprobe.
  if (cacheDir) useProbeStore(path.join(cacheDir, 'probes'));
  const probesBefore = toolStats.ffprobeRuns;
  const remote = new RemoteMedia({
    cacheDir,
    allowPrivateHosts: options.allowPrivateHosts,
    signal,
    onProgress: (received, total) => progress('download', received, total),
  });
  const files = new OutputFiles(output, format);
  let encoder: VideoEncoder | undefined;
  let session: CaptureSession | undefined;
  let workDir: string | undefined;
  const cancelled = () => {
    if (signal.aborted) throw cancelledError();
  };
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
    const hdr = await hdrOf(options, composition, (w) => warnings.add(w));
    cancelled();
    await files.protect(compositionInputs(composition));
    workDir = await makeTempDir('framesmith-render-');
    await files.prepare();

    let range = { first: 0, count: 0 };
    let alpha = false;
    // The session's pages, once the browsers started (stages prepare from then on).
    let pages: RenderSession | undefined;
    const context = (width: number, height: number): StageContext => ({
      composition,
      fps: composition.fps,
      width,
      height,
      format,
      alpha,
      range,
      workDir: workDir!,
      tempOutput: (ext) => files.temp(ext),
      serveDirectory: (dir) => pages!.serveDirectory(dir),
      signal,
      warn: (w) => warnings.add(w),
    });
    session = await openCaptureSession({
      setup: pageSetupOf(composition),
      // The frame count may come from the page's timeline (known once the first page loaded: 0 before).
      browsers: workersForFrames(
        options.workers,
        options.frames ? options.frames.last - options.frames.first + 1 : composition.frameCount,
        options.workersChosen,
      ),
      browser: browserSettingsOf(options, composition.entryFile),
      webgl: options.webgl,
      // The HDR conversion reads RGB: PNG frames (resolved so).
      page: { transparent: encoderFormatOf(format) !== 'mp4', frameFormat: options.frameFormat },
      runtime: (opened) => runtimeOf(composition, opened, options.seed),
      warn: (w) => warnings.add(w),
      signal,
      onStep: (step) => progress(step),
      // Stages prepare while the first page loads (the first page tells us the size when the HTML does not).
      ...compositionSteps(
        composition,
        async (opened) => {
          cancelled();
          pages = opened;
          await Promise.all(stages.map(async (s) => s.prepare?.(context(composition.width ?? 0, composition.height ?? 0))));
        },
        () => {
          range = frameRange(options, composition.frameCount);
          return combineHooks(stages.flatMap((s) => (s.capture ? [s.capture] : [])));
        },
      ),
    });
    Object.assign(timings, session.timings);
    cancelled();
    // Frames are the CSS size times the device scale factor (--resolution).
    const width = session.size.width * session.size.deviceScaleFactor;
    const height = session.size.height * session.size.deviceScaleFactor;
    const frameCount = range.count;
    const frameFormat = options.frameFormat;
    alpha = (format === 'webm' || format === 'gif' || format === 'mov') && session.workers[0]!.info.transparentStage;
    const videoFormat = encoderFormatOf(format);
    let encodedFile = '';
    // A fresh file for each encoder: a capture redone with WebGL (capture-session.ts) starts another.
    const startEncoder = async () => {
      encodedFile = files.temp(videoFormat === 'png' ? '' : videoFormat);
      encoder = await startVideoEncoder({
        ...encoderExtras(format, options.hlsSegmentSeconds),
        format: videoFormat,
        output: encodedFile,
        width,
        height,
        fps: composition.fps,
        quality: options.quality,
        alpha,
        frameFormat,
        signal,
        hdr,
        crf: options.crf,
        videoBitrate: options.videoBitrate,
        gifWidth: options.gifWidth,
        gifLoop: options.gifLoop,
        vp9CpuUsed: options.vp9CpuUsed,
        workDir,
      });
      const running = encoder;
      files.killOnExit(() => running.killNow());
      return running;
    };

    const concurrent = Promise.all(stages.map(async (s) => s.concurrent?.(context(width, height))));
    concurrent.catch(() => {});
    const probesBeforeCapture = toolStats.ffprobeRuns - probesBefore;
    progress('capture', 0, frameCount);
    const captureStart = performance.now();
    const captured = await session.capture(
      { firstFrame: range.first, frameCount, fps: composition.fps, signal, onFrame: (done) => progress('capture', done, frameCount) },
      startEncoder,
    );
    timings.capture = Math.round(performance.now() - captureStart);
    for (const w of await session.takeWarnings()) warnings.add(w);

    progress('encode', 0, 1);
    const finished = captured.sink;
    await finished.finish();
    timings.encode = Math.round(finished.busyMs);
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
          throw error instanceof Error && !(error instanceof RenderError) && !(error instanceof MediaError)
            ? new RenderError('stage', `${stage.name}: ${error.message}`, {}, { cause: error })
            : error;
        }
      }
      // hls: the muxed MP4 packaged into its playlist directory.
      if (format === 'hls') file = await packageHlsOutput(file, files.temp(''), options.hlsSegmentSeconds, signal);
      cancelled();
      // Every file the pages read (stylesheets, images, fonts, scripts) is an input too.
      await files.protect(session!.session.server.servedFiles());
      await files.commit(file);
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
      captureMode: session.captureMode,
      browser: session.browserInfo(),
      webgl: captured.webgl,
      workers: session.workers.length,
      capture: frameCounts(session.workers),
      timings,
      stages: Object.fromEntries(stages.flatMap((s) => (s.report ? [[s.name, s.report()]] : []))),
      warnings: [...warnings.warnings],
      fonts: reportedFonts(composition.fontReport, warnings.warnings, session.session.installedFonts),
      firstFrame: range.first,
      probesBeforeCapture,
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
