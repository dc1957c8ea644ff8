/**
 * The one typed declaration of what framesmith puts into a page: the configuration each in-page
 * script is given (as JSON data, never spliced into source text) and the `window.__framesmith*`
 * globals they expose. Imported by the in-page code (src/browser/runtime/, bundled for the browser)
 * and by the Node side that drives it with `page.evaluate`; types only, so it costs nothing at run
 * time on either side.
 */
import type { Rational } from '../media/rational.js';

/** A timed element as the page runtime knows it (from the parsed composition). */
export interface RuntimeTimed {
  /** Index into `document.querySelectorAll('[data-start], video, audio')` minus the root. */
  index: number;
  start: number;
  /** Seconds; `null` when open-ended (JSON has no Infinity). */
  end: number | null;
  isClip: boolean;
  /** Lower-case tag name and id as parsed; when given, `ready()` checks the page has the same element at `index`. */
  tagName?: string;
  id?: string;
  /** `<video>`/`<audio>` only: what its `currentTime` reads at each frame (see media-clock.ts). */
  media?: { mediaStart: number; playbackRate: number; loop: boolean };
  /**
   * A sub-composition host without a duration: on screen for as long as `window.__timelines[key]`
   * lasts, once the page registered it (else open-ended).
   */
  timelineKey?: string;
}

/** Configuration of the page runtime (src/browser/runtime/runtime.ts). */
export interface RuntimeConfig {
  fps: Rational;
  /** Seed of `Math.random`; same seed, same sequence. */
  seed: number;
  timed: RuntimeTimed[];
  /** Selector of the root; default `[data-composition-id]` (the first one). */
  rootSelector?: string;
  /** Timed elements are looked for inside the root only (a render of one composition of several). */
  timedWithinRoot?: boolean;
  /**
   * Composition id → its host's start in composition seconds: `window.__timelines[id]` is sought at
   * `t - start` (a sub-composition's timeline runs on host-relative time). Default 0.
   */
  timelineOffsets?: Record<string, number>;
  /** Longest real-time wait, per seek, for `img.decode()` (default 3000 ms); see resources.ts. */
  decodeTimeoutMs?: number;
  /** The composition's variables (declared defaults merged with the render's values). */
  variables?: Record<string, unknown>;
  /**
   * Sub-compositions mounted from files, by the id they carry in the page: the id their own file
   * gives them and the values their scripts' `__hyperframes.getVariables()` returns.
   */
  scopes?: Record<string, { authoredId: string; variables: Record<string, unknown> }>;
}

/** What `ready()` reports once the page can be seeked. */
export interface ReadyInfo {
  width: number;
  height: number;
  hasTimelines: boolean;
  /**
   * Seconds of each registered timeline by its key in `window.__timelines` (`totalDuration()`, else
   * `duration()`), for durations that come from the timeline.
   */
  timelineDurations: Record<string, number>;
  /** The longest duration an adapter reported (`FramesmithAdapter.duration`), or null. */
  adapterDuration: number | null;
}

/**
 * What a seek tells an adapter. `time` is composition seconds (frame index × den / num); `eventful` is
 * false for the runtime's own silent seeks, true for the seeks a render captures (and the frames it
 * steps through on the way, see `FramesmithPageApi.seek`).
 */
export interface AdapterSeek {
  time: number;
  frame: number;
  eventful: boolean;
}

/**
 * An animation library driven by composition time: the one hook through which the runtime seeks
 * everything it does not own itself (GSAP timelines, CSS and Web Animations are built in; the
 * HyperFrames hooks — `window.__hfAnime`, `window.__hfLottie`, `window.__hfThreeTime` with the
 * `hf-seek` event — are adapters registered through this same hook).
 */
export interface FramesmithAdapter {
  /** Shown in error messages. */
  name: string;
  /**
   * Puts the library's animations at `seek.time`. A returned promise is awaited before the frame is
   * captured; a rejection fails the frame, naming the adapter.
   */
  seek(seek: AdapterSeek): undefined | Promise<unknown>;
  /** Awaited (once) before the first frame: the library has loaded what frame 0 needs. */
  ready?(): undefined | Promise<unknown>;
  /** Seconds the adapter's animations last, when known: a floor for the composition's duration. */
  duration?(): number | null | undefined;
}

/** A frame's fingerprint as the page takes it (src/browser/runtime/fingerprint.ts). */
export interface PageFingerprint {
  /** SHA-256 (hex) of what the page draws the frame from; '' when `dirty`. */
  hash: string;
  /** The video painter's rules as CSS text: which frame each video shows, by URL. */
  video: string;
  /** Why the frame cannot be fingerprinted (it is always rendered), or null. */
  dirty: string | null;
  /** Milliseconds the page spent (real time). */
  ms: number;
}

