/**
 * Reaching Redis. BullMQ's own connections retry forever (a render would hang silently when Redis is
 * down), so both the render and the worker first ask a throw-away client with no reconnects for a
 * PING, bounded in time: a refused port or unknown host fails in milliseconds, a listener that never
 * answers after `timeoutMs`.
 */
import { Redis } from 'ioredis';
import { DistributedError } from './errors.js';
import { DEFAULT_TIMINGS } from './timings.js';

/** The BullMQ queue every chunk goes through. */
export const CHUNK_QUEUE = 'framesmith-chunks';

/** Throws `redis_url` for anything but a redis:// or rediss:// URL. */
export function checkRedisUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DistributedError('redis_url', `\`redis\` "${url}" is not a URL: give one like redis://127.0.0.1:6379 (rediss:// for TLS)`, {
      redis: url,
      option: 'redis',
    });
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new DistributedError('redis_url', `\`redis\` "${url}" is not a redis:// or rediss:// URL: give one like redis://127.0.0.1:6379`, {
      redis: url,
      option: 'redis',
    });
  }
}

/** Resolves once Redis at `url` answered a PING; else throws `redis_unreachable` (see the module comment). */
export async function assertRedisReachable(url: string, timeoutMs = 3000): Promise<void> {
  checkRedisUrl(url);
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    disconnectTimeout: 100,
    retryStrategy: () => null,
  });
  let lastError: (Error & { code?: string }) | undefined;
  client.on('error', (error: Error) => {
    lastError = error;
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect().then(() => client.ping()),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (error) {
    const cause = lastError ?? (error as Error);
    throw new DistributedError(
      'redis_unreachable',
      `Redis at ${url} cannot be reached (${cause.message}): start redis-server there, or fix \`redis\``,
      { redis: url },
      { cause },
    );
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

/** The longest wait between two reconnect attempts of BullMQ's clients (`bullConnection`). */
export const RECONNECT_MAX_MS = 1000;

/**
 * BullMQ's connection options for `url` (it makes and closes its own clients). Its clients reconnect
 * after 100 ms, then 100 ms later at each attempt up to RECONNECT_MAX_MS — not BullMQ's default
 * backoff, which grows to 20 s: after a Redis restart a worker would take chunks (and close on
 * SIGTERM, which waits on them) up to 20 s after Redis answers again. Once `givenUp()` is true, a client whose attempt fails stops
 * reconnecting and ends, rejecting the commands it held (see `endClient`). `disconnectTimeout` 100 ms,
 * not ioredis's 2 s: disconnecting a client whose socket already closed (Redis gone) arms a timer
 * that waits that long for a close that never comes, and holds the process meanwhile.
 */
export function bullConnection(
  url: string,
  givenUp: () => boolean = () => false,
): { url: string; disconnectTimeout: number; retryStrategy(times: number): number | null } {
  return { url, disconnectTimeout: 100, retryStrategy: (times) => (givenUp() ? null : Math.min(RECONNECT_MAX_MS, 100 * times)) };
}

/** An ioredis client as `endClient` uses it (BullMQ types its clients this loosely). */
export interface RedisClientLike {
  readonly status: string;
  disconnect(): void;
}

/**
 * Ends `client` now, whatever its state, and rejects every command it still holds. ioredis's
 * `disconnect()` between two reconnect attempts only cancels the next attempt: the client never
 * emits `end` (BullMQ's close waits for it) and the commands it queued meanwhile never settle —
 * BullMQ's blocking XREAD among them, whose watchdog timer (its blocking timeout plus a second, 11 s)
 * keeps the process alive after the render is over. So a reconnecting client is ended here as ioredis
 * ends one whose reconnects gave up (its `setStatus('end')` and `flushQueue`, not in its typings: used
 * only when present; else the client ends at its next attempt, within RECONNECT_MAX_MS, once
 * `bullConnection`'s `givenUp()` is true).
 */
export function endClient(client: RedisClientLike): void {
  const reconnecting = client.status === 'reconnecting';
  client.disconnect();
  if (!reconnecting) return;
  const internals = client as unknown as { setStatus?(status: string): void; flushQueue?(error: Error): void };
  internals.setStatus?.('end');
  internals.flushQueue?.(new Error('Connection is closed.'));
}

/** What BullMQ makes (Queue, QueueEvents, Worker): its backend holds its Redis clients. */
interface BullClients {
  getBackend(): { readonly client: Promise<RedisClientLike>; readonly blockingClient?: Promise<RedisClientLike> | undefined };
}

/**
 * Ends every Redis client of `owners` at once (`endClient`), waiting on nothing Redis does: for a
 * render or worker whose Redis is gone, where BullMQ's `close()` and `disconnect()` never settle. A
 * client still connecting for the first time is left to end at its next attempt (`bullConnection`).
 */
export async function endBullClients(owners: readonly BullClients[]): Promise<void> {
  const clients = owners.flatMap((owner) => {
    const backend = owner.getBackend();
    return [backend.client, backend.blockingClient];
  });
  for (const client of await Promise.all(clients.map((c) => (c ? within(c, 50) : undefined)))) if (client) endClient(client);
}

/** How long Redis may not answer before a render (or a worker) counts it as lost, when nothing sets it (timings.ts). */
export const REDIS_LOST_MS = DEFAULT_TIMINGS.redisLostMs;

/** A running watch of Redis (`watchRedis()`). */
export interface RedisWatch {
  /**
   * A client of its own for small commands (cancel keys): it fails at once while Redis is down,
   * where BullMQ's clients would queue the command until Redis is back.
   */
  readonly client: Redis;
  /** Resolves once `client` is connected (at once when it is): a command sent before fails, as it queues none. */
  connected(): Promise<void>;
  /** Stops watching and closes the client. */
  stop(): void;
}

/** When `watchRedis()` counts Redis as lost, and whom it tells of a loss and a recovery. */
export interface RedisWatchOptions {
  /** Default REDIS_LOST_MS. */
  lostAfterMs?: number;
  /** Redis has not answered a PING for `lostAfterMs`; `cause` is the last error seen. Said once per loss. */
  onLost(cause: string): void;
  /** Redis answers again after `onLost`. */
  onBack?(): void;
}

/**
 * Watches Redis at `url` for as long as a render waits for its chunks or a worker runs: BullMQ's own
 * clients reconnect forever and queue their commands meanwhile, so a Redis that stops (or a network
 * that silently drops its packets) would otherwise be an endless wait. A PING goes out every
 * `lostAfterMs / 5` (at most every second), each bounded by a command timeout; Redis is lost once no
 * PING succeeded for `lostAfterMs`, and back at the first that does.
 */
export function watchRedis(url: string, options: RedisWatchOptions): RedisWatch {
  const lostAfterMs = options.lostAfterMs ?? REDIS_LOST_MS;
  const every = Math.min(1000, Math.max(50, Math.floor(lostAfterMs / 5)));
  const client = new Redis(url, {
    connectTimeout: every * 2,
    commandTimeout: every * 2,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    disconnectTimeout: 100,
    retryStrategy: () => every,
  });
  let lastError = 'no answer';
  client.on('error', (error: Error) => {
    lastError = error.message;
  });
  // The monotonic clock: a wall clock stepped (NTP) mid-render must not declare Redis lost, or hide a loss.
  let lastOk = performance.now();
  let lost = false;
  let inFlight = false;
  let stopped = false;
  const timer = setInterval(() => {
    if (inFlight) return;
    inFlight = true;
    client
      .ping()
      .then(
        () => {
          lastOk = performance.now();
          lastError = 'no answer'; // a later loss names its own cause
          if (lost && !stopped) {
            lost = false;
            options.onBack?.();
          }
        },
        (error: Error) => {
          if (lastError === 'no answer') lastError = error.message;
          if (!lost && !stopped && performance.now() - lastOk >= lostAfterMs) {
            lost = true;
            options.onLost(lastError);
          }
        },
      )
      .finally(() => {
        inFlight = false;
      });
  }, every);
  // Not unref'd: while Redis is down BullMQ's clients hold no handle, and a render waiting only on
  // them would let Node exit (code 0, nothing said) before the loss is reported. stop() ends it.
  return {
    client,
    connected: () =>
      client.status === 'ready' ? Promise.resolve() : new Promise<void>((resolve) => client.once('ready', () => resolve())),
    stop() {
      stopped = true;
      clearInterval(timer);
      client.disconnect();
    },
  };
}

/** `promise`, or undefined once `ms` passed: for closing clients that wait forever while Redis is down. */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  promise.catch(() => {});
  try {
    return await Promise.race([
      promise,
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
