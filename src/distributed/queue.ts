/**
 * The render's side of the queue: every chunk of a render becomes a BullMQ job (id
 * `<renderId>-c<index>`), progress comes back through QueueEvents, and the call resolves with every
 * chunk's result in order — or rejects with the first chunk that failed for good, carrying that chunk's
 * own error (code, message, fields) as its worker reported it. A chunk fails for good at its first try
 * when its error is one no try can fix (failures.ts: the composition's own, e.g. the page threw at a
 * frame), else after `attempts` tries.
 *
 * Nothing here or on a worker depends on a machine's wall clock (clocks hours apart are fine): while
 * it waits, the render keeps its heartbeat key on Redis (cancel.ts, TTL three times `lostAfterMs`); a
 * failed try is queued again at once (a BullMQ backoff would be a delayed job, due by the failing
 * worker's clock and promoted by the others'); finished jobs are kept by count, not age (BullMQ ages
 * them by the finishing worker's clock).
 *
 * A render that stops early (a chunk failed, `signal` aborted, Redis lost) removes its waiting jobs and
 * sets its cancel key (cancel.ts), so workers abort its chunks in hand and remove what they wrote; its
 * finished jobs stay (a failed one says its tries: `attemptsMade`). Redis is watched (`watchRedis`): no
 * answer for `lostAfterMs` rejects with `redis_lost` instead of waiting for BullMQ's endless
 * reconnects; closing the clients is bounded for the same reason.
 */
import { Queue, QueueEvents, type Job } from 'bullmq';
import type { ChunkJob, ChunkResult } from '../plan/chunks.js';
import { clearAlive, keepAlive, markAlive, markCancelled } from './cancel.js';
import { DistributedError } from './errors.js';
import { bullConnection, CHUNK_QUEUE, endBullClients, watchRedis, within, type RedisWatch } from './redis.js';
import { distributedTimings } from './timings.js';

/** How long the clean-up of a stopped render (job removals, the cancel key, closing) may take. */
const CLEANUP_MS = 2000;

/** How many finished jobs the queue keeps (BullMQ's `count`): completed ones, and failed ones to look into. */
const KEEP_COMPLETED = 1000;
const KEEP_FAILED = 5000;

/** What a worker stores on its job as progress; `error` once an attempt failed. */
export interface ChunkProgress {
  done: number;
  total: number;
  error?: { code: string; message: string; [field: string]: unknown };
}

/** How `runChunksOnQueue()` runs a render's chunks: the Redis URL of the queue, tries per chunk, cancellation and progress. */
export interface QueueRunOptions {
  redis: string;
  /**
   * Tries per chunk before the render fails, for failures another try may fix (failures.ts; a worker
   * killed mid-chunk does not use one up). Default 3.
   */
  attempts?: number;
  signal?: AbortSignal;
  /** No answer from Redis for this long fails the render with `redis_lost`. Default: FRAMESMITH_REDIS_LOST_MS, else 5000 (timings.ts). */
  lostAfterMs?: number;
  /** Frames captured so far over all chunks. */
  onProgress?(done: number, total: number): void;
  /** Said once when, some seconds in, no worker has taken a chunk and none is connected. */
  onNoWorkers?(): void;
}

/** What a chunk's failure names: the chunk, and its error as the worker reported it (`toJSON()`'s shape). */
export interface ChunkFailedFields {
  redis: string;
  chunk: { index: number; first: number; count: number };
  failure: ChunkProgress['error'] & object;
}

/** A chunk failed for good; the message is the chunk's own error's. */
export class ChunkFailedError extends DistributedError<ChunkFailedFields> {
  override readonly name = 'ChunkFailedError';
}

