/**
 * The worker's side of the queue: takes chunk jobs and runs them with the processor it is given (the
 * CLI gives `renderChunk`), `concurrency` at a time.
 *
 * - Locks are short (`lockMs`, 10 s by default) and renewed every half of it while a chunk runs, so a
 *   worker killed mid-chunk (SIGKILL, a lost machine) loses its chunk to another worker within about
 *   lockMs + stalledCheckMs (timings.ts: both settable through the environment), and that does not
 *   count as one of the chunk's tries. A chunk may stall `MAX_STALLS` times before it fails.
 * - Every liveness decision is Redis's clock: the chunk's lock is a key with a TTL (`PX`), renewed
 *   while the chunk runs (by BullMQ, and every third of it here by the monotonic clock: BullMQ's own
 *   renewals stop while the wall clock is stepped back), and the stalled check takes back only chunks
 *   whose lock key is gone; a render's liveness is its heartbeat key (cancel.ts). No worker compares
 *   its own time with another machine's, so clocks hours apart change nothing.
 * - An attempt that throws stores the error (code, message, fields) on the job's progress, so the
 *   render reports the chunk's own error; `permanent(error)` errors (by default `failsForGood`,
 *   failures.ts: the composition's own faults among them) fail the chunk — and so its render — at
 *   once, others are tried again.
 * - `stop()` (SIGTERM) hands the chunks in hand back to the queue at once — another worker takes them
 *   straight away — and resolves when the worker has closed: whatever the state of Redis, within about
 *   two STOP_REDIS_MS once its chunks stopped (Redis not answering: they come back as stalled).
 * - A chunk of a cancelled render (its cancel key, cancel.ts: looked for before a chunk starts, every
 *   CANCEL_POLL_MS while it runs, and after it finished) is aborted through its AbortSignal and fails
 *   for good, and `onRenderCancelled` removes what the render left in storage (a segment published
 *   after the render cleaned up included). A chunk of a render that is gone (its heartbeat expired:
 *   the render was killed; or deleted: it no longer waits) is dropped the same way, before it starts or
 *   while it runs, and its files are left to the render or to `storage prune`.
 * - Redis lost (`watchRedis`: no answer for `lostAfterMs`): the chunks in hand are abandoned at once
 *   (their renders fail with `redis_lost` meanwhile, and a Redis that comes back without its data has
 *   no job to report to), `onConnection('lost')` is said, and the worker keeps reconnecting —
 *   `onConnection('back')` — and takes chunks again: a Redis restart does not need every worker
 *   restarted.
 */
import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { FramesmithError } from '../errors.js';
import type { ChunkJob, ChunkResult } from '../plan/chunks.js';
import type { ChunkProgress } from './queue.js';
import { CANCEL_POLL_MS, stoppedAmong } from './cancel.js';
import { failsForGood } from './failures.js';
import { bullConnection, CHUNK_QUEUE, endBullClients, watchRedis, within } from './redis.js';
import { distributedTimings } from './timings.js';

/** How many times a chunk whose lock expired (its worker killed or frozen) is queued again before it fails for good. */
export const MAX_STALLS = 2;

/**
 * Renders one chunk and resolves with its result; must stop when `signal` aborts (render cancelled, worker
 * stopping, Redis lost) and report frames done through `progress`. A rejection fails the attempt.
 */
export type ChunkProcessor = (
  job: ChunkJob,
  context: {
    signal: AbortSignal;
    progress(done: number, total: number): void;
    /**
     * Whether render `renderId` still waits for its chunks, asked on Redis (its cancel key and
     * heartbeat, cancel.ts): give it to `renderChunk` as `renderOpen`, whose default judges a storage
     * marker's age by this machine's clock.
     */
    renderOpen(renderId: string): Promise<boolean>;
  },
) => Promise<ChunkResult>;

/** How `startChunkWorker()` takes chunks from the Redis queue at `redis` and renders each with `process`. */
export interface ChunkWorkerOptions {
  redis: string;
  concurrency?: number;
  process: ChunkProcessor;
  /** Errors no other try or worker can fix (a plan of another framesmith version, the page's own error). Default `failsForGood` (failures.ts). */
  permanent?(error: unknown): boolean;
  /**
   * A chunk started, finished, failed, went back to the queue (`stop`; `error` says why the queue
   * takes it back later instead, when its lock was lost), was stopped because its render was
   * cancelled or is gone (its heartbeat on Redis expired or was deleted), or abandoned because Redis
   * was lost (for the worker's log).
   */
  onEvent?(event: {
    kind: 'start' | 'done' | 'failed' | 'returned' | 'cancelled' | 'gone' | 'abandoned';
    job: ChunkJob;
    attempt: number;
    error?: string;
    ms?: number;
  }): void;
  /** Removes what render `renderId` left in storage; called once a chunk of it is seen cancelled. Never throws. */
  onRenderCancelled?(renderId: string): Promise<void>;
  /** Redis stopped answering (`cause`: the last error) or answers again. */
  onConnection?(event: { kind: 'lost' | 'back'; cause?: string }): void;
  /** No answer from Redis for this long is a lost Redis. Default: FRAMESMITH_REDIS_LOST_MS, else 5000 (timings.ts). */
  lostAfterMs?: number;
  /** The lock on a chunk in hand, renewed every half of it. Default: FRAMESMITH_LOCK_MS, else 10000. */
  lockMs?: number;
  /** How often to look for chunks whose lock expired. Default: FRAMESMITH_STALLED_CHECK_MS, else 3000. */
  stalledCheckMs?: number;
}

