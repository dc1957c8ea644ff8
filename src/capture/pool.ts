/**
 * Captures frames 0..frameCount-1 with several workers in parallel and hands them to `sink` strictly
 * in order, one at a time.
 *
 * Workers take the next frame number from a shared counter. A worker may run at most `reorderLimit`
 * frames ahead of the next frame the sink needs; beyond that it waits. So at most `reorderLimit`
 * captured frames are held in memory whatever the length of the render, and a slow sink (an encoder
 * applying back-pressure) slows capture down instead of filling memory.
 *
 * The first failure (a worker, the sink, or `signal`) stops every worker after its current frame and
 * rejects with that failure.
 */
import { frameTime, type Rational } from '../media/rational.js';
import { CaptureError } from './errors.js';
import type { CaptureWorker } from './worker.js';

/**
 * What `captureFrames` captures (`frameCount` frames from `firstFrame`, each at its time under `fps`), with
 * which opened workers, and where the frames go.
 */
export interface CaptureRunOptions {
  workers: readonly CaptureWorker[];
  /** Composition frame of the first frame captured (a frame range). Default 0. */
  firstFrame?: number;
  /** Frames to capture, from `firstFrame`; the sink numbers them from 0. */
  frameCount: number;
  fps: Rational;
  /** Receives frame `index` (PNG); the next call waits until the returned promise settles. */
  sink(frame: Buffer, index: number): Promise<void>;
  /** Frames held at most. Default: 2 per worker, at least 4. */
  reorderLimit?: number;
  signal?: AbortSignal;
  /** Called after each frame reached the sink. */
  onFrame?(framesDone: number): void;
}

/**
 * Resolves once all `frameCount` frames reached the sink. Rejects with the first failure: a worker's or the
 * sink's error, `cancelled` on `signal`, or `capture_failed` when frames are missing at the end.
 */
export async function captureFrames(options: CaptureRunOptions): Promise<void> {
  const { workers, frameCount, fps, sink } = options;
  const limit = Math.max(options.reorderLimit ?? workers.length * 2, workers.length, 1);
  const held = new Map<number, Buffer>();
  let next = 0;
  let written = 0;
  let failure: unknown = null;
  let waiters: Array<() => void> = [];
  const wake = () => {
    const list = waiters;
    waiters = [];
    for (const resolve of list) resolve();
  };
  const fail = (error: unknown) => {
    failure ??= error;
    wake();
  };
  const onAbort = () => fail(new CaptureError('cancelled', 'the render was cancelled', {}));
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });

  // One flusher at a time keeps the sink's calls in order and sequential.
  let flushing = Promise.resolve();
  const flush = () => {
    flushing = flushing
      .then(async () => {
        while (failure === null && held.has(written)) {
          const frame = held.get(written)!;
          held.delete(written);
          await sink(frame, written);
          written++;
          options.onFrame?.(written);
          wake();
        }
      })
      .catch(fail);
    return flushing;
  };

  const runWorker = async (worker: CaptureWorker) => {
    while (failure === null) {
      const index = next++;
      if (index >= frameCount) return;
      while (failure === null && index >= written + limit) await new Promise<void>((resolve) => waiters.push(resolve));
      if (failure !== null) return;
      try {
        const frame = (options.firstFrame ?? 0) + index;
        held.set(index, await worker.renderFrame(frame, frameTime(frame, fps)));
      } catch (error) {
        fail(error);
        return;
      }
      void flush();
    }
  };

  try {
    await Promise.all(workers.map(runWorker));
    await flushing;
    if (failure === null && written !== frameCount)
      fail(new CaptureError('capture_failed', `only ${written} of ${frameCount} frames were captured`, {}));
    if (failure !== null) throw failure;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    held.clear();
  }
}
