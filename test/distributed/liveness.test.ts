/**
 * The queue's liveness and retry rules, with a real `redis-server`, BullMQ, `runChunksOnQueue` and
 * `startChunkWorker` in this process, and a stand-in processor instead of `renderChunk` (no browser):
 * the failures it throws — a page error at a frame, a browser crash — are the errors a real chunk
 * reports, caused here on purpose, as a crash cannot be caused on cue.
 *
 * - A render keeps its heartbeat on Redis while it waits for its chunks and deletes it when done; a
 *   worker tells a chunk that its render waits (`renderOpen`).
 * - A chunk whose render has no heartbeat is dropped before it starts; one whose render's heartbeat
 *   expires while it runs is aborted (`gone`).
 * - The composition's own fault (`page_error`) fails the render at its first try; a browser crash is
 *   tried again, and the render completes.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureError } from '../../src/capture/errors.js';
import { markAlive } from '../../src/distributed/cancel.js';
import { ChunkFailedError, runChunksOnQueue } from '../../src/distributed/queue.js';
import { CHUNK_QUEUE } from '../../src/distributed/redis.js';
import { startChunkWorker, type ChunkProcessor, type ChunkWorker, type ChunkWorkerOptions } from '../../src/distributed/worker.js';
import type { ChunkJob, ChunkResult } from '../../src/plan/chunks.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';

type Event = Parameters<NonNullable<ChunkWorkerOptions['onEvent']>>[0];

let redis: RedisServer;
let client: Redis;
let worker: ChunkWorker;
const events: Event[] = [];
/** What the stand-in processor does for a render (by id); every call is recorded in `calls`. */
const behaviours = new Map<string, ChunkProcessor>();
const calls: Array<{ renderId: string; index: number; open: boolean }> = [];

const jobsOf = (renderId: string, count: number): ChunkJob[] =>
  Array.from({ length: count }, (_, index) => ({ planHash: 'plan', renderId, index, first: index * 5, count: 5 }));
const resultOf = (job: ChunkJob): ChunkResult => ({ segment: `chunk-${job.index}.mp4`, frames: job.count, warnings: [], timings: {} });
/** Rejects once `signal` aborts (a chunk that runs until it is stopped). */
const untilAborted = (signal: AbortSignal) =>
  new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
const eventsOf = (renderId: string) => events.filter((e) => e.job.renderId === renderId).map((e) => `${e.kind} ${e.job.index}`);
const waitUntil = async (check: () => boolean, what: string) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
  if (!check()) throw new Error(`never happened: ${what}`);
};

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
  worker = startChunkWorker({
    redis: redis.url,
    lockMs: 2000,
    stalledCheckMs: 500,
    lostAfterMs: 2000,
    process: async (job, context) => {
      calls.push({ renderId: job.renderId, index: job.index, open: await context.renderOpen(job.renderId) });
      return (behaviours.get(job.renderId) ?? (async () => resultOf(job)))(job, context);
    },
    onEvent: (event) => events.push(event),
  });
  await worker.ready;
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  client?.disconnect();
  await redis?.stop();
});

describe('a render and its workers over Redis', () => {
  it('keeps its heartbeat while it waits and deletes it when done; a browser crash is tried again and the render completes', async () => {
    let crashed = false;
    behaviours.set('r-ok', async (job) => {
      if (job.index === 1 && !crashed) {
        crashed = true;
        throw new CaptureError('browser_crashed', 'the browser exited at frame 7', { frame: 7 });
      }
      return resultOf(job);
    });
    const results = await runChunksOnQueue(jobsOf('r-ok', 3), { redis: redis.url, lostAfterMs: 2000 });
    expect(results.map((r) => r.segment)).toEqual(['chunk-0.mp4', 'chunk-1.mp4', 'chunk-2.mp4']);
    // Chunk 1 twice (the crash, then its second try); every call saw its render waiting.
    expect(calls.filter((c) => c.renderId === 'r-ok').map((c) => c.index)).toEqual([0, 1, 2, 1]);
    expect(calls.filter((c) => c.renderId === 'r-ok').every((c) => c.open)).toBe(true);
    expect(eventsOf('r-ok')).toContain('failed 1');
    expect(await client.exists('framesmith:alive:r-ok')).toBe(0);
  });

  it('fails the render at the first try of a chunk whose page threw, naming it; the chunks after it are not run', async () => {
    behaviours.set('r-bad', async (job, { signal }) => {
      if (job.index === 0) throw new CaptureError('page_error', 'the page reported an error at frame 2 (0.067 s): boom', {});
      return untilAborted(signal);
    });
    const failed = await runChunksOnQueue(jobsOf('r-bad', 6), { redis: redis.url, lostAfterMs: 2000 }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failed).toBeInstanceOf(ChunkFailedError);
    const { fields } = failed as ChunkFailedError;
    expect(fields.chunk).toEqual({ index: 0, first: 0, count: 5 });
    expect(fields.failure).toMatchObject({ code: 'page_error', message: 'the page reported an error at frame 2 (0.067 s): boom' });
    const queue = new Queue(CHUNK_QUEUE, { connection: { url: redis.url } });
    try {
      expect((await queue.getJob('r-bad-c0'))?.attemptsMade).toBe(1);
    } finally {
      await queue.close();
    }
    // One worker, one chunk at a time: chunk 0 once, and at most the next one started before the
    // render's cancel key reached the worker (then aborted as cancelled).
    const ended = () => {
      const seen = eventsOf('r-bad');
      return seen.filter((e) => e.startsWith('start ')).every((e) => seen.some((x) => x !== e && x.endsWith(` ${e.slice(6)}`)));
    };
    await waitUntil(ended, 'every started chunk of r-bad ended');
    const run = calls.filter((c) => c.renderId === 'r-bad').map((c) => c.index);
    expect(run[0]).toBe(0);
    expect(run.length).toBeLessThanOrEqual(2);
    expect(eventsOf('r-bad').filter((e) => e.startsWith('start'))).toHaveLength(run.length);
  });

  it('drops a chunk whose render has no heartbeat before it starts, and aborts one whose heartbeat expires while it runs', async () => {
    const queue = new Queue(CHUNK_QUEUE, { connection: { url: redis.url } });
    try {
      // A render killed before its chunk was taken: no heartbeat key.
      await queue.add('chunk', jobsOf('r-dead', 1)[0]!, { jobId: 'r-dead-c0' });
      await waitUntil(() => eventsOf('r-dead').includes('gone 0'), 'r-dead dropped');
      expect(calls.filter((c) => c.renderId === 'r-dead')).toEqual([]);

      // A render killed while its chunk runs: its heartbeat expires (on Redis's clock), the chunk is aborted.
      behaviours.set('r-dying', async (_job, { signal }) => {
        await client.pexpire('framesmith:alive:r-dying', 300);
        return untilAborted(signal);
      });
      await markAlive(client, 'r-dying', 60_000);
      await queue.add('chunk', jobsOf('r-dying', 1)[0]!, { jobId: 'r-dying-c0' });
      await waitUntil(() => eventsOf('r-dying').includes('gone 0'), 'r-dying aborted');
      expect(eventsOf('r-dying')).toEqual(['start 0', 'gone 0']);
      expect(calls.filter((c) => c.renderId === 'r-dying')).toEqual([{ renderId: 'r-dying', index: 0, open: true }]);
      for (const id of ['r-dead-c0', 'r-dying-c0']) expect(await (await queue.getJob(id))?.getState()).toBe('failed');
    } finally {
      await queue.close();
    }
  });
});
