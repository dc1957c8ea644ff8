/**
 * What the preview shows: frames captured exactly as a render captures them — the same load step,
 * session (project server, bundled fonts, the headless shell, BeginFrame), runtime, virtual clock,
 * clip windows, and `<video>` frames from the extraction engine and its cache — one frame at a time,
 * on request, as lossless PNG. A paused frame in the preview is therefore the render's frame.
 *
 * The page only steps forwards, as a render's workers do (a callback-driven composition reaches frame
 * k through frames 0…k); a request for an earlier frame loads the page afresh first. Requests are
 * served one at a time in order.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { resolveCacheDir } from '../cache/config.js';
import { RemoteMedia } from '../load/remote-media.js';
import { useProbeStore } from '../media/probe-store.js';
import { formatRational, frameTime, toNumber, type Rational } from '../media/rational.js';
import { hasCode } from '../errors.js';
import type { Deadlines } from '../capture/deadlines.js';
import { openCaptureSession, type CaptureSession } from '../render/capture-session.js';
import { resolveDeadlines } from '../render/deadlines.js';
import { toRenderError } from '../render/errors.js';
import { compositionSteps, loadComposition, pageSetupOf, runtimeOf } from '../render/load.js';
import type { RenderSession } from '../render/session.js';
import type { StageContext } from '../stages/stage.js';
import { videoFramesStage } from '../stages/video-frames.js';
import { WarningLog } from '../warnings.js';
import type { PreviewInfo } from './player-api.js';
import { mixPreviewAudio } from './audio.js';

/** Re-exported from player-api.ts, shared with the player page. */
export type { PreviewInfo } from './player-api.js';

/** One frame of the preview: the lossless PNG, its frame number and its time in seconds. */
export interface PreviewFrame {
  png: Buffer;
  frame: number;
  time: number;
}

/**
 * How a preview loads the project, as the render options of the same names: `cache` (directory, or false for
 * none), `browser` (executable path), `allowPrivateHosts` (remote media on private addresses).
 */
export interface PreviewSessionOptions {
  cache?: string | false;
  browser?: string;
  allowPrivateHosts?: boolean;
  /** Read media and sub-compositions outside the project directory, as RenderOptions.allowOutsideProject. */
  allowOutsideProject?: boolean;
  onWarning?(message: string): void;
  /** Deadlines, as RenderOptions' (ms). A frame that passes one is an error shown; the browser is replaced. */
  browserTimeout?: number;
  protocolTimeout?: number;
  playerReadyTimeout?: number;
}

/**
 * A loaded composition and one browser page capturing its frames on request (see the module comment);
 * `close()` waits for queued frames, then ends the browser and removes the session's files.
 */
export class PreviewSession {
  private queue: Promise<unknown> = Promise.resolve();
  private lastFrame = -1;
  private last: PreviewFrame | null = null;
  /** The browser was killed (a stuck or crashed page): the next frame starts a new one. */
  private browserSpent = false;

  private constructor(
    readonly info: PreviewInfo,
    private readonly rate: Rational,
    private readonly session: CaptureSession,
    private readonly cleanup: () => Promise<void>,
    /** The composition's audio mix (src/preview/audio.ts): the file, or null when nothing is audible. */
    readonly audio: Promise<string | null>,
  ) {}

