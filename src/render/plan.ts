/**
 * The plan phase of a planned render: load the composition, open one page (it measures the size, the
 * length and where each video is drawn), extract the video frames, mix the audio, and freeze all of it
 * with the locked settings and tool versions into a content-addressed plan in storage (src/plan/).
 * Everything a chunk then does is capture and encode: it never parses, probes or decodes media.
 */
import path from 'node:path';
import { rootOptions } from '../browser/runtime-config.js';
import { resolveCacheDir } from '../cache/config.js';
import { combineHooks } from '../capture/hooks.js';
import { settleDuration } from '../composition/duration.js';
import { RemoteMedia } from '../load/remote-media.js';
import { useProbeStore } from '../media/probe-store.js';
import { formatRational } from '../media/rational.js';
import { getTools } from '../media/tools.js';
import { freezePlan, type FrozenPlan } from '../plan/freeze.js';
import { audioStage } from '../stages/audio.js';
import type { OutputFormat, StageContext } from '../stages/stage.js';
import { encoderFormatOf } from './formats.js';
import { videoFramesStage } from '../stages/video-frames.js';
import { FRAMESMITH_VERSION } from '../version.js';
import { WarningLog } from '../warnings.js';
import { cancelledError, noDuration, toRenderError } from './errors.js';
import { frameFormatFor, loadComposition, pageSetupOf, runtimeOf } from './load.js';
import { frameRange } from './options.js';
import { compositionInputs } from './output-guard.js';
import { resolveDeadlines } from './deadlines.js';
import { scaleOption } from './resolution.js';
import { RenderSession, type PageSetup } from './session.js';
import { makeTempDir, removeTempDir } from './temp-dirs.js';
import type { RenderOptions, RenderResult, RenderStageName } from './types.js';

export interface PlannedRender {
  frozen: FrozenPlan;
  /** What the render result reports of the plan phase. */
  result: Pick<RenderResult, 'duration' | 'fps' | 'width' | 'height' | 'captureMode' | 'browser' | 'firstFrame' | 'warnings' | 'stages'>;
  timings: Record<string, number>;
  /** The local files the render read: the entry, sub-compositions, media and every file the page loaded. */
  inputs: string[];
}

