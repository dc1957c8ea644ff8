/**
 * The timeline model a composition's HTML parses into (src/composition/parse.ts), consumed by the
 * render orchestrator, the in-page runtime and the media stages. All times are seconds of composition
 * time unless a name says otherwise.
 */
import type { Rational } from '../media/rational.js';
import type { ResolvedFont } from '../fonts/resolved-font.js';
import type { AudioAuthoring, AudioGroup } from './audio-authoring.js';

/** An element with timing attributes (`data-start`, and a `class="clip"` window). */
export interface TimedElement {
  /** Position among the document's timed elements in document order; the page runtime finds it by this. */
  index: number;
  /** The element's `id`, when it has one (errors name it). */
  id?: string;
  /** A short description for messages: `div#intro`, `video#a`, `section.card:nth-of-type(2)`. */
  label: string;
  tagName: string;
  start: number;
  /**
   * Seconds. Absent: open-ended — to the end of the composition, or for `<video>`/`<audio>` to the end
   * of its media (filled in by parseComposition when `options.mediaDuration` was needed and asked).
   */
  duration?: number;
  trackIndex?: number;
  /**
   * `class="clip"`, or a `<video>` (whose visibility the framework owns, as in HyperFrames): visible
   * only on [start, start + duration) — half-open, so a 1 s clip at 30 fps shows on exactly 30 frames.
   * Open-ended clips stay visible to the end.
   */
  isClip: boolean;
}

/** A `<video>` or `<audio>` element. */
export interface MediaElement extends TimedElement {
  kind: 'video' | 'audio';
  /**
   * Absolute file path (inside the project), or an http(s) URL — replaced by the path of its downloaded
   * copy when the render downloads remote media (src/load/remote-media.ts).
   */
  src: string;
  /** The http(s) URL the element names, when `src` is its downloaded copy. */
  remoteUrl?: string;
  /** `data-media-start` (alias `data-playback-start`). Default 0. */
  mediaStart: number;
  /** `data-playback-rate`. Default 1. */
  playbackRate: number;
  loop: boolean;
  muted: boolean;
  /** `data-volume`, 0–1+. Default 1. */
  volume: number;
  /** `data-has-audio="true"` forces the audio of a video into the mix. */
  hasAudioAttr?: boolean;
  /** Composition seconds at which its enclosing sub-composition hosts end (the earliest), if any. */
  hostEnd?: number;
  /** `data-fx-chain`, `data-automation`, `data-audio-group` (src/composition/audio-authoring.ts). */
  audio?: AudioAuthoring;
}

/**
 * A composition's HTML as the browser will see it (src/load/ assembles it: sub-compositions inlined,
 * variables applied), with where it lives.
 */
export interface CompositionSource {
  /** The assembled document the page is served. */
  html: string;
  /** The HTML file rendered. */
  entryFile: string;
  /** Directory served as the project root. */
  rootDir: string;
  /** `data-composition-id` of the composition to render, when the file holds several. */
  rootId?: string;
  /** The mounted sub-compositions (src/load/sub-compositions.ts). */
  mounts?: MountedComposition[];
  /** The values `window.__hyperframes.getVariables()` returns at the top level. */
  variables?: Record<string, unknown>;
  /** What the project server answers besides the project's files (fetched remote assets). */
  assets?: ServedAsset[];
  /** The bundled font families the document uses, then the fallback units its text needs (src/fonts/). */
  fonts?: string[];
  /** Every family → face, and the fallback faces installed (src/fonts/report.ts). */
  fontReport?: ResolvedFont[];
}

/** A URL path the project server answers with a file or a text (src/load/remote-assets.ts). */
export type ServedAsset = { path: string; file: string } | { path: string; text: string; contentType: string };

/** One sub-composition mounted from a file (`data-composition-src`). */
export interface MountedComposition {
  /** The id the composition carries in the page (`<id>` or `<id>__N` for a second mount). */
  id: string;
  /** The id its own file gives it, which its scripts use in `window.__timelines`. */
  authoredId: string;
  /** Project-relative path of the file. */
  file: string;
  /** What its scripts' `__hyperframes.getVariables()` returns. */
  variables: Record<string, unknown>;
}

/**
 * A composition read and timed from its HTML: the document the page is served, its size, fps, duration
 * and frame count, its timed and media elements, and what the browser needs besides (assets, fonts).
 */
export interface Composition {
  /** `data-composition-id` of the root. */
  id: string;
  /** The assembled document the page is served (CompositionSource.html). */
  html: string;
  /** Set when the render picked this composition among several in its file. */
  rootId?: string;
  mounts: MountedComposition[];
  variables: Record<string, unknown>;
  /** An element is marked `data-requires-webgpu`: the render needs a WebGPU adapter. */
  requiresWebGpu: boolean;
  /** Served besides the project's files (fetched remote scripts, stylesheets, images, fonts). */
  assets: ServedAsset[];
  /** The bundled font families the document uses and the fallback units its text needs: installed for the browser (src/fonts/). */
  fonts: string[];
  /** Every family → face, and the fallback faces installed (src/fonts/report.ts). */
  fontReport: ResolvedFont[];
  /** Directory served as the project root. */
  rootDir: string;
  /** The HTML file rendered. */
  entryFile: string;
  /** From `data-width`/`data-height`; absent when only the page's CSS can tell (measured in the browser). */
  width?: number;
  height?: number;
  fps: Rational;
  /**
   * Seconds, as src/composition/duration.ts decides: `data-duration`, else from the page's timeline
   * over the floor of media and sub-composition ends. 0 until known (no declared length, no floor and
   * no timed element with an end: only the page's timeline can tell).
   */
  duration: number;
  /** round(duration * fps): the number of frames rendered (0 while the duration is unknown). */
  frameCount: number;
  /** What the duration is decided from (see duration.ts). */
  durationRule: { declared?: number; floor: number; latestEnd: number };
  /** Every timed element (media included) in document order; `timed[i].index === i`. */
  timed: TimedElement[];
  /** The `<video>`/`<audio>` subset of `timed`, same objects, document order. */
  media: MediaElement[];
  /** The audio buses media are grouped into (`data-audio-group`), when any. */
  audioGroups?: AudioGroup[];
  /**
   * Nested compositions (elements with `data-composition-id` inside the root). Their timeline
   * `window.__timelines[id]` is sought at composition time minus `start`; their children's seconds
   * are relative to `start`.
   */
  nested: NestedComposition[];
}

/** An element with `data-composition-id` inside the root. */
export interface NestedComposition {
  id: string;
  label: string;
  /** Absolute start: the host's resolved `data-start` (its parent's origin when it has none). */
  start: number;
  duration?: number;
  /** Its index among the timed elements, when it has `data-start`. */
  index?: number;
  /** A child of the root composition (not nested in another sub-composition). */
  direct: boolean;
}