  /**
   * Loads `input` and its first page; throws the `RenderError` a render of it would. WebGL as a render
   * decides it (`webgl: 'auto'`, src/render/capture-session.ts): off, unless the page asks for a context
   * while loading.
   */
  static async open(input: string, previewOptions: PreviewSessionOptions = {}): Promise<PreviewSession> {
    const options = resolvePreviewOptions(previewOptions);
    const warnings = new WarningLog(false, (w) => options.onWarning?.(w.message));
    const { cacheDir } = options;
    if (cacheDir) useProbeStore(path.join(cacheDir, 'probes'));
    const controller = new AbortController();
    const remote = new RemoteMedia({ cacheDir, allowPrivateHosts: options.allowPrivateHosts, signal: controller.signal });
    const stage = videoFramesStage({ cache: cacheDir ?? false });
    let session: CaptureSession | undefined;
    let workDir: string | undefined;
    let audio: Promise<string | null> = Promise.resolve(null);
    const cleanup = async () => {
      // The mix writes into workDir: stop it before the directory goes.
      controller.abort();
      await audio.catch(() => {});
      await session?.close();
      await stage.dispose?.();
      if (workDir) await rm(workDir, { recursive: true, force: true });
      await remote.dispose();
    };
    try {
      const composition = await loadComposition(input, { allowOutsideProject: options.allowOutsideProject }, 'mp4', remote, warnings);
      workDir = await mkdtemp(path.join(os.tmpdir(), 'framesmith-preview-'));
      // The session's pages, once the browsers started (the stage prepares from then on).
      let pages: RenderSession | undefined;
      const context = (width: number, height: number): StageContext => ({
        composition,
        fps: composition.fps,
        width,
        height,
        format: 'mp4',
        alpha: false,
        range: { first: 0, count: composition.frameCount },
        workDir: workDir!,
        tempOutput: () => {
          throw new Error('a preview writes no output');
        },
        serveDirectory: (dir) => pages!.serveDirectory(dir),
        signal: controller.signal,
        warn: (w) => warnings.add(w),
      });
      session = await openCaptureSession({
        setup: pageSetupOf(composition),
        browsers: 1,
        browser: { browserPath: options.browser, deadlines: options.deadlines },
        webgl: 'auto',
        page: { transparent: false, frameFormat: 'png' },
        runtime: (opened) => runtimeOf(composition, opened, 1),
        warn: (w) => warnings.add(w),
        ...compositionSteps(
          composition,
          (opened) => {
            pages = opened;
            return stage.prepare!(context(composition.width ?? 0, composition.height ?? 0));
          },
          () => stage.capture!,
        ),
      });
      const { width, height } = session.size;
      const info: PreviewInfo = {
        width,
        height,
        fps: formatRational(composition.fps),
        fpsValue: toNumber(composition.fps),
        frameCount: composition.frameCount,
        duration: composition.frameCount / toNumber(composition.fps),
        entry: path.relative(composition.rootDir, composition.entryFile),
      };
      // Mixed alongside the first frames rather than before them; the player asks for it when it has drawn one.
      audio = mixPreviewAudio(composition, workDir, controller.signal, (w) => warnings.add(w));
      audio.catch(() => {});
      return new PreviewSession(info, composition.fps, session, cleanup, audio);
    } catch (error) {
      await cleanup();
      throw toRenderError(error);
    }
  }

  /** The frame shown at `time` seconds (clamped into the composition), as PNG. */
  frame(time: number): Promise<PreviewFrame> {
    const frame = Math.min(this.info.frameCount - 1, Math.max(0, Math.floor(time * this.info.fpsValue + 1e-6)));
    const next = this.queue.then(() => this.capture(frame));
    this.queue = next.catch(() => {});
    return next;
  }

  private async capture(frame: number): Promise<PreviewFrame> {
    if (frame === this.lastFrame && this.last) return this.last;
    if (frame < this.lastFrame) await this.reload();
    const time = frameTime(frame, this.rate);
    try {
      const png = await this.session.workers[0]!.renderFrame(frame, time);
      this.lastFrame = frame;
      this.last = { png, frame, time };
      return this.last;
    } catch (error) {
      // The page may be in any state after a failed seek: start from a fresh one next time. A page
      // that got stuck or crashed took its browser with it (src/capture/deadlines.ts): a new one.
      this.lastFrame = Number.POSITIVE_INFINITY;
      this.last = null;
      if (hasCode(error, 'timeout', 'browser_crashed')) this.browserSpent = true;
      throw toRenderError(error);
    }
  }

  /** A fresh page, so that the next frame is reached stepping forwards from the start. */
  private async reload(): Promise<void> {
    this.last = null;
    await this.session.reload({ restartBrowsers: this.browserSpent });
    this.browserSpent = false;
    this.lastFrame = -1;
  }

  async close(): Promise<void> {
    await this.queue.catch(() => {});
    await this.cleanup();
  }
}

/** `PreviewSessionOptions` with their defaults applied, once, at the top of `PreviewSession.open`. */
function resolvePreviewOptions(
  options: PreviewSessionOptions,
): Readonly<PreviewSessionOptions & { cacheDir: string | null; deadlines: Deadlines }> {
  return Object.freeze({
    ...options,
    cacheDir: resolveCacheDir({ dir: options.cache }),
    deadlines: Object.freeze(resolveDeadlines(options)),
  });
}
