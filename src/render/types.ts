/**
 * The render's public types: options, progress and result (its error is in src/render/errors.ts). Kept
 * apart from the orchestrator (src/render.ts), which re-exports them.
 */
import type { BrowserInfo, CaptureMode } from '../browser/launch.js';
import type { RenderStage, OutputFormat } from '../stages/stage.js';
import type { Quality } from '../encode/video.js';
import type { RenderWarning, StrictSetting } from '../warnings.js';
import type { ResolvedFont } from '../fonts/resolved-font.js';
import type { SharedFramesStats } from '../extract/shared-frames.js';

/**
 * Stages in order. A planned render (chunks) goes parse → download → browser → load → extract (video
 * frames and audio) → plan (frozen into storage) → capture (over all chunks) → assemble → done.
 */
export type RenderStageName =
  | 'parse'
  | 'download'
  | 'browser'
  | 'load'
  | 'extract'
  | 'plan'
  | 'capture'
  | 'encode'
  | 'finalize'
  | 'assemble'
  | 'done';

/** One progress report of a render: the stage it is in and how far along it is (`done` of `total`). */
export interface RenderProgress {
  stage: RenderStageName;
  /** Frames delivered to the encoder (capture), bytes received (download: remote media), else 0 or 1. */
  done: number;
  total: number;
}

/**
 * What `render()` is asked to do. Every field is optional: `render()` resolves them once (defaults,
 * environment variables, checks) before any work starts and throws `invalid_option` naming the option
 * when a value or a combination cannot work.
 */