/** Runs `jobs` (all of one render) on the queue at `options.redis` (see the module comment). */
export async function runChunksOnQueue(jobs: readonly ChunkJob[], options: QueueRunOptions): Promise<ChunkResult[]> {
  // Before any client opens: a malformed FRAMESMITH_REDIS_LOST_MS throws here.
  const lostAfterMs = options.lostAfterMs ?? distributedTimings().redisLostMs;
  // Once the render gave up on Redis, BullMQ's clients stop reconnecting (a reconnect pending would hold the process).
  let givenUp = false;
  const connection = bullConnection(options.redis, () => givenUp);
  const queue = new Queue<ChunkJob, ChunkResult>(CHUNK_QUEUE, { connection });
  const events = new QueueEvents(CHUNK_QUEUE, { connection });
  queue.on('error', () => {});
  events.on('error', () => {});
  let onLost: (cause: string) => void = () => {};
  let redisLost = false;
  const lost = new Promise<never>((_, reject) => {
    onLost = (cause) => {
      redisLost = true;
      reject(
        new DistributedError(
          'redis_lost',
          `Redis at ${options.redis} stopped answering (${cause}) for ${(lostAfterMs / 1000).toFixed(1)} s while the render waited for its chunks: the render is stopped; check that redis-server runs there, then render again`,
          { redis: options.redis },
        ),
      );
    };
  });
  lost.catch(() => {});
  const watch = watchRedis(options.redis, { lostAfterMs, onLost: (cause) => onLost(cause) });
  const idOf = (job: ChunkJob) => `${job.renderId}-c${job.index}`;
  const renderId = jobs[0]?.renderId;
  let noWorkersTimer: NodeJS.Timeout | undefined;
  /** `ended`: the render stopped waiting — a heartbeat must not start after that. */
  const heartbeat = { stop: () => {}, ended: false };
  try {
    const cancelled = new Promise<never>((_, reject) => {
      const abort = () => reject(new DistributedError('chunk_failed', 'the render was cancelled', { redis: options.redis }));
      if (options.signal?.aborted) abort();
      options.signal?.addEventListener('abort', abort, { once: true });
    });
    cancelled.catch(() => {});
    const running = enqueueAndWait(jobs, { ...options, lostAfterMs }, queue, events, watch, heartbeat, (timer) => {
      noWorkersTimer = timer;
    });
    running.catch(() => {}); // a render that stopped for another reason leaves it pending or failing
    return await Promise.race([running, cancelled, lost]);
  } catch (error) {
    // Nothing more of this render should run: drop its chunks no worker took yet, and tell the workers
    // holding the others to stop (bounded: with Redis gone none of this can complete). Finished jobs
    // stay, for their record (removeOnFail); a held one refuses removal and stops through the cancel key.
    if (!redisLost)
      await within(
        Promise.allSettled([
          ...(renderId ? [markCancelled(watch.client, renderId)] : []),
          ...jobs.map(async (job) => {
            const queued = await queue.getJob(idOf(job));
            const state = await queued?.getState();
            if (queued && state !== 'completed' && state !== 'failed') await queued.remove();
          }),
        ]),
        CLEANUP_MS,
      );
    throw error;
  } finally {
    clearTimeout(noWorkersTimer);
    heartbeat.ended = true;
    heartbeat.stop();
    // The render no longer waits for chunks: a worker still holding one (a stalled try) drops it.
    if (renderId && !redisLost) await within(clearAlive(watch.client, renderId), CLEANUP_MS);
    watch.stop();
    // Bounded: with Redis gone, close() may never settle — and hold no handle, so a render awaiting
    // it would end with Node's empty event loop, silently, exit code 0. Redis lost, or close() not done
    // in time: the clients are ended at once, their queued commands rejected — BullMQ's disconnect()
    // alone leaves a reconnecting client's commands pending, and its XREAD's watchdog timer kept the
    // process alive ~11 s after the render reported `redis_lost`.
    // close() first in any case: it tells QueueEvents' read loop to stop, which a rejected read
    // otherwise retries every 5 s, forever.
    const closing = Promise.all([events.close(), queue.close()]).then(
      () => true,
      () => false, // never thrown from here: it would replace the render's own error
    );
    if (redisLost || (await within(closing, CLEANUP_MS)) !== true) {
      givenUp = true;
      await endBullClients([events, queue]);
      await within(closing, CLEANUP_MS);
    }
  }
}