/** `window.__framesmith`: the runtime's API (see src/browser/runtime/runtime.ts for exact semantics). */
export interface FramesmithPageApi {
  ready(): Promise<ReadyInfo>;
  seek(frameIndex: number, timeSeconds: number): Promise<void>;
  /** Adds an adapter; seeks call adapters in registration order. Returns a function that removes it. */
  registerAdapter(adapter: FramesmithAdapter): () => void;
  /**
   * The fingerprint of the frame shown now (src/browser/runtime/fingerprint.ts): call it after `seek`
   * and the video frame's paint, before the screenshot. Never rejects.
   */
  fingerprint(): Promise<PageFingerprint>;
  /**
   * What the page is waiting for now, in words (the step of `ready()` or a seek in progress, the fonts
   * still loading, the images not yet complete), or null when nothing: read when a deadline passes.
   */
  pending(): string | null;
  /** Uncaught errors and unhandled rejections of the page, in order. */
  readonly errors: string[];
  /** Non-fatal notes the page made (e.g. a deprecated adapter), in order. */
  readonly warnings: string[];
  frame: number;
  time: number;
}

/** The media guard's knowledge of one file: display width and height (0 for audio), length in seconds. */
export type PageMediaInfo = [width: number, height: number, duration: number];

/** Configuration of the media guard (src/browser/runtime/media-guard.ts). */
export interface MediaGuardConfig {
  /** Decoded URL path of a project file (or a remote file's whole URL) → what a player would know. */
  known: Record<string, PageMediaInfo>;
}

/** `window.__framesmithWebGL`: whether the page asked for a WebGL context, and whether it was refused. */
export interface WebGLState {
  requested: boolean;
  missing: boolean;
}

/** A video element's drawn box, as measured in the page (video-paint.ts). */
export interface MeasuredVideo {
  index: number;
  tagName: string | null;
  /** Content box in device pixels, rounded up; 0 when not laid out. */
  width: number;
  height: number;
  /** Computed `object-fit`. */
  fit: string;
}

/** `window.__framesmithVideo`: paints extracted video frames in place of `<video>` elements. */
export interface VideoPaintApi {
  measure(indices: number[]): MeasuredVideo[];
  attach(videos: Array<{ index: number; naturalWidth: number; naturalHeight: number }>): void;
  show(changes: Array<{ index: number; url: string | null }>): Promise<void>;
}

/** One video the page decodes itself (src/browser/runtime/video-decode.ts). */
export interface DecodedVideoSpec {
  /** The element's timed index. */
  index: number;
  /** The file, served by the project server. */
  url: string;
  /** The YUV matrix, primaries, transfer and range frames are converted with (from the probe). */
  colorSpace: { matrix: string; primaries: string; transfer: string; fullRange: boolean };
  /** The canvas bitmap's size: the source's aspect, at the drawn size (the native size for `none`/`scale-down`). */
  width: number;
  height: number;
  /** Decoded frames kept ahead of the shown one, at most. */
  lookahead: number;
}

/** What the page's decoders hold and did (`window.__framesmithDecode.stats()`). */
export interface DecodeStats {
  /** VideoFrames open now, and the most open at once. */
  open: number;
  maxOpen: number;
  decoded: number;
  /** Decoder (re)starts at a keyframe. */
  seeks: number;
}

/** `window.__framesmithDecode`: videos decoded in the page with WebCodecs, drawn into canvases. */
export interface VideoDecodeApi {
  /** Per timed index: the `<video>`'s computed `position`, null when the element is not a video. */
  inspect(indices: number[]): Array<string | null>;
  /** Opens each video; per video null, or why the page cannot decode it. */
  open(videos: DecodedVideoSpec[]): Promise<Array<string | null>>;
  /**
   * Shows, per video, the frame on screen at media time `target` µs (null: off screen); resolves with
   * the counts after, and the videos that could not be shown and why.
   */
  show(
    changes: Array<{ index: number; target: number | null }>,
  ): Promise<{ counts: DecodeStats; failures: Array<{ index: number; message: string }> }>;
  stats(): DecodeStats;
}

declare global {
  interface Window {
    __framesmith?: FramesmithPageApi;
    __framesmithVideo?: VideoPaintApi;
    __framesmithDecode?: VideoDecodeApi;
    __framesmithWebGL?: WebGLState;
    /** Resolves once the media guard dispatched every queued load event. */
    __framesmithMediaSettled?: () => Promise<void>;
    /** Runs a mounted sub-composition's script with its scoped globals (src/browser/runtime/scopes.ts). */
    __framesmithScope?: (id: string, body: (...globals: unknown[]) => unknown) => unknown;
  }
}
