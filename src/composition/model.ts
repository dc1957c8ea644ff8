/**
 * The timeline model a composition's HTML parses into (src/composition/parse.ts), consumed by the
 * render orchestrator, the in-page runtime and the media stages. All times are seconds of composition
 * time unless a name says otherwise.
 */
import type { Rational } from '../media/rational.js';

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
  /** Absent: open-ended (to the end of the composition / of its media). */
  duration?: number;
  trackIndex?: number;
  /** `class="clip"`: visible only on [start, start + duration). */
  isClip: boolean;
}

/** A `<video>` or `<audio>` element. */
export interface MediaElement extends TimedElement {
  kind: 'video' | 'audio';
  /** Absolute file path (inside the project) or an http(s) URL. */
  src: string;
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
}

export interface Composition {
  /** `data-composition-id` of the root. */
  id: string;
  /** Directory served as the project root. */
  rootDir: string;
  /** The HTML file rendered. */
  entryFile: string;
  /** From `data-width`/`data-height`; absent when only the page's CSS can tell (measured in the browser). */
  width?: number;
  height?: number;
  fps: Rational;
  /** Seconds: `data-duration`, else the latest end of the timed children. */
  duration: number;
  /** round(duration * fps): the number of frames rendered. */
  frameCount: number;
  timed: TimedElement[];
  media: MediaElement[];
}