export interface RenderOptions {
  /** Output file (mp4/webm) or directory (png, png-sequence, hls). Default: `renders/<name>.<format>` under the cwd. */
  output?: string;
  /** Overrides the composition's `data-fps`. */
  fps?: number | string;
  /** Default `standard`; HyperFrames' names and settings (src/encode/video-args.ts). */
  quality?: Quality;
  /** x264 / VP9 constant rate factor instead of the quality preset's (mp4 and webm only). */
  crf?: number;
  /** A target bitrate instead of a CRF, e.g. `5M` (mp4 and webm only). */
  videoBitrate?: string;
  /** GIF: the width frames are scaled to, keeping the aspect. Default: the composition's, at most 640 px. */
  gifWidth?: number;
  /** GIF: how many times the animation repeats after the first play, 0 (default) forever; 0–65535. */
  gifLoop?: number;
  /** WebM: libvpx-vp9 `-cpu-used`, -8–8 (higher is faster, larger); default 4. */
  vp9CpuUsed?: number;
  /**
   * Render only frames `first`..`last` (0-based, both included) of the composition: the output starts
   * with frame `first`, its audio with the sound at that time.
   */
  frames?: { first: number; last: number };
  /**
   * `true`: turn every warning (an asset that could not be loaded, a font replaced) into an error; a
   * list of warning codes: only those (MEDIA_WARNING_CODES is the CLI's `--no-best-effort`).
   */
  strict?: StrictSetting;
  /** Called for each warning as it happens (they are also in the result). */
  onWarning?(warning: RenderWarning): void;
  /**
   * Default: from the output's extension, else `mp4`. `gif` renders at most 15 frames per second
   * unless `fps` is given.
   */
  format?: OutputFormat;
  /**
   * `hls`: the target segment length, whole seconds 1–60 (default 4); the H.264 GOP is fixed at that
   * many seconds' frames so every segment starts on a keyframe. Other formats ignore it.
   */
  hlsSegmentSeconds?: number;
  /** Capture pages in parallel. Default: `FRAMESMITH_WORKERS` when set, else `defaultWorkers()` (cores and free memory), fewer for a short render (`workersForFrames`: one under 60 frames, at most one per 30). */
  workers?: number;
  /**
   * Milliseconds the render's browsers stay running once it ends, for the next render of this process
   * launched with the same settings (src/browser/pool.ts; `closeIdleBrowsers()` ends them sooner).
   * Default: `FRAMESMITH_KEEP_BROWSERS`, else 0 (closed with the render). `renderBatch` keeps them 10 s.
   */
  keepBrowsers?: number;
  /** Browser executable; default: FRAMESMITH_BROWSER, the bundled headless shell, a system Chromium. */
  browser?: string;
  /** Force a capture mode (the headless shell can also take screenshots). */
  captureMode?: CaptureMode;
  /**
   * Image format frames travel in from the browser to the encoder. Default: `jpeg` (quality 95) for
   * mp4 at draft/standard/looks quality — 2.4x faster to capture at 1080p, and the H.264 encode is
   * lossy anyway; `png` (lossless) for mp4 at high/delivery quality, and always for webm and png (alpha).
   */
  frameFormat?: 'png' | 'jpeg';
  /**
   * An output size preset (`landscape`, `portrait`, `landscape-4k`, `portrait-4k`, `square`,
   * `square-4k`, or an alias such as `1080p`, `4k`; src/render/resolution.ts). The composition keeps its
   * CSS size and is drawn at a whole device scale factor so frames land at the preset's size; the
   * aspect must match and the factor be a whole number, else `invalid_option`. Not with `hdr`.
   */
  resolution?: string;
  /**
   * How `<video>` frames are extracted for the page: `auto` (default) JPEG for opaque sources, PNG for
   * sources with alpha; `png` always PNG (lossless: screen recordings, colour-critical footage); `jpg`
   * JPEG, except sources with alpha, which stay PNG.
   */
  videoFrameFormat?: 'auto' | 'jpg' | 'png';
  /**
   * Where `<video>` frames are decoded: `ffmpeg` by the extraction engine (frames extracted as images,
   * shown as the element's background); `page` in the page with WebCodecs wherever that is exact (H.264,
   * VP9, AV1; SDR, opaque, not rotated; an absolutely or fixed positioned element: drawn into a canvas
   * over it), the rest by ffmpeg; `auto` (default) is `ffmpeg` for now — it will decode in the page the
   * videos `page` would that are drawn at least half their source's width and height, once measured
   * cheaper (`AUTO_DECODES_IN_PAGE`). Planned renders (`chunkFrames`, `redis`, `storage`) always use
   * ffmpeg: a plan carries extracted frames. See src/stages/page-decode.ts.
   */
  videoDecode?: 'auto' | 'page' | 'ffmpeg';
  /**
   * `hdr`: mp4 encoded as HDR (H.265 Main 10, BT.2020 primaries, HLG transfer — PQ when a video source
   * is PQ — with HDR10 static metadata; src/encode/hdr.ts); other formats are written SDR with a
   * warning. Default `sdr`.
   */
  dynamicRange?: 'sdr' | 'hdr';
  /** Seed of the page's deterministic Math.random. Default 1. */
  seed?: number;
  signal?: AbortSignal;
  onProgress?(progress: RenderProgress): void;
  /**
   * Frame cache directory for the videos' extracted frames, or false for none. Default: the user's cache
   * (`FRAMESMITH_CACHE_DIR`, else `$XDG_CACHE_HOME/framesmith`, else `~/.cache/framesmith`).
   */
  cache?: string | false;
  /**
   * Permit remote media (http(s) `src`) on http:// or on private/loopback hosts, e.g. a local dev server.
   * Default false: https and public hosts only. Remote files are downloaded once into the cache
   * directory (a temporary one with the cache off) before the render probes them.
   */
  allowPrivateHosts?: boolean;
  /**
   * Read media (`src`) and sub-compositions (`data-composition-src`) that resolve outside the project
   * directory (`../`); default false: refused with `outside_project`. Symlinks inside the project are
   * followed either way (src/composition/project-paths.ts).
   */
  allowOutsideProject?: boolean;
  /**
   * WebGL for the page. `auto` (default): browsers start without it (faster for 2D pages); when the
   * page asks for a WebGL context while loading, they start again with WebGL (SwiftShader). `on`
   * starts with WebGL (skips that second start); `off` never gives it.
   */
  webgl?: 'auto' | 'on' | 'off';
  /**
   * The `data-composition-id` of the top-level composition to render when the file holds several
   * (default: the first).
   */
  composition?: string;
  /**
   * Values of the composition's declared variables (`data-composition-variables`). A key no
   * declaration names, or a value of the wrong type, is a `variable` warning and the value is used as
   * given (src/load/variables.ts), unless `strictVariables`.
   */
  variables?: Record<string, unknown>;
  /** Refuse `variables` that do not fit their declarations (`invalid_variables`) instead of warning. */
  strictVariables?: boolean;
  /** Media stages (video frames, audio mix, mux). Default: `mediaStages({ cache })` (src/stages/media-stages.ts). */
  stages?: RenderStage[];
  /**
   * Render as plan → chunks of this many frames → assemble (src/render/planned.ts) instead of streaming:
   * locally, `workers` chunks at once, or on the workers of `redis`. Default with `redis`: 240.
   */
  chunkFrames?: number;
  /**
   * A Redis URL (`redis://host:6379`): the chunks are queued there (BullMQ) for `framesmith worker`s on
   * any machine. Needs `storage`.
   */
  redis?: string;
  /**
   * Where the plan and the segments live: a directory every worker sees at the same path (NFS, EFS,
   * SMB), or an S3 bucket, `s3://bucket/prefix` (src/storage/s3.ts: configured the AWS SDK's way).
   * Default for a local planned render: a temporary directory.
   */
  storage?: string;
  /**
   * A planned render re-renders only the chunks whose frames changed since they were last rendered,
   * taking the others' segments from the cache (src/render/incremental.ts). Default true when the
   * cache is on (`cache`) and the chunks run in this process (not with `redis`); false turns it off.
   */
  incremental?: boolean;
  /** Informational notes on long work (e.g. no worker connected yet). */
  onNotice?(message: string): void;
  /**
   * Deadlines, ms (src/render/deadlines.ts; defaults HyperFrames', or its PRODUCER_*_TIMEOUT_MS
   * variables). A wait that passes one ends the render with `timeout` naming the phase and frame.
   * `browserTimeout`: the page's load, up to its load event (default 60 000; CLI --browser-timeout, seconds).
   * `protocolTimeout`: each protocol call and each frame's seek, paint and capture (default 300 000).
   * `playerReadyTimeout`: the page's ready — fonts, adapters' ready hooks, timelines (default 45 000).
   */
  browserTimeout?: number;
  protocolTimeout?: number;
  playerReadyTimeout?: number;
}

