/**
 * The distributed mode's clocks, in one place, settable per process through the environment (an
 * operator on a slow network lengthens them; the test suite shortens them so a killed worker's chunk
 * is taken again in about 2.5 s instead of about 13):
 *
 * - `FRAMESMITH_LOCK_MS` (default 10000): the lock a worker holds on a chunk. BullMQ renews it every
 *   half of it while the chunk runs (the worker's heartbeat); a worker killed mid-chunk loses the
 *   chunk once it expires.
 * - `FRAMESMITH_STALLED_CHECK_MS` (default 3000): how often workers look for chunks whose lock
 *   expired and queue them again. A killed worker's chunk is taken again within about
 *   lock + stalled check.
 * - `FRAMESMITH_REDIS_LOST_MS` (default 5000): no answer from Redis for this long is a lost Redis
 *   (the render fails with `redis_lost`, a worker abandons its chunks and reconnects).
 * - `FRAMESMITH_WORKER_STOP_MS` (default 15000): how long a worker stopping on a signal waits to close
 *   cleanly before it exits anyway (`workerStopGraceMs`; not part of `DistributedTimings`).
 *
 * Each is a whole number of milliseconds from 100 to 3600000; anything else is refused with
 * `invalid_config` naming the variable, never ignored. An explicit option of the API (`lostAfterMs`,
 * `lockMs`, `stalledCheckMs`) wins over the environment.
 */
import { DistributedError } from './errors.js';

/** The distributed mode's clocks, in milliseconds (see the module comment). */
export interface DistributedTimings {
  /** The lock on a chunk in hand, renewed every half of it; see the module comment. */
  readonly lockMs: number;
  /** The interval of the check for chunks whose lock expired. */
  readonly stalledCheckMs: number;
  /** How long Redis may not answer before it counts as lost. */
  readonly redisLostMs: number;
}

/** The clocks when neither the environment nor an option sets them: lock 10 s, stalled check 3 s, Redis lost after 5 s. */
export const DEFAULT_TIMINGS: DistributedTimings = Object.freeze({ lockMs: 10_000, stalledCheckMs: 3_000, redisLostMs: 5_000 });

const VARIABLES: Record<keyof DistributedTimings, string> = {
  lockMs: 'FRAMESMITH_LOCK_MS',
  stalledCheckMs: 'FRAMESMITH_STALLED_CHECK_MS',
  redisLostMs: 'FRAMESMITH_REDIS_LOST_MS',
};

const MIN_MS = 100;
const MAX_MS = 3_600_000;

/**
 * The timings `env` sets (unset or empty: the default), frozen. Throws DistributedError
 * `invalid_config` for a value that is not a whole number of milliseconds from 100 to 3600000.
 */
export function distributedTimings(env: NodeJS.ProcessEnv = process.env): DistributedTimings {
  const timings = { ...DEFAULT_TIMINGS };
  for (const key of Object.keys(VARIABLES) as Array<keyof DistributedTimings>)
    timings[key] = readMs(env, VARIABLES[key], DEFAULT_TIMINGS[key]);
  return Object.freeze(timings);
}

/** The grace of a stopping worker when FRAMESMITH_WORKER_STOP_MS does not set it (`workerStopGraceMs`): 15 s. */
export const DEFAULT_WORKER_STOP_MS = 15_000;

/**
 * How long `framesmith worker`, stopping on SIGTERM or SIGINT, waits for its chunks to go back to the
 * queue and its clients to close before it exits 0 anyway (its chunks then come back as stalled):
 * FRAMESMITH_WORKER_STOP_MS, else `DEFAULT_WORKER_STOP_MS`. A last resort: the worker's stop waits
 * on Redis about a second at most (worker.ts), so only a chunk that does not stop on its signal
 * reaches it. Throws
 * DistributedError `invalid_config` for a value that is not a whole number of milliseconds from 100
 * to 3600000, as `distributedTimings` does.
 */
export function workerStopGraceMs(env: NodeJS.ProcessEnv = process.env): number {
  return readMs(env, 'FRAMESMITH_WORKER_STOP_MS', DEFAULT_WORKER_STOP_MS);
}

/** `env[variable]` as whole milliseconds from MIN_MS to MAX_MS, `fallback` when unset or blank; else `invalid_config`. */
function readMs(env: NodeJS.ProcessEnv, variable: string, fallback: number): number {
  const text = env[variable]?.trim();
  if (!text) return fallback;
  const ms = Number(text);
  if (!/^\d+$/.test(text) || ms < MIN_MS || ms > MAX_MS) {
    throw new DistributedError(
      'invalid_config',
      `${variable}="${text}" is not a duration: give whole milliseconds from ${MIN_MS} to ${MAX_MS}, or unset it for the default ${fallback}`,
      {},
    );
  }
  return ms;
}
