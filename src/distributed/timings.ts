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
  for (const key of Object.keys(VARIABLES) as Array<keyof DistributedTimings>) {
    const text = env[VARIABLES[key]]?.trim();
    if (!text) continue;
    const ms = Number(text);
    if (!/^\d+$/.test(text) || ms < MIN_MS || ms > MAX_MS) {
      throw new DistributedError(
        'invalid_config',
        `${VARIABLES[key]}="${text}" is not a duration: give whole milliseconds from ${MIN_MS} to ${MAX_MS}, or unset it for the default ${DEFAULT_TIMINGS[key]}`,
        {},
      );
    }
    timings[key] = ms;
  }
  return Object.freeze(timings);
}
