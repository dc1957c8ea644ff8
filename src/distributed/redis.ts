/**
 * Reaching Redis. BullMQ's own connections retry forever (a render would hang silently when Redis is
 * down), so both the render and the worker first ask a throw-away client with no reconnects for a
 * PING, bounded in time: a refused port or unknown host fails in milliseconds, a listener that never
 * answers after `timeoutMs`.
 */
import { Redis } from 'ioredis';
import { DistributedError } from './errors.js';

/** The BullMQ queue every chunk goes through. */
export const CHUNK_QUEUE = 'framesmith-chunks';

/** Throws `redis_url` for anything but a redis:// or rediss:// URL. */
export function checkRedisUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DistributedError('redis_url', `--redis "${url}" is not a URL: give one like redis://127.0.0.1:6379 (rediss:// for TLS)`, url);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new DistributedError('redis_url', `--redis "${url}" is not a redis:// or rediss:// URL: give one like redis://127.0.0.1:6379`, url);
  }
}

/** Resolves once Redis at `url` answered a PING; else throws `redis_unreachable` (see the module comment). */
export async function assertRedisReachable(url: string, timeoutMs = 3000): Promise<void> {
  checkRedisUrl(url);
  const client = new Redis(url, {
    lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, enableOfflineQueue: false,
    disconnectTimeout: 100, retryStrategy: () => null,
  });
  let lastError: (Error & { code?: string }) | undefined;
  client.on('error', (error: Error) => { lastError = error; });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect().then(() => client.ping()),
      new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs); }),
    ]);
  } catch (error) {
    const cause = lastError ?? (error as Error);
    throw new DistributedError('redis_unreachable', `Redis at ${url} cannot be reached (${cause.message}): start redis-server there, or fix --redis`, url, { cause });
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

/** BullMQ's connection options for `url` (it makes and closes its own clients). */
export function bullConnection(url: string): { url: string } {
  return { url };
}
