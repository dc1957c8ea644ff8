/**
 * The render's side of the queue: every chunk of a render becomes a BullMQ job (id
 * `<renderId>-c<index>`, retried with backoff), progress comes back through QueueEvents, and the call
 * resolves with every chunk's result in order — or rejects with the first chunk that failed for good,
 * carrying that chunk's own error (code, message, fields) as its worker reported it. Waiting jobs of a
 * failed or cancelled render are removed; a chunk in hand finishes on its worker and is ignored.
 */
import { Queue, QueueEvents, type Job } from 'bullmq';
import type { ChunkJob, ChunkResult } from '../plan/chunks.js';
import { DistributedError } from './errors.js';
import { bullConnection, CHUNK_QUEUE } from './redis.js';

/** What a worker stores on its job as progress; `error` once an attempt failed. */
export interface ChunkProgress {
  done: number;
  total: number;
  error?: { code: string; message: string; [field: string]: unknown };
}

export interface QueueRunOptions {
  redis: string;
  /** Tries per chunk before the render fails (a worker killed mid-chunk does not use one up). Default 3. */
  attempts?: number;
  signal?: AbortSignal;
  /** Frames captured so far over all chunks. */
  onProgress?(done: number, total: number): void;
  /** Said once when, some seconds in, no worker has taken a chunk and none is connected. */
  onNoWorkers?(): void;
}

/** A chunk failed for good: `failure` is its error as the worker reported it. */
export class ChunkFailedError extends DistributedError {
  constructor(readonly job: ChunkJob, readonly failure: ChunkProgress['error'] & object, redis: string) {
    super('chunk_failed', failure.message, redis);
  }
}

/** Runs `jobs` on the queue at `options.redis` (see the module comment). */
export async function runChunksOnQueue(jobs: readonly ChunkJob[], options: QueueRunOptions): Promise<ChunkResult[]> {
  const connection = bullConnection(options.redis);
  const queue = new Queue<ChunkJob, ChunkResult>(CHUNK_QUEUE, { connection });
  const events = new QueueEvents(CHUNK_QUEUE, { connection });
  queue.on('error', () => {});
  events.on('error', () => {});
  const total = jobs.reduce((sum, j) => sum + j.count, 0);
  const done = new Map<string, number>();
  const idOf = (job: ChunkJob) => `${job.renderId}-c${job.index}`;
  const mine = new Set(jobs.map(idOf));
  let noWorkersTimer: NodeJS.Timeout | undefined;
  try {
    // Live events are only seen once QueueEvents is listening: before any job is added.
    await events.waitUntilReady();
    events.on('progress', ({ jobId, data }) => {
      if (!mine.has(jobId) || typeof data !== 'object' || data === null) return;
      done.set(jobId, Math.max(done.get(jobId) ?? 0, Number((data as ChunkProgress).done) || 0));
      options.onProgress?.([...done.values()].reduce((a, b) => a + b, 0), total);
    });
    events.on('completed', ({ jobId }) => {
      const job = jobs.find((j) => idOf(j) === jobId);
      if (job) done.set(jobId, job.count);
      options.onProgress?.([...done.values()].reduce((a, b) => a + b, 0), total);
    });
    const added = await queue.addBulk(jobs.map((job) => ({
      name: 'chunk', data: job,
      opts: { jobId: idOf(job), attempts: options.attempts ?? 3, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: { age: 3600 }, removeOnFail: { age: 24 * 3600 } },
    })));
    queue.setMaxListeners(added.length + 16);
    if (options.onNoWorkers) {
      noWorkersTimer = setTimeout(() => {
        void queue.getWorkersCount().then((count) => { if (count === 0 && done.size === 0) options.onNoWorkers!(); }, () => {});
      }, 5000);
    }
    const cancelled = new Promise<never>((_, reject) => {
      const abort = () => reject(new DistributedError('chunk_failed', 'the render was cancelled', options.redis));
      if (options.signal?.aborted) abort();
      options.signal?.addEventListener('abort', abort, { once: true });
    });
    cancelled.catch(() => {});
    return await Promise.race([Promise.all(added.map((job, i) => finished(job, jobs[i]!, events, queue, options.redis))), cancelled]);
  } catch (error) {
    // Nothing more of this render should start: drop its chunks that no worker took yet.
    await Promise.allSettled(jobs.map(async (job) => (await queue.getJob(idOf(job)))?.remove()));
    throw error;
  } finally {
    clearTimeout(noWorkersTimer);
    await events.close().catch(() => {});
    await queue.close().catch(() => {});
  }
}

/** The job's result once it completed; its own error once it failed for good. */
async function finished(job: Job<ChunkJob, ChunkResult>, chunk: ChunkJob, events: QueueEvents, queue: Queue<ChunkJob, ChunkResult>, redis: string): Promise<ChunkResult> {
  try {
    return (await job.waitUntilFinished(events)) as ChunkResult;
  } catch (error) {
    const stored = await queue.getJob(job.id!).catch(() => undefined);
    const reported = (stored?.progress as ChunkProgress | undefined)?.error;
    const message = reported?.message ?? stored?.failedReason ?? (error instanceof Error ? error.message : String(error));
    throw new ChunkFailedError(chunk, { ...(reported ?? {}), code: reported?.code ?? 'stage', message }, redis);
  }
}
