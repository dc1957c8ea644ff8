/**
 * The plan phase of a planned render: load the composition, open one page (it measures the size, the
 * length and where each video is drawn), plan each video's extraction without decoding a frame (the
 * recipe: src/stages/video-recipes.ts), mix the audio, and freeze all of it with the locked settings
 * and tool versions into a content-addressed plan in storage (src/plan/). A chunk then extracts the
 * video frames its own range shows, shared with the other chunks through the storage
 * (src/extract/shared-frames.ts), captures and encodes: it never parses or probes.
 */
import path from 'node:path';
import { rootOptions } from '../browser/runtime-config.js';
import { combineHooks } from '../capture/hooks.js';
import { RemoteMedia } from '../load/remote-media.js';
import { useProbeStore } from '../media/probe-store.js';
import { formatRational } from '../media/rational.js';
import { getTools } from '../media/tools.js';
import { freezePlan, type FrozenPlan } from '../plan/freeze.js';
import { audioStage } from '../stages/audio.js';
import type { StageContext } from '../stages/stage.js';
import { encoderFormatOf } from './formats.js';
import { videoRecipesStage } from '../stages/video-recipes.js';
import { passStats } from '../extract/pass.js';
import { FRAMESMITH_VERSION } from '../version.js';
import { WarningLog } from '../warnings.js';
import { cancelledError, toRenderError } from './errors.js';
import { openCaptureSession, type CaptureSession } from './capture-session.js';
import { compositionSteps, loadComposition, pageSetupOf, runtimeOf } from './load.js';
import { browserSettingsOf, frameRange, type ResolvedRenderOptions } from './options.js';
import { compositionInputs } from './output-guard.js';
import type { PageSetup, RenderSession } from './session.js';
import { makeTempDir, removeTempDir } from './temp-dirs.js';
import type { RenderResult, RenderStageName } from './types.js';
import { reportedFonts } from '../fonts/report.js';

/**
 * A render planned and frozen into storage by `planRender()`, with what its result reports of the plan phase;
 * `timings` in ms: parse, load (browser, page, videos measured and planned, audio mixed), plan (frozen).
 */
export interface PlannedRender {
  frozen: FrozenPlan;
  /** What the render result reports of the plan phase. */
  result: Pick<
    RenderResult,
    'duration' | 'fps' | 'width' | 'height' | 'captureMode' | 'browser' | 'firstFrame' | 'warnings' | 'stages' | 'fonts'
  >;
  timings: Record<string, number>;
  /** The local files the render read: the entry, sub-compositions, media and every file the page loaded. */
  inputs: string[];
  /** The project directory (the composition's root). */
  rootDir: string;
  /** Whether the plan used the network: a remote media file, a Google Fonts family. */
  network: boolean;
}

/**
 * Plans the render of `options.input` into `storage` (see the module comment). `keepBrowser`: the
 * plan's browser is kept that long for the chunks to take (src/browser/pool.ts), tagged with `owner`.
 */