/**
 * How long a stopping worker waits for Redis: to take a chunk back (`moveToWait`), then for BullMQ's
 * close. Past it the chunk comes back as stalled, and the clients are ended without waiting.
 */
const STOP_REDIS_MS = 1000;

/** Why a chunk's AbortSignal fired, besides `stop()` and BullMQ's own. */
const CANCELLED = Symbol('the render was cancelled');
const ABANDONED = Symbol('Redis was lost');
const GONE = Symbol('its render no longer waits for it');

/** A running chunk worker: wait for `ready`, and `stop()` it to hand chunks in hand back and close. */
export interface ChunkWorker {
  /**
   * Hands chunks in hand back to the queue, then closes; waits on Redis at most STOP_REDIS_MS for each
   * (not at all while it is lost), so it resolves promptly even with Redis down or just restarted.
   */
  stop(): Promise<void>;
  /** Resolves once the worker is connected and taking jobs. */
  ready: Promise<void>;
}

/**
 * Starts taking chunks (see the module comment). Throws DistributedError `invalid_config` for a
 * malformed FRAMESMITH_*_MS timing in the environment.
 */
export function startChunkWorker(options: ChunkWorkerOptions): ChunkWorker {
  const timings = distributedTimings();
  const lockMs = options.lockMs ?? timings.lockMs;
  let stopping = false;
  /** Whether the watch counts Redis as lost now; `givenUp`: stopped, BullMQ's clients no longer reconnect. */
  let redisLost = false;
  let givenUp = false;
  const watch = watchRedis(options.redis, {
    lostAfterMs: options.lostAfterMs ?? timings.redisLostMs,
    onLost: (cause) => {
      redisLost = true;
      options.onConnection?.({ kind: 'lost', cause });
      for (const held of inHand) held.abort.abort(ABANDONED);
    },
    onBack: () => {
      redisLost = false;
      options.onConnection?.({ kind: 'back' });
    },
  });
  /** The chunks this worker runs now; `idle` resolves once none is left (`stop()` waits for it). */
  const inHand = new Set<{ renderId: string; abort: AbortController }>();
  const whenIdle: Array<() => void> = [];
  const idle = () => (inHand.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => whenIdle.push(resolve)));
  /** Renders whose storage clean-up ran or runs (each once), the oldest dropped past 100. */
  const cleaned = new Map<string, Promise<void>>();
  const cleanUp = (renderId: string): Promise<void> => {
    if (!cleaned.has(renderId)) {
      cleaned.set(
        renderId,
        (options.onRenderCancelled?.(renderId) ?? Promise.resolve()).catch(() => {}),
      );
      if (cleaned.size > 100) cleaned.delete(cleaned.keys().next().value!);
    }
    return cleaned.get(renderId)!;
  };
  const renderOpen = async (renderId: string) => !(await stoppedAmong(watch.client, [renderId])).has(renderId);
  const poll = setInterval(() => {
    if (inHand.size === 0) return;
    void stoppedAmong(
      watch.client,
      [...inHand].map((h) => h.renderId),
    ).then((stopped) => {
      for (const held of inHand) {
        const why = stopped.get(held.renderId);
        if (why) held.abort.abort(why === 'cancelled' ? CANCELLED : GONE);
      }
    });
  }, CANCEL_POLL_MS);
  poll.unref();

  const worker = new Worker<ChunkJob, ChunkResult>(
    CHUNK_QUEUE,
    async (job: Job<ChunkJob, ChunkResult>, token?: string, signal?: AbortSignal) => {
      const chunk = job.data;
      const attempt = job.attemptsMade + 1;
      const stoppedBefore = (await stoppedAmong(watch.client, [chunk.renderId])).get(chunk.renderId);
      if (stoppedBefore) {
        if (stoppedBefore === 'cancelled') await cleanUp(chunk.renderId);
        options.onEvent?.({ kind: stoppedBefore, job: chunk, attempt });
        throw new UnrecoverableError((stoppedBefore === 'cancelled' ? CANCELLED : GONE).description!);
      }
      const started = performance.now();
      const held = { renderId: chunk.renderId, abort: new AbortController() };
      signal?.addEventListener('abort', () => held.abort.abort(), { once: true });
      inHand.add(held);
      let last = 0;
      const progress = (done: number, total: number) => {
        // At most ~4 updates a second: each is a Redis round trip.
        const now = performance.now();
        if (done < total && now - last < 250) return;
        last = now;
        void job.updateProgress({ done, total } satisfies ChunkProgress).catch(() => {});
      };
      options.onEvent?.({ kind: 'start', job: chunk, attempt });
      // BullMQ renews the lock when `Date.now()` says half of it passed: a wall clock stepped back (NTP)
      // stops its renewals until the clock catches up, and the live chunk is taken back as stalled. So
      // the lock is renewed here too, every third of it by the monotonic clock (timers); the expiry
      // itself stays Redis's (PX). A renewal after the chunk lost its lock changes nothing (token check).
      const renew = setInterval(
        () => void (token ? job.extendLock(token, lockMs).catch(() => {}) : undefined),
        Math.max(50, Math.floor(lockMs / 3)),
      );
      try {
        const result = await options.process(chunk, { signal: held.abort.signal, progress, renderOpen });
        // Cancelled while it finished: its segment may have been published after the render cleaned up.
        if ((await stoppedAmong(watch.client, [chunk.renderId])).get(chunk.renderId) === 'cancelled') {
          await cleanUp(chunk.renderId);
          options.onEvent?.({ kind: 'cancelled', job: chunk, attempt });
          return result;
        }
        options.onEvent?.({ kind: 'done', job: chunk, attempt, ms: Math.round(performance.now() - started) });
        return result;
      } catch (error) {
        let why = held.abort.signal.reason;
        // A chunk can fail before the poll sees the cancel key: the cancelled render removed its storage
        // (the segment's directory) under the encoder. That is a cancellation, not a failure to retry.
        if (why !== CANCELLED && why !== ABANDONED && why !== GONE) {
          const stopped = (await stoppedAmong(watch.client, [chunk.renderId])).get(chunk.renderId);
          if (stopped) why = stopped === 'cancelled' ? CANCELLED : GONE;
        }
        if (why === CANCELLED || why === ABANDONED || why === GONE) {
          if (why === CANCELLED) await cleanUp(chunk.renderId);
          options.onEvent?.({ kind: why === CANCELLED ? 'cancelled' : why === GONE ? 'gone' : 'abandoned', job: chunk, attempt });
          throw new UnrecoverableError(why.description!);
        }
        if (stopping && token) {
          // Shutting down: the chunk goes back to the queue untried, for another worker. When its lock
          // was already lost (a stalled event loop on a loaded machine) BullMQ refuses the move; the
          // queue then takes the chunk back as stalled, which is said too, not swallowed.
          // Bounded: with Redis not answering, BullMQ would queue the move until it does.
          const refused = await within(
            job.moveToWait(token).then(
              () => '',
              (e: unknown) => (e instanceof Error ? e.message : String(e)),
            ),
            STOP_REDIS_MS,
          ).then((outcome) => outcome ?? `Redis did not answer in ${STOP_REDIS_MS} ms`);
          options.onEvent?.({
            kind: 'returned',
            job: chunk,
            attempt,
            ...(refused ? { error: `not taken back (${refused}): the queue takes it back once its lock expires` } : {}),
          });
          throw new WaitingError();
        }
        const reported =
          error instanceof FramesmithError
            ? (error.toJSON() as ChunkProgress['error'])
            : { code: 'stage', message: error instanceof Error ? error.message : String(error) };
        await job.updateProgress({ done: 0, total: chunk.count, error: reported } satisfies ChunkProgress).catch(() => {});
        options.onEvent?.({ kind: 'failed', job: chunk, attempt, error: reported!.message });
        if ((options.permanent ?? failsForGood)(error)) throw new UnrecoverableError(reported!.message);
        throw error instanceof Error ? error : new Error(String(error));
      } finally {
        clearInterval(renew);
        inHand.delete(held);
        if (inHand.size === 0) for (const resolve of whenIdle.splice(0)) resolve();
      }
    },
    {
      connection: bullConnection(options.redis, () => givenUp),
      concurrency: options.concurrency ?? 1,
      lockDuration: lockMs,
      stalledInterval: options.stalledCheckMs ?? timings.stalledCheckMs,
      maxStalledCount: MAX_STALLS,
    },
  );
  worker.on('error', () => {});
  return {
    ready: worker.waitUntilReady().then(() => {}),
    async stop() {
      stopping = true;
      clearInterval(poll);
      worker.cancelAllJobs('the worker is stopping');
      // The chunks in hand stop on their signal and go back to the queue (each bounded by STOP_REDIS_MS).
      await idle();
      // BullMQ's close waits on Redis (the blocking read's end, QUIT), forever while it does not answer
      // — or while BullMQ's clients wait to reconnect after a restart. So: bounded, and not waited for
      // while Redis is lost; else the clients are ended at once, so no reconnect or queued command of
      // theirs keeps the process alive.
      const closing = worker.close().then(
        () => true,
        () => false,
      );
      if (redisLost || (await within(closing, STOP_REDIS_MS)) !== true) {
        givenUp = true;
        await endBullClients([worker]);
        await within(closing, STOP_REDIS_MS);
      }
      watch.stop();
    },
  };
}