/** Adds the jobs and resolves with every chunk's result (see the module comment). */
async function enqueueAndWait(
  jobs: readonly ChunkJob[],
  options: QueueRunOptions,
  queue: Queue<ChunkJob, ChunkResult>,
  events: QueueEvents,
  watch: RedisWatch,
  heartbeat: { stop(): void; readonly ended: boolean },
  setNoWorkersTimer: (timer: NodeJS.Timeout) => void,
): Promise<ChunkResult[]> {
  const total = jobs.reduce((sum, j) => sum + j.count, 0);
  const done = new Map<string, number>();
  const idOf = (job: ChunkJob) => `${job.renderId}-c${job.index}`;
  const mine = new Set(jobs.map(idOf));
  // Live events are only seen once QueueEvents is listening: before any job is added.
  await events.waitUntilReady();
  // And the heartbeat before the first job: a worker drops the chunks of a render without one.
  const renderId = jobs[0]?.renderId;
  if (renderId) {
    await watch.connected();
    const { client } = watch;
    const ttlMs = 3 * options.lostAfterMs!;
    await markAlive(client, renderId, ttlMs).catch((error: unknown) => {
      throw new DistributedError(
        'redis_unreachable',
        `Redis at ${options.redis} did not take the render's heartbeat (${error instanceof Error ? error.message : String(error)}): check that redis-server runs there, then render again`,
        { redis: options.redis },
        { cause: error },
      );
    });
    if (!heartbeat.ended) heartbeat.stop = keepAlive(client, renderId, ttlMs);
  }
  events.on('progress', ({ jobId, data }) => {
    if (!mine.has(jobId) || typeof data !== 'object' || data === null) return;
    done.set(jobId, Math.max(done.get(jobId) ?? 0, Number((data as ChunkProgress).done) || 0));
    options.onProgress?.(
      [...done.values()].reduce((a, b) => a + b, 0),
      total,
    );
  });
  events.on('completed', ({ jobId }) => {
    const job = jobs.find((j) => idOf(j) === jobId);
    if (job) done.set(jobId, job.count);
    options.onProgress?.(
      [...done.values()].reduce((a, b) => a + b, 0),
      total,
    );
  });
  const added = await queue.addBulk(
    jobs.map((job) => ({
      name: 'chunk',
      data: job,
      opts: {
        jobId: idOf(job),
        attempts: options.attempts ?? 3,
        removeOnComplete: { count: KEEP_COMPLETED },
        removeOnFail: { count: KEEP_FAILED },
      },
    })),
  );
  queue.setMaxListeners(added.length + 16);
  if (options.onNoWorkers) {
    setNoWorkersTimer(
      setTimeout(() => {
        void queue.getWorkersCount().then(
          (count) => {
            if (count === 0 && done.size === 0) options.onNoWorkers!();
          },
          () => {},
        );
      }, 5000),
    );
  }
  return Promise.all(added.map((job, i) => finished(job, jobs[i]!, events, queue, options.redis)));
}

/** The job's result once it completed; its own error once it failed for good. */
async function finished(
  job: Job<ChunkJob, ChunkResult>,
  chunk: ChunkJob,
  events: QueueEvents,
  queue: Queue<ChunkJob, ChunkResult>,
  redis: string,
): Promise<ChunkResult> {
  try {
    return (await job.waitUntilFinished(events)) as ChunkResult;
  } catch (error) {
    const stored = await queue.getJob(job.id!).catch(() => undefined);
    const reported = (stored?.progress as ChunkProgress | undefined)?.error;
    const message = reported?.message ?? stored?.failedReason ?? (error instanceof Error ? error.message : String(error));
    const failure = { ...(reported ?? {}), code: reported?.code ?? 'stage', message };
    throw new ChunkFailedError('chunk_failed', message, {
      redis,
      chunk: { index: chunk.index, first: chunk.first, count: chunk.count },
      failure,
    });
  }
}
