/**
 * Whether a render still wants its chunks, told to the workers through Redis alone. BullMQ removes a job
 * only while no worker holds it, and its job cancellation reaches only the worker's own process; so:
 *
 * - a render that stops (cancelled, failed, Redis-side trouble) sets a key,
 *   `framesmith:cancelled:<renderId>`, kept a day: its workers abort its chunks and remove what it wrote;
 * - a render waiting for its chunks keeps a heartbeat, `framesmith:alive:<renderId>`, a key with a TTL
 *   (`PX`) it sets again every third of it. The key expiring — the render killed, its machine lost — is
 *   decided by Redis's clock alone: no machine compares its own time with another's (a worker whose clock
 *   is hours off judged a live render dead by the age of its storage marker). Its workers then drop its
 *   chunks, and leave its files to `storage prune`: a render that ended normally deletes the key too, and
 *   may still be assembling.
 *
 * Workers look for both keys of the renders whose chunks they hold before starting a chunk, every
 * CANCEL_POLL_MS while it runs, and (the cancel key) after it finished (see worker.ts).
 */
import type { Redis } from 'ioredis';

/** How often a worker looks whether the renders of its chunks in hand were cancelled or are gone. */
export const CANCEL_POLL_MS = 500;

/** How long a cancel key stays: longer than any chunk of a cancelled render could still wait in a queue. */
const CANCEL_KEEP_S = 24 * 3600;

function cancelKey(renderId: string): string {
  return `framesmith:cancelled:${renderId}`;
}

function aliveKey(renderId: string): string {
  return `framesmith:alive:${renderId}`;
}

/** Records that render `renderId` is cancelled, for every worker. */
export async function markCancelled(client: Redis, renderId: string): Promise<void> {
  await client.set(cancelKey(renderId), '1', 'EX', CANCEL_KEEP_S);
}

/**
 * Sets render `renderId`'s heartbeat (TTL `ttlMs`, on Redis's clock); rejects when Redis does not take
 * it. The render calls it again every `ttlMs / 3` while it waits for its chunks (`keepAlive`).
 */
export async function markAlive(client: Redis, renderId: string, ttlMs: number): Promise<void> {
  await client.set(aliveKey(renderId), '1', 'PX', ttlMs);
}

/** Deletes render `renderId`'s heartbeat: it no longer waits for chunks. Never rejects. */
export async function clearAlive(client: Redis, renderId: string): Promise<void> {
  await client.del(aliveKey(renderId)).catch(() => {});
}

/**
 * Sets the heartbeat of `renderId` again every `ttlMs / 3` until the returned function is called. A
 * refresh that fails is not an error here: a Redis that stays away is the render's `watchRedis` to
 * report, well before the key (three refreshes long) expires.
 */
export function keepAlive(client: Redis, renderId: string, ttlMs: number): () => void {
  const timer = setInterval(() => void markAlive(client, renderId, ttlMs).catch(() => {}), Math.max(50, Math.floor(ttlMs / 3)));
  return () => clearInterval(timer);
}

/** Why a render no longer wants its chunks: cancelled (its files to remove), or gone (its heartbeat expired or deleted). */
export type RenderStop = 'cancelled' | 'gone';

/**
 * The renders among `renderIds` that no longer want their chunks, and why (one MGET); none when Redis
 * cannot be asked (the chunk goes on: a lost Redis is `watchRedis`'s to report).
 */
export async function stoppedAmong(client: Redis, renderIds: Iterable<string>): Promise<Map<string, RenderStop>> {
  const ids = [...new Set(renderIds)];
  const stopped = new Map<string, RenderStop>();
  if (ids.length === 0) return stopped;
  const values = await client.mget([...ids.map(cancelKey), ...ids.map(aliveKey)]).catch(() => null);
  if (!values) return stopped;
  ids.forEach((id, i) => {
    if (values[i] !== null) stopped.set(id, 'cancelled');
    else if (values[ids.length + i] === null) stopped.set(id, 'gone');
  });
  return stopped;
}