/** Plans the render of `input` into `storage` (see the module comment). */
export async function planRender(input: string, options: RenderOptions, format: OutputFormat, output: string, storage: string): Promise<PlannedRender> {
  const started = performance.now();
  const timings: Record<string, number> = {};
  const signal = options.signal ?? new AbortController().signal;
  const progress = (stage: RenderStageName, done = 0, total = 0) => options.onProgress?.({ stage, done, total });
  const warnings = new WarningLog(options.strict, options.onWarning);
  const cacheDir = resolveCacheDir({ dir: options.cache });
  if (cacheDir) useProbeStore(path.join(cacheDir, 'probes'));
  const remote = new RemoteMedia({ cacheDir, allowPrivateHosts: options.allowPrivateHosts, signal, onProgress: (received, total) => progress('download', received, total) });
  const video = videoFramesStage({ cache: options.cache, format: options.videoFrameFormat });
  const audio = audioStage();
  const stages = [video, audio];
  let session: RenderSession | undefined;
  let workDir: string | undefined;
  const cancelled = () => { if (signal.aborted) throw cancelledError(); };
  try {
    progress('parse');
    const composition = await loadComposition(input, options, format, remote, warnings);
    timings.parse = Math.round(performance.now() - started);
    cancelled();
    workDir = await makeTempDir('framesmith-plan-');
    const setup = pageSetupOf(composition);
    session = await RenderSession.serve(setup);
    progress('browser');
    const webgl = options.webgl ?? 'auto';
    const browser = { browserPath: options.browser, captureMode: options.captureMode, webgl: webgl === 'on', failIfWebGLRefused: webgl === 'auto', deadlines: resolveDeadlines(options), deviceScaleFactor: scaleOption(options.resolution, composition.entryFile) };
    await session.launch(1, browser);
    progress('load');
    let range = { first: 0, count: 0 };
    const context = (width: number, height: number): StageContext => ({
      composition, fps: composition.fps, width, height, format, alpha: false, range, workDir: workDir!,
      tempOutput: () => { throw new Error('a plan writes no output'); }, serveDirectory: (dir) => session!.serveDirectory(dir), signal,
      warn: (w) => warnings.add(w),
    });
    const preparing = Promise.all(stages.map(async (s) => s.prepare?.(context(composition.width ?? 0, composition.height ?? 0))));
    preparing.catch(() => {});
    const runtime = await runtimeOf(composition, session, options.seed ?? 1);
    const frameFormat = frameFormatFor(format, options);
    const { width, height, deviceScaleFactor } = await session.openPages({ runtime, transparent: format !== 'mp4', frameFormat });
    const first = session.workers[0]!;
    settleDuration(composition, first.info);
    if (composition.frameCount < 1) throw noDuration(composition);
    range = frameRange(options, composition.frameCount);
    await preparing;
    progress('extract');
    // The first page's setupPage measures the videos' boxes and extracts their frames.
    await session.attachHooks(combineHooks([video.capture!]));
    const shown = (await video.shown()) ?? [];
    await audio.concurrent!(context(width, height));
    for (const w of await session.takeWarnings()) warnings.add(w);
    timings.extract = Math.round(performance.now() - started) - timings.parse;
    cancelled();

    progress('plan');
    const planStart = performance.now();
    const tools = await getTools();
    const frozen = await freezePlan(storage, {
      project: { rootDir: composition.rootDir, entryFile: composition.entryFile, exclude: [storage, output] },
      html: setup.html, runtime, routes: setup.routes, mounts: setup.mounts.filter((m) => referenced(m.prefix, setup)), videos: shown, audio: audio.mixed(),
      settings: {
        render: { compositionId: composition.id, width, height, ...(deviceScaleFactor !== 1 ? { deviceScaleFactor } : {}), fps: formatRational(composition.fps), first: range.first, count: range.count, duration: composition.duration },
        output: {
          format: encoderFormatOf(format), quality: options.quality, crf: options.crf, videoBitrate: options.videoBitrate, gifWidth: options.gifWidth, gifLoop: options.gifLoop, vp9CpuUsed: options.vp9CpuUsed, frameFormat,
          alpha: (format === 'webm' || format === 'gif' || format === 'mov') && first.info.transparentStage, transparent: format !== 'mp4',
        },
        page: { fonts: [...setup.fonts], requiresWebGpu: setup.requiresWebGpu, rootOptions: rootOptions(composition), seed: options.seed ?? 1, strict: options.strict ?? false },
        browser: { webgl: browser.webgl, failIfWebGLRefused: browser.failIfWebGLRefused, captureMode: session.captureMode, version: await session.browserVersion() },
        tools: { framesmith: FRAMESMITH_VERSION, ffmpeg: tools.version },
      },
    });
    timings.plan = Math.round(performance.now() - planStart);
    return {
      frozen,
      result: {
        duration: composition.duration, fps: formatRational(composition.fps), width: width * deviceScaleFactor, height: height * deviceScaleFactor, captureMode: session.captureMode, browser: session.browserInfo(), firstFrame: range.first,
        warnings: [...warnings.warnings], stages: Object.fromEntries(stages.map((s) => [s.name, s.report?.() ?? {}])),
      },
      timings,
      inputs: [...compositionInputs(composition), ...session.server.servedFiles()],
    };
  } catch (error) {
    throw toRenderError(error, signal);
  } finally {
    await session?.close();
    await Promise.allSettled(stages.map((s) => s.dispose?.()));
    if (workDir) await removeTempDir(workDir);
    await remote.dispose();
  }
}

/** Whether the document or a served text refers to URLs under `prefix` (else its mount is not frozen). */
function referenced(prefix: string, setup: PageSetup): boolean {
  return setup.html.includes(prefix) || setup.routes.some((r) => 'text' in r && r.text.includes(prefix));
}
