/**
 * The worker's side of the queue: takes chunk jobs and runs them with the processor it is given (the
 * CLI gives `renderChunk`), `concurrency` at a time.
 *
 * - Locks are short (`LOCK_MS`) and renewed while a chunk runs, so a worker killed mid-chunk (SIGKILL,
 *   a lost machine) loses its chunk to another worker within about LOCK_MS + STALLED_CHECK_MS, and that
 *   does not count as one of the chunk's tries. A chunk may stall `MAX_STALLS` times before it fails.
 * - An attempt that throws stores the error (code, message, fields) on the job's progress, so the
 *   render reports the chunk's own error; `permanent(error)` errors fail the chunk at once, others are
 *   tried again.
 * - `stop()` (SIGTERM) hands the chunks in hand back to the queue at once — another worker takes them
 *   straight away — and resolves when the worker has closed.
 */
import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { FramesmithError } from '../errors.js';
import type { ChunkJob, ChunkResult } from '../plan/chunks.js';
import type { ChunkProgress } from './queue.js';
import { bullConnection, CHUNK_QUEUE } from './redis.js';

export const LOCK_MS = 10_000;
export const STALLED_CHECK_MS = 3_000;
export const MAX_STALLS = 2;

export type ChunkProcessor = (job: ChunkJob, context: { signal: AbortSignal; progress(done: number, total: number): void }) => Promise<ChunkResult>;

export interface ChunkWorkerOptions {
  redis: string;
  concurrency?: number;
  process: ChunkProcessor;
  /** Errors no other try or worker can fix (a plan of another framesmith version, bad input). */
  permanent?(error: unknown): boolean;
  /** A chunk started, finished or failed (for the worker's log). */
  onEvent?(event: { kind: 'start' | 'done' | 'failed' | 'returned'; job: ChunkJob; attempt: number; error?: string; ms?: number }): void;
}

export interface ChunkWorker {
  /** Hands chunks in hand back to the queue, then closes. */
  stop(): Promise<void>;
  /** Resolves once the worker is connected and taking jobs. */
  ready: Promise<void>;
}

export function startChunkWorker(options: ChunkWorkerOptions): ChunkWorker {
  let stopping = false;
  const worker = new Worker<ChunkJob, ChunkResult>(CHUNK_QUEUE, async (job: Job<ChunkJob, ChunkResult>, token?: string, signal?: AbortSignal) => {
    const chunk = job.data;
    const attempt = job.attemptsMade + 1;
    const started = performance.now();
    const abort = new AbortController();
    signal?.addEventListener('abort', () => abort.abort(), { once: true });
    let last = 0;
    const progress = (done: number, total: number) => {
      // At most ~4 updates a second: each is a Redis round trip.
      const now = performance.now();
      if (done < total && now - last < 250) return;
      last = now;
      void job.updateProgress({ done, total } satisfies ChunkProgress).catch(() => {});
    };
    options.onEvent?.({ kind: 'start', job: chunk, attempt });
    try {
      const result = await options.process(chunk, { signal: abort.signal, progress });
      options.onEvent?.({ kind: 'done', job: chunk, attempt, ms: Math.round(performance.now() - started) });
      return result;
    } catch (error) {
      if (stopping && token) {
        // Shutting down: the chunk goes back to the queue untried, for another worker.
        await job.moveToWait(token);
        options.onEvent?.({ kind: 'returned', job: chunk, attempt });
        throw new WaitingError();
      }
      const reported = error instanceof FramesmithError ? (error.toJSON() as ChunkProgress['error']) : { code: 'stage', message: error instanceof Error ? error.message : String(error) };
      await job.updateProgress({ done: 0, total: chunk.count, error: reported } satisfies ChunkProgress).catch(() => {});
      options.onEvent?.({ kind: 'failed', job: chunk, attempt, error: reported!.message });
      if (options.permanent?.(error)) throw new UnrecoverableError(reported!.message);
      throw error instanceof Error ? error : new Error(String(error));
    }
  }, {
    connection: bullConnection(options.redis),
    concurrency: options.concurrency ?? 1,
    lockDuration: LOCK_MS,
    stalledInterval: STALLED_CHECK_MS,
    maxStalledCount: MAX_STALLS,
  });
  worker.on('error', () => {});
  return {
    ready: worker.waitUntilReady().then(() => {}),
    async stop() {
      stopping = true;
      worker.cancelAllJobs('the worker is stopping');
      await worker.close();
    },
  };
}
