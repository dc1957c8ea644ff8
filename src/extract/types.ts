/**
 * The extraction engine's public contract. `extractVideos(videos, options)` (src/extract/extract.ts)
 * decodes, for every video, the frames a render at `options.fps` will show, one image file per slot.
 */
import type { ColorTarget, FrameFormat } from '../media/frame-types.js';
import type { Rational } from '../media/rational.js';

/** One `<video>` (or spec entry) to extract frames for. */
export interface VideoRequest {
  /** Caller's id for this video (element id); results and errors carry it. */
  id: string;
  /** Absolute path, a path relative to `ExtractOptions.baseDir`, or (with the cache) an https URL. */
  src: string;
  /** Media time of slot 0, seconds. Default 0. */
  mediaStart?: number;
  /** Seconds of composition time the clip is on screen. Absent: to the end of the media. */
  duration?: number;
  /** 0.1–5. Default 1. */
  playbackRate?: number;
  /** Default false. A loop extracts one cycle; the lookup wraps. */
  loop?: boolean;
  /** Displayed box in device pixels; frames are decoded at the size that covers it (never upscaled). */
  width?: number;
  height?: number;
}

/** The colour target of the frames, and their file format (`jpg` or `png`). */
export type { ColorTarget, FrameFormat } from '../media/frame-types.js';
/** The requested frame format; see `ExtractOptions.format` for how each resolves per source. */
export type FormatChoice = 'auto' | FrameFormat;

/**
 * Options of one `extractVideos` call. Throws `ExtractOptionsError('invalid_option')` for a bad `fps`,
 * `outDir`, `format` or `jpegQuality`.
 */
export interface ExtractOptions {
  /** Render frame rate: a number or a rational string such as "30000/1001". */
  fps: number | string;
  /**
   * Default `auto`: JPEG for opaque sources, PNG (zlib level 1) when the source really has alpha. `png`:
   * PNG for every source. `jpg`: JPEG, but PNG for a source with alpha (JPEG would drop it).
   */
  format?: FormatChoice;
  /** JPEG quality on ffmpeg's 2 (best) – 31 scale. Default 3. */
  jpegQuality?: number;
  /** Where uncached passes write their frame directories. */
  outDir: string;
  /** Resolves relative `src` paths (the spec file's directory). Default: process.cwd(). */
  baseDir?: string;
  signal?: AbortSignal;
  /** How many ffmpeg passes run at once. Default: the machine's cores + 1. */
  concurrency?: number;
  /** Default 'sdr'. Part of the dedupe and cache keys. */
  colorTarget?: ColorTarget;
  /**
   * Frame cache directory, or false for none. Undefined: FRAMESMITH_CACHE_DIR ("off" disables), else
   * $XDG_CACHE_HOME/framesmith, else ~/.cache/framesmith. With the cache, `ExtractedVideo.outputDir` is
   * the cache entry's directory; an unusable directory gives one warning and the run goes on uncached.
   * Cache-missing extractions of one source that differ only in their window share one superset pass
   * (src/extract/superset.ts).
   */
  cache?: string | false;
  /**
   * Decode every source once for all its extractions (source passes, src/extract/source-pass.ts),
   * split at keyframes into parallel segments. Default true. `false` runs the classic one ffmpeg pass
   * per extraction (no superset sharing either): the reference the tests and the bench compare with.
   */
  sourcePasses?: boolean;
  /** Cache byte budget (number or "5GiB"). Default FRAMESMITH_CACHE_BUDGET, else 5 GiB. */
  cacheBudget?: number | string;
  /** Remote sources: also allow http:// and private/loopback hosts (tests). Default false. */
  allowPrivateHosts?: boolean;
  /** Receives cache warnings (each kind once per call). Default: stderr. */
  onWarning?: (message: string) => void;
  /** Per-pass ffmpeg timeout in ms. Default scales with the number of frames. */
  timeoutMs?: number;
  /**
   * Called as frames are written: `done` frames so far across all unique passes, of `total` planned
   * (an upper bound: media may end sooner).
   */
  onProgress?: (progress: { done: number; total: number }) => void;
}

