/** The contract of a running video encoder, whatever its format (src/encode/video.ts starts one). */

/** A started encoder fed one image per frame, in frame order, until `finish`, `abort` or `killNow` ends it. */
export interface VideoEncoder {
  /** Writes the next frame (PNG, or JPEG with `frameFormat: 'jpeg'`). Resolves when the encoder accepted it (back-pressure). */
  write(png: Buffer): Promise<void>;
  /** Ends the stream and resolves when the output is complete. */
  finish(): Promise<void>;
  /** Stops the encoder and resolves once it has exited; the incomplete output is the caller's to remove. */
  abort(): Promise<void>;
  /**
   * Ends the encoder at once (SIGKILL), synchronously: for process exit paths, where a gracefully
   * stopping ffmpeg could still write (or, with +faststart, re-create) the output after it was removed.
   */
  killNow(): void;
  readonly framesWritten: number;
  /** ms spent waiting for the encoder to accept frames and to finish. */
  readonly busyMs: number;
}
