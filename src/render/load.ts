/**
 * The load step of a render: the composition parsed with its media resolved (remote files downloaded,
 * every file probed), and what the pages need to show it — a `PageSetup` and the injected runtime.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { injectedScripts, runtimeConfigFor } from '../browser/runtime-config.js';
import type { CaptureHooks } from '../capture/hooks.js';
import type { FrameImageFormat } from '../capture/page.js';
import { settleDuration } from '../composition/duration.js';
import type { Composition } from '../composition/model.js';
import { GIF_DEFAULT_MAX_FPS } from '../encode/video-args.js';
import { checkMediaFiles, pageMediaInfo, parseWithMedia } from '../load/media.js';
import { RemoteMedia } from '../load/remote-media.js';
import { toNumber } from '../media/rational.js';
import type { OutputFormat } from '../stages/stage.js';
import { encoderFormatOf } from './formats.js';
import type { WarningLog } from '../warnings.js';
import type { CaptureSessionSpec } from './capture-session.js';
import { noDuration } from './errors.js';
import type { PageSetup, RenderSession } from './session.js';
import type { RenderOptions } from './types.js';

/** URL prefix under which the installed gsap/dist is served to every composition. */
export const GSAP_URL_PREFIX = '/__framesmith/vendor/gsap/';

/** The installed gsap's dist directory and version, or null. */
export function gsapDir(): { dir: string; version: string } | null {
  try {
    const require = createRequire(import.meta.url);
    const dir = path.dirname(require.resolve('gsap'));
    const { version } = require('gsap/package.json') as { version: string };
    return { dir, version };
  } catch {
    return null;
  }
}

/** Parses `input` with its media resolved; a GIF without an asked rate renders at most 15 fps. */
export async function loadComposition(
  input: string,
  options: RenderOptions,
  format: OutputFormat,
  remote: RemoteMedia,
  warnings: WarningLog,
): Promise<Composition> {
  const gsap = gsapDir();
  const composition = await parseWithMedia(input, {
    fps: options.fps,
    remote,
    composition: options.composition,
    variables: options.variables,
    strictVariables: options.strictVariables,
    allowOutsideProject: options.allowOutsideProject,
    fetchRemote: (url, how) => remote.fetch(url, how),
    remoteHint: RemoteMedia.hint,
    warn: (w) => warnings.add(w),
    gsap: gsap ? { ...gsap, urlPrefix: GSAP_URL_PREFIX } : null,
  });
  // Every media file probed from now on, while the browser starts: the page's runtime needs the probes
  // (sizes, lengths) before it loads. The check is memoized per composition; whoever awaits it later
  // (the media stages, the runtime) reports a failure, so this early start only marks it handled.
  checkMediaFiles(composition).catch(() => {});
  if (format === 'gif' && options.fps === undefined && toNumber(composition.fps) > GIF_DEFAULT_MAX_FPS) {
    // GIF delays are whole centiseconds and every frame costs size: a lower rate unless asked.
    composition.fps = { num: GIF_DEFAULT_MAX_FPS, den: 1 };
    settleDuration(composition, null);
  }
  return composition;
}

/** What the pages of `composition` load. */
export function pageSetupOf(composition: Composition): PageSetup {
  const gsap = gsapDir();
  return {
    rootDir: composition.rootDir,
    entryFile: composition.entryFile,
    html: composition.html,
    routes: composition.assets,
    mounts: gsap ? [{ prefix: GSAP_URL_PREFIX, dir: gsap.dir }] : [],
    fonts: composition.fonts,
    ...(composition.width !== undefined ? { width: composition.width } : {}),
    ...(composition.height !== undefined ? { height: composition.height } : {}),
    requiresWebGpu: composition.requiresWebGpu,
  };
}

/**
 * The scripts injected before the page's own: the runtime configured for `composition`, and the media
 * guard told every media file's size and length (keyed by URL path, so the same on any origin).
 */
export async function runtimeOf(composition: Composition, session: RenderSession, seed: number): Promise<string> {
  const mediaInfo = await pageMediaInfo(composition, (file) => session.urlFor(file));
  return injectedScripts(runtimeConfigFor(composition, seed), mediaInfo);
}

/**
 * The `started` and `loaded` steps of a capture session over a live composition (the streaming
 * render, the plan phase, the preview): `prepare` runs once the browsers started, while the pages
 * load; once they loaded, the duration settles from the first page (a timeline may give it), a
 * composition without one fails (`no_duration`), `prepare` is awaited, and `hooks()` gives the hooks.
 */
export function compositionSteps(
  composition: Composition,
  prepare: (pages: RenderSession) => Promise<unknown>,
  hooks: () => CaptureHooks,
): Pick<CaptureSessionSpec, 'started' | 'loaded'> {
  let preparing: Promise<unknown> = Promise.resolve();
  return {
    started: (pages) => {
      preparing = prepare(pages);
      preparing.catch(() => {}); // awaited once loaded; a failure before then must not be unhandled
    },
    loaded: async (pages) => {
      settleDuration(composition, pages.workers[0]!.info);
      if (composition.frameCount < 1) throw noDuration(composition);
      await preparing;
      return hooks();
    },
  };
}

/** The image format frames travel in from the browser: JPEG for mp4 (and hls) below high (delivery) quality, else PNG; `frameFormat` when given. Applied once, by `resolveRenderOptions`. */
export function frameFormatFor(format: OutputFormat, options: Pick<RenderOptions, 'frameFormat' | 'quality'>): FrameImageFormat {
  const lossless = options.quality === 'high' || options.quality === 'delivery';
  return encoderFormatOf(format) === 'mp4' ? (options.frameFormat ?? (lossless ? 'png' : 'jpeg')) : 'png';
}
