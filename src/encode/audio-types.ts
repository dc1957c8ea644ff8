/**
 * Types and the error class of the audio mix (src/encode/audio.ts).
 *
 * All times are seconds. "Timeline" means composition time; "media time" means a position inside a
 * track's source file (0 = the first sample the file presents).
 */
import type { Envelope, FxNode } from '../composition/audio-authoring.js';

/** One audible clip to mix: a source file placed on the composition timeline. */
export interface AudioTrack {
  /** The element's label (`audio#music`, `video#intro`), used in every error about this track. */
  id: string;
  /** Absolute path of the media file (audio, or a video with an audio stream). */
  src: string;
  /** Timeline time at which the clip's media time `mediaStart` is heard. Must be >= 0. */
  start: number;
  /**
   * Timeline length of the clip. `undefined`: until the media ends, i.e.
   * `(mediaDuration - mediaStart) / playbackRate` (or to the end of the output for a loop).
   */
  duration?: number;
  /** Media time heard at `start` (`data-media-start`). Must be >= 0. */
  mediaStart: number;
  /** Media seconds played per timeline second, pitch preserved. Must be > 0. */
  playbackRate: number;
  /**
   * Repeat the media: one cycle is media time [mediaStart, mediaDuration), the same window the frame
   * extractor loops for a video, so picture and sound stay in step.
   */
  loop: boolean;
  /** Linear gain: 1 = as recorded, 0.5 ≈ −6 dB. Tracks at 0 are left out. */
  volume: number;
  /** Effects applied to the clip (`data-fx-chain`), in order, before its gain. */
  fx?: FxNode[];
  /** Gain over clip-local seconds (`data-automation`'s volume lane), applied after `fx` and times `volume`. */
  envelope?: Envelope;
  /** Key of the `MixOptions.buses` entry the clip is summed into instead of the master. */
  bus?: string;
}

/** A bus (`data-audio-group`): its clips summed, then `fx`, `envelope` (composition seconds), `volume`. */
export interface AudioBus {
  key: string;
  volume: number;
  fx?: FxNode[];
  envelope?: Envelope;
}

/**
 * The output of `mixAudio`. A non-positive `duration`, a `sampleRate` outside 8000–192000 (for Opus:
 * not 8/12/16/24/48 kHz) or another codec rejects with `AudioError` `invalid_input`.
 */
export interface MixOptions {
  /** Output length in seconds: the video's exact length. The mix is padded with silence or cut to it. */
  duration: number;
  /**
   * Timeline second the output starts at (a render of a frame range): tracks are placed on the whole
   * timeline, and the mix keeps `[from, from + duration)`. Default 0.
   */
  from?: number;
  /** `aac`: AAC-LC in an MP4 (.m4a) file, for MP4 outputs. `opus`: Opus in a WebM file, for WebM outputs. */
  codec: 'aac' | 'opus';
  /** Where the mix is written (written under a temporary name, then renamed). */
  outFile: string;
  /** Aborting ends ffmpeg and rejects with an `AudioError` of code `cancelled`. */
  signal?: AbortSignal;
  /** Output sample rate. Default 48000. */
  sampleRate?: number;
  /** The buses tracks name in `AudioTrack.bus`; a track naming no listed bus goes to the master. */
  buses?: AudioBus[];
}

/** What `mixAudio` wrote (it returns null instead when nothing was audible). */
export interface MixResult {
  /** The written file (`options.outFile`). */
  file: string;
  codec: 'aac' | 'opus';
  sampleRate: number;
  /** The audio stream's duration as ffprobe reads it back from the written file, seconds. */
  duration: number;
  /** Tracks that reached the mix (after dropping silent or off-timeline ones). */
  trackCount: number;
  /** ffmpeg inputs opened (tracks sharing a file and mediaStart share one input). */
  inputCount: number;
  /** Wall time of the whole call, ms (for the bench; never asserted). */
  elapsedMs: number;
}