/** The frames of one video, one file per slot. */
export interface ExtractedVideo {
  videoId: string;
  /** Directory holding the frames (shared by every video with the same extraction). */
  outputDir: string;
  /**
   * Absolute path of the frame for slot k at index k, from slot 0 up to where the media ends
   * (one cycle for a loop). A clip that outlasts its media holds the last entry.
   */
  frames: string[];
  fps: Rational;
  width: number;
  height: number;
  format: FrameFormat;
  /** True when the clip loops: slot k shows frames[k % frames.length]. */
  loop: boolean;
  /** Slots the clip is on screen (ceil(duration * fps)); may exceed frames.length (hold / loop). */
  slotCount: number;
  /** Served from the persistent cache (a published entry found by lookup, not written by this call). */
  cacheHit: boolean;
  /** Another video's pass produced these frames (in-render dedupe); the leader's id. */
  sharedWith?: string;
  /**
   * Present when the source decoded short of what its probe promised (a truncated or damaged file):
   * `frames` holds `decoded` of the `promised` slots, and slots `decoded` … `promised - 1` show the last
   * decoded frame (`frames` wraps sooner, looping). One slot short is not reported: a container's
   * stated duration may run a frame past its last frame (pass.ts `EOF_SLACK_FRAMES`).
   */
  truncated?: { promised: number; decoded: number };
}

/** Why one video failed (`ExtractError.code`). Retryable by default: `ffmpeg_timeout`, `cancelled`, `internal`. */
export type ExtractErrorKind =
  | 'source_missing'
  /** A request field is out of range (playbackRate, mediaStart, duration, width/height). */
  | 'invalid_request'
  | 'invalid_media'
  | 'media_start_out_of_range'
  | 'ffmpeg_unavailable'
  | 'ffmpeg_failed'
  | 'ffmpeg_timeout'
  | 'zero_output'
  | 'cancelled'
  | 'internal';

/** JSON shape of a per-video failure (ExtractError.toJSON()). */
export interface ExtractErrorInfo {
  videoId: string;
  kind: ExtractErrorKind;
  retryable: boolean;
  /** `video "<videoId>": <reason>`. */
  message: string;
  /** What went wrong and what to do, without the video's name. */
  reason: string;
}

/** Counters of one `extractVideos` call; durations are wall-clock milliseconds. */
export interface ExtractMetrics {
  probeMs: number;
  planMs: number;
  extractMs: number;
  totalMs: number;
  /** Unique plans (in-render dedupe applied), whether served from the cache or decoded. */
  uniqueExtractions: number;
  /** Videos that shared another video's extraction (same plan, or same content at another path). */
  dedupeHits: number;
  /** ffmpeg passes run by this call (0 on a fully warm cache). */
  passes: number;
  cacheHits: number;
  cacheMisses: number;
  /** Entries whose publish failed (their frames were served uncached for this call). */
  publishFailures: number;
  /** Cache entries found with a frame changed on disk (checksum mismatch): removed and extracted again. */
  corruptEntries: number;
  gcEvictions: number;
  gcBytesFreed: number;
  /** Superset passes run, the extractions they served, and the frames they did not decode twice. */
  supersetGroups: number;
  supersetMembers: number;
  supersetFramesSaved: number;
  /** Superset groups whose union pass failed, so their members ran direct passes. */
  supersetFallbacks: number;
  /** Frames written by this call's passes (every recipe's), and their bytes. */
  framesExtracted: number;
  bytesWritten: number;
  /**
   * Source frames the passes decoded, keyframe preroll included: for each decoding process, the packets
   * from the keyframe it starts at up to the first one after the last slot it writes (or, for a segment
   * ending at a clean cut, up to the next segment's keyframe), counted in the source's packet index
   * (src/extract/segments.ts). Null when a source's index could not be read.
   */
  framesDecoded: number | null;
  /** Sources decoded by source passes (one decode fanned out to every recipe of the source). */
  sourcePasses: number;
  /** ffprobe runs this call started (0 on a warm run: probes persist in the cache). */
  probes: number;
  perVideo: Array<{ videoId: string; ms: number; frames: number; cacheHit: boolean; shared: boolean }>;
  [extra: string]: unknown;
}

/**
 * What `extractVideos()` produced: the frames of every request that succeeded (`extracted`), one entry
 * per request that failed (`errors`; the others still complete), and the engine's counters.
 */
export interface ExtractResult {
  extracted: ExtractedVideo[];
  errors: ExtractErrorInfo[];
  metrics: ExtractMetrics;
  /**
   * Ends the call's hold on its frames: drops the cache leases (entries become evictable by GC) and
   * deletes frames that could not be published. Call it when the frames are no longer read (the end of
   * the render); until then, or until the process exits, GC never evicts them. Idempotent; a no-op
   * without the cache.
   */
  release(): Promise<void>;
}