/** What a finished render wrote and how it went: the output, its frames and size, timings, warnings, fonts. */
export interface RenderResult {
  output: string;
  format: OutputFormat;
  frames: number;
  /** Seconds. */
  duration: number;
  fps: string;
  width: number;
  height: number;
  captureMode: CaptureMode;
  /**
   * The browser that captured: version as it reported it, path, and source (`bundled`: the headless
   * shell framesmith ships, verified; `option`/`env`: --browser / FRAMESMITH_BROWSER; `system`). A
   * planned render reports the planning machine's; every chunk's browser was checked to match it.
   */
  browser: BrowserInfo;
  /** Whether the page drew with WebGL (asked for a context and got one). */
  webgl: boolean;
  workers: number;
  /**
   * Frames by how they were captured: `captured` by a screenshot; `reused`, the same page's previous
   * image again because the browser drew nothing since (beginframe mode; src/capture/page.ts). A
   * planned render sums its chunks (absent when a chunk did not report it).
   */
  capture?: { captured: number; reused: number };
  /**
   * Milliseconds. Wall-clock stages: parse, browser (launch), load (pages ready), capture (first to last
   * frame), finalize, total. Summed over workers: seek, hooks, screenshot. encode: time the capture
   * waited on the encoder plus its final flush.
   */
  timings: Record<string, number>;
  /** Each media stage's report by stage name, e.g. `video-frames`: videos, extractions, cache hits. */
  stages: Record<string, Record<string, unknown>>;
  /** What the render did without (see src/warnings.ts), in order. */
  warnings: RenderWarning[];
  /**
   * Every font family the composition names → the face drawn, and its source (`bundled`, `google`,
   * `project`, `fallback`: a family nothing provides, or a face of the fallback chain; `machine`:
   * characters drawn from a font of the render machine), see src/fonts/report.ts.
   */
  fonts: ResolvedFont[];
  /** The first frame rendered (0 unless `frames` asked for a range); `frames` counts from it. */
  firstFrame: number;
  /**
   * ffprobe runs this render started before capture: 0 on a warm render, whose probes persist in the
   * cache directory (after capture, the audio mix and mux still read back their outputs' lengths).
   */
  probesBeforeCapture: number;
  /** A planned render: its plan (reused: the same content was planned before) and its chunks. */
  plan?: { hash: string; storage: string; reused: boolean; bytes: number };
  /**
   * An incremental planned render (`incremental`): chunks whose segment came from the cache, chunks
   * captured and encoded, and the frames of the reused chunks; `wholeRender` when every segment came
   * from the last render of the same plan without starting a chunk (no browser after the plan phase).
   */
  incremental?: {
    reusedChunks: number;
    renderedChunks: number;
    reusedFrames: number;
    wholeRender: boolean;
    /**
     * True when nothing the last render of the same options read had changed: its segments were
     * assembled from its record without planning — no browser started (src/render/plan-memo.ts).
     */
    recorded: boolean;
  };
  chunks?: Array<{
    index: number;
    first: number;
    count: number;
    timings: Record<string, number>;
    /** How the chunk obtained its video frames (ChunkResult.videoFrames): windows found, decoded, waited for. */
    videoFrames?: SharedFramesStats;
    /** True when its worker rendered it in a session kept from an earlier chunk of the plan (ChunkResult.sessionReused). */
    sessionReused?: boolean;
    /** An incremental render's chunk (ChunkResult.incremental): reused or rendered, frames checked, page ms fingerprinting. */
    incremental?: { reused: boolean; checked: number; pageMs: number; dirty?: string };
  }>;
}
