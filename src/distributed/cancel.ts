/**
 * Cancelling a render's chunks on the workers. BullMQ removes a job only while no worker holds it, and
 * its job cancellation reaches only the worker's own process; so a render that stops (cancelled,
 * failed, Redis-side trouble) also sets a key, `framesmith:cancelled:<renderId>`, kept a day. Workers
 * look for the keys of the renders whose chunks they hold every CANCEL_POLL_MS, before starting a
 * chunk and after finishing one (see worker.ts).
 */
import type { Redis } from 'ioredis';

/** How often a worker looks whether the renders of its chunks in hand were cancelled. */
export const CANCEL_POLL_MS = 500;

/** How long a cancel key stays: longer than any chunk of a cancelled render could still wait in a queue. */
const CANCEL_KEEP_S = 24 * 3600;

function cancelKey(renderId: string): string {
  return `framesmith:cancelled:${renderId}`;
}

/** Records that render `renderId` is cancelled, for every worker. */
export async function markCancelled(client: Redis, renderId: string): Promise<void> {
  await client.set(cancelKey(renderId), '1', 'EX', CANCEL_KEEP_S);
}

/** Which of `renderIds` are cancelled; none when Redis cannot be asked (the chunk goes on). */
export async function cancelledAmong(client: Redis, renderIds: Iterable<string>): Promise<Set<string>> {
  const ids = [...new Set(renderIds)];
  if (ids.length === 0) return new Set();
  const values = await client.mget(ids.map(cancelKey)).catch(() => ids.map(() => null));
  return new Set(ids.filter((_, i) => values[i] !== null));
}
