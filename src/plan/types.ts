/**
 * A render plan: everything a chunk of a render needs, frozen into one directory of a storage location
 * every machine sees, named by the SHA-256 of its `plan.json` (which lists every other file of the
 * directory with its own SHA-256 and size) — so the name is a hash of the whole content.
 *
 * ```
 * <storage>/plans/<hash>/plan.json        this file (written last, before the directory is renamed in)
 *                       project/…         the composition's directory, without its media sources
 *                       page/entry.html   the assembled document served at the entry URL
 *                       page/runtime.js   the scripts injected before the page's own
 *                       routes/…          assets served besides the project (fetched remote files)
 *                       vendor/gsap/…     the gsap served under /__framesmith/vendor/gsap/
 *                       sources/<sha256>.<ext>  each video's source file, named by its content
 *                       audio.m4a|webm    the mixed sound, exactly as long as the frames
 * ```
 *
 * Paths inside the plan are relative to its directory, `/`-separated.
 *
 * A plan holds no video frames: it holds, for each video, the recipe of its extraction (the source,
 * the trim, the rates, the loop, the drawn size, the colour decision), and each chunk obtains the
 * frames its own range shows through the storage (src/extract/shared-frames.ts).
 */
import type { CaptureMode } from '../browser/launch.js';
import type { FrameImageFormat } from '../capture/page.js';
import type { Quality, VideoFormat } from '../encode/video-args.js';
import type { FrozenRecipe } from '../extract/windows.js';
import type { ShownVideo } from '../stages/video-paint.js';
import type { StrictSetting } from '../warnings.js';

/**
 * Bumped when the layout or the meaning of a field changes: a plan of another schema is refused.
 * 2: videos are recipes and sources (`PlannedVideo`), no frames.
 */
export const PLAN_SCHEMA = 2;

/** One file of a plan besides `plan.json`: its path relative to the plan directory, size in bytes, SHA-256 (hex). */
export interface PlanFile {
  path: string;
  size: number;
  sha256: string;
}

/**
 * One `<video>` as the pages show it (a ShownVideo without frame files), and what extracting its frames
 * needs: the recipe, its source (relative to the plan) and the source's content identity.
 */
export type PlannedVideo = Omit<ShownVideo, 'frames'> & {
  /** Frames of the recipe, slot 0 on: past them the video holds its last one, or wraps when looping. */
  frameCount: number;
  /** `sources/<sha256>.<ext>`. */
  source: string;
  /** `sha256:<hex>` of the source's bytes. */
  sourceId: string;
  recipe: FrozenRecipe;
};

/**
 * The content of `plan.json`: the frames to render, the locked output settings, what the pages load, the
 * tools it was planned with, and every other file of the plan.
 */
export interface RenderPlan {
  schema: typeof PLAN_SCHEMA;
  /**
   * What is rendered: `count` frames from composition frame `first`, at `fps`, `width`×`height` CSS
   * pixels drawn at `deviceScaleFactor` (absent: 1; `--resolution`), so frames are the size times it.
   */
  render: {
    compositionId: string;
    entry: string;
    width: number;
    height: number;
    deviceScaleFactor?: number;
    fps: string;
    first: number;
    count: number;
    duration: number;
  };
  /** The locked output settings. */
  output: {
    /** An encoder's format: png-sequence and hls are refused on the planned path (src/render/formats.ts). */
    format: VideoFormat;
    quality?: Quality;
    crf?: number;
    videoBitrate?: string;
    gifWidth?: number;
    gifLoop?: number;
    vp9CpuUsed?: number;
    frameFormat: FrameImageFormat;
    /** Encode an alpha channel (a transparent stage in webm/mov/gif). */
    alpha: boolean;
    /** The pages are captured with a transparent background (every format but mp4). */
    transparent: boolean;
  };
  /** What the pages load (paths relative to the plan). */
  page: {
    html: string;
    runtime: string;
    routes: Array<{ path: string; file: string } | { path: string; text: string; contentType: string }>;
    mounts: Array<{ prefix: string; dir: string }>;
    fonts: string[];
    requiresWebGpu: boolean;
    /** The runtime's root options (which element is the composition's root), for the video painter. */
    rootOptions: { rootSelector?: string; timedWithinRoot?: boolean };
    seed: number;
    /** A warning (an asset that could not load) fails the chunk (the render's `strict`). */
    strict: StrictSetting;
  };
  browser: {
    webgl: boolean;
    /** True under `webgl: 'auto'` with WebGL off: a page refused a context fails its chunk (the render then runs again with WebGL). */
    failIfWebGLRefused: boolean;
    captureMode: CaptureMode;
    /** `browser.version()` of the planning machine's browser; chunks must match it. */
    version: string;
  };
  /** Versions every chunk must match, so that segments join seamlessly and pixels agree. */
  tools: { framesmith: string; ffmpeg: string };
  videos: PlannedVideo[];
  audio: { file: string; codec: 'aac' | 'opus' } | null;
  /** Every file of the plan but plan.json. */
  files: PlanFile[];
}