export async function planRender(
  options: ResolvedRenderOptions,
  storage: string,
  keepBrowser?: { ms: number; owner: object },
): Promise<PlannedRender> {
  const { input, format, output } = options;
  const started = performance.now();
  const passesBefore = passStats.runs;
  const timings: Record<string, number> = {};
  const signal = options.signal ?? new AbortController().signal;
  const progress = (stage: RenderStageName, done = 0, total = 0) => options.onProgress?.({ stage, done, total });
  const warnings = new WarningLog(options.strict, options.onWarning);
  const { cacheDir } = options;
  if (cacheDir) useProbeStore(path.join(cacheDir, 'probes'));
  const remote = new RemoteMedia({
    cacheDir,
    allowPrivateHosts: options.allowPrivateHosts,
    signal,
    onProgress: (received, total) => progress('download', received, total),
  });
  const video = videoRecipesStage({ format: options.videoFrameFormat, memoDir: cacheDir ?? null });
  const audio = audioStage();
  const stages = [video, audio];
  let session: CaptureSession | undefined;
  let workDir: string | undefined;
  const cancelled = () => {
    if (signal.aborted) throw cancelledError();
  };
  try {
    progress('parse');
    const composition = await loadComposition(input, options, format, remote, warnings);
    video.hashSources(composition);
    timings.parse = Math.round(performance.now() - started);
    cancelled();
    workDir = await makeTempDir('framesmith-plan-');
    const setup = pageSetupOf(composition);
    let range = { first: 0, count: 0 };
    // The session's pages, once the browsers started (stages prepare from then on).
    let pages: RenderSession | undefined;
    const context = (width: number, height: number): StageContext => ({
      composition,
      fps: composition.fps,
      width,
      height,
      format,
      alpha: false,
      range,
      workDir: workDir!,
      tempOutput: () => {
        throw new Error('a plan writes no output');
      },
      serveDirectory: (dir) => pages!.serveDirectory(dir),
      signal,
      warn: (w) => warnings.add(w),
    });
    let runtime = '';
    const frameFormat = options.frameFormat;
    session = await openCaptureSession({
      setup,
      browsers: 1,
      browser: {
        ...browserSettingsOf(options, composition.entryFile),
        ...(keepBrowser ? { keepBrowsersMs: keepBrowser.ms, keptFor: keepBrowser.owner } : {}),
      },
      webgl: options.webgl,
      page: { transparent: format !== 'mp4', frameFormat },
      runtime: async (opened) => (runtime = await runtimeOf(composition, opened, options.seed)),
      warn: (w) => warnings.add(w),
      signal,
      onStep: (step) => progress(step),
      ...compositionSteps(
        composition,
        async (opened) => {
          pages = opened;
          await Promise.all(stages.map(async (s) => s.prepare?.(context(composition.width ?? 0, composition.height ?? 0))));
        },
        () => {
          range = frameRange(options, composition.frameCount);
          // The first page's setupPage measures the videos' boxes and plans their extraction.
          return combineHooks([video.capture!]);
        },
      ),
    });
    const { width, height, deviceScaleFactor } = session.size;
    const first = session.workers[0]!;
    const recipes = (await video.recipes()) ?? [];
    await audio.concurrent!(context(width, height));
    timings.load = Math.round(performance.now() - started) - timings.parse;
    cancelled();

    progress('plan');
    const planStart = performance.now();
    const tools = await getTools();
    const frozen = await freezePlan(storage, {
      project: { rootDir: composition.rootDir, entryFile: composition.entryFile, exclude: [storage, output] },
      html: setup.html,
      runtime,
      routes: setup.routes,
      mounts: setup.mounts.filter((m) => referenced(m.prefix, setup)),
      videos: recipes,
      audio: audio.mixed(),
      settings: {
        render: {
          compositionId: composition.id,
          width,
          height,
          ...(deviceScaleFactor !== 1 ? { deviceScaleFactor } : {}),
          fps: formatRational(composition.fps),
          first: range.first,
          count: range.count,
          duration: composition.duration,
        },
        output: {
          format: encoderFormatOf(format),
          quality: options.quality,
          crf: options.crf,
          videoBitrate: options.videoBitrate,
          gifWidth: options.gifWidth,
          gifLoop: options.gifLoop,
          vp9CpuUsed: options.vp9CpuUsed,
          frameFormat,
          alpha: (format === 'webm' || format === 'gif' || format === 'mov') && first.info.transparentStage,
          transparent: format !== 'mp4',
        },
        page: {
          fonts: [...setup.fonts],
          requiresWebGpu: setup.requiresWebGpu,
          rootOptions: rootOptions(composition),
          seed: options.seed,
          strict: options.strict,
        },
        browser: { ...session.webglSettings, captureMode: session.captureMode, version: await session.session.browserVersion() },
        tools: { framesmith: FRAMESMITH_VERSION, ffmpeg: tools.version },
      },
    });
    timings.plan = Math.round(performance.now() - planStart);
    return {
      frozen,
      result: {
        duration: composition.duration,
        fps: formatRational(composition.fps),
        width: width * deviceScaleFactor,
        height: height * deviceScaleFactor,
        captureMode: session.captureMode,
        browser: session.browserInfo(),
        firstFrame: range.first,
        warnings: [...warnings.warnings],
        stages: {
          ...Object.fromEntries(stages.map((s) => [s.name, s.report?.() ?? {}])),
          // Counted, not assumed: extraction processes this process started while planning (none).
          'video-frames': { ...video.report!(), passes: passStats.runs - passesBefore },
        },
        fonts: reportedFonts(composition.fontReport, [], session.session.installedFonts),
      },
      timings,
      inputs: [...compositionInputs(composition), ...session.session.server.servedFiles()],
      rootDir: composition.rootDir,
      network:
        composition.media.some((m) => /^[a-z][a-z0-9+.-]*:/i.test(m.src)) || composition.fontReport.some((f) => f.source === 'google'),
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
