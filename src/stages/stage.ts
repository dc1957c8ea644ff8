/**
 * Where media stages plug into a render. The capture workers call their `CaptureHooks`
 * (src/capture/hooks.ts); the orchestrator (src/render/) calls the rest of `RenderStage` in this order:
 *
 *   prepare (all stages, before any page opens; e.g. check and probe the media files)
 *   → capture hooks: `setupPage` once per page (e.g. extract video frames for the sizes measured)
 *   → capture starts; `concurrent` of every stage runs alongside it (e.g. the audio mix)
 *   → the video is encoded to a temporary file
 *   → `finalize` of each stage in turn (e.g. mux audio into the video), each given the previous file
 *   → the last file is renamed into place;
 *   finally, success or not, `dispose` of every stage.
 *
 * Types only: stages import this module, never the orchestrator.
 */
import type { CaptureHooks } from '../capture/hooks.js';
import type { Composition } from '../composition/model.js';
import type { VideoFormat } from '../encode/video-args.js';
import type { Rational } from '../media/rational.js';
import type { RenderWarning } from '../warnings.js';

/**
 * The render's output: a video file, a PNG sequence, or HyperFrames' `png-sequence` and `hls`
 * directories (src/render/formats.ts).
 */
export type OutputFormat = VideoFormat | 'png-sequence' | 'hls';

/** What a stage knows of the render it is part of, passed to each of its calls. */
export interface StageContext {
  composition: Composition;
  fps: Rational;
  /** Captured size in CSS pixels (= device pixels). */
  width: number;
  height: number;
  format: OutputFormat;
  /** The encoded video carries an alpha channel (known once the first page loaded; false before). */
  alpha: boolean;
  /** The frames rendered: `count` frames from composition frame `first`. */
  range: { first: number; count: number };
  /** A private directory for this render's intermediate files, removed when the render ends. */
  workDir: string;
  /**
   * A fresh temporary path next to the final output (same filesystem, so it can be renamed into
   * place) with extension `ext` (no dot). Removed by the orchestrator if the render fails.
   */
  tempOutput(ext: string): string;
  /**
   * Serves `dir` from the render's project server (the only origin the page may reach) and returns
   * the URL of a file inside it.
   */
  serveDirectory(dir: string): (file: string) => string;
  signal: AbortSignal;
  /** Adds a warning to the render's list (throws `StrictModeError` under `strict`). */
  warn(warning: RenderWarning): void;
}

/**
 * A media stage: every part optional, called by the orchestrator in the order of the module comment. A part
 * that throws fails the render (`dispose` excepted: it must not throw).
 */
export interface RenderStage {
  /** Shown in timings and errors. */
  name: string;
  prepare?(context: StageContext): Promise<void>;
  /** Hooks the capture workers call; registered after `prepare`. */
  capture?: CaptureHooks;
  /** Runs concurrently with capture; awaited before `finalize`. */
  concurrent?(context: StageContext): Promise<void>;
  /**
   * Given the encoded file so far, returns the file that replaces it (itself when nothing changed).
   * A new file should come from `context.tempOutput()`.
   */
  finalize?(context: StageContext, file: string): Promise<string>;
  /**
   * Always called once when the render ends, whether it succeeded, failed or was cancelled, after the
   * pages closed and before the work directory is removed: release what the stage holds (e.g. frame
   * cache leases). Must not throw.
   */
  dispose?(): Promise<void>;
  /** What the stage did, for the render's result (`RenderResult.stages[name]`): counts, not bulk data. */
  report?(): Record<string, unknown>;
}
