/**
 * The units of work of a cache session (cached-pass.ts): a unique extraction (`Unit`), a cache miss
 * (`Miss`), and the `Job` a miss or a superset group becomes before it runs in a source pass — what
 * to do with the decoded frames (publish them as the miss's entry, or link each member's frames out of
 * the union and publish those), on cancellation, and when the source pass fails (a direct pass each).
 */
import path from 'node:path';
import type { CacheWriter, FrameCache } from '../cache/store.js';
import type { FrameRecipe } from '../cache/key.js';
import { ExtractError, toExtractError } from './errors.js';
import type { PassResult } from './pass.js';
import type { ExtractionPlan } from './plan.js';
import { materializeFrames, type SupersetGroup } from './superset.js';

/** One unique extraction of the render (unique plan key). */
export interface Unit {
  plan: ExtractionPlan;
  /** The first video with this plan: errors name it. */
  leaderId: string;
}

/** Where a unit's frames are. */
export interface Served {
  dir: string;
  /** Absolute frame paths, slot 0 first. */
  frames: string[];
  cacheHit: boolean;
  /** ms from the start of the cache work until these frames were ready. */
  ms: number;
}

/** A unit missing from the cache: its cache key, recipe and source content identity. */
export interface Miss {
  unit: Unit;
  key: string;
  recipe: FrameRecipe;
  sourceId: string;
}

/** A plan to decode whole into a cache writer's directory, and what to do with the result. */
export interface Job {
  plan: ExtractionPlan;
  sourceId: string;
  videoId: string;
  /** The cache key its writer is opened under. */
  key: string;
  done(writer: CacheWriter, pass: PassResult): void;
  /** Cancelled: report it (no fallback pass would start). */
  fail(error: unknown): void;
  /** The source pass failed otherwise: extract on its own. */
  fallback(): void;
}

/** What the jobs need of their session: the cache, counters, the pass pool, and its publish and direct steps. */
export interface JobHost {
  readonly cache: FrameCache;
  readonly metrics: { supersetGroups: number; supersetMembers: number; supersetFramesSaved: number; supersetFallbacks: number };
  /** Runs `fn` in the session's pass pool. */
  pool<T>(fn: () => Promise<T>): Promise<T>;
  /** Publishes `names` in `writer` as the miss's entry (or serves them uncached when publishing fails). */
  publish(miss: Miss, writer: CacheWriter, names: string[]): Promise<Served>;
  /** One direct pass for the miss into its own writer, then publish. */
  direct(miss: Miss): Promise<Served>;
}

/** A miss decoded on its own plan, published as its entry. */
export function directJob(host: JobHost, miss: Miss, settle: Deferred): Job {
  return {
    plan: miss.unit.plan,
    sourceId: miss.sourceId,
    videoId: miss.unit.leaderId,
    key: miss.key,
    done: (writer, pass) =>
      settle.follow(
        host.publish(
          miss,
          writer,
          pass.frames.map((f) => path.basename(f)),
        ),
      ),
    fail: (error) => settle.follow(Promise.reject(error)),
    fallback: () => settle.follow(host.pool(() => host.direct(miss))),
  };
}

/** A superset group's union plan; each member's frames are then linked out of it and published. */
export function supersetJob(host: JobHost, group: SupersetGroup<{ miss: Miss; settle: Deferred }>): Job {
  host.metrics.supersetGroups++;
  host.metrics.supersetMembers += group.members.length;
  const anchor = group.members[0]!.item.miss;
  const members = (union: Promise<{ scratch: CacheWriter; count: number }>) => {
    const served = group.members.map(async ({ item, offset }) => {
      const { miss } = item;
      const done = await union;
      const count = Math.min(miss.unit.plan.frameCount, done.count - offset);
      if (count <= 0) return host.pool(() => host.direct(miss));
      let writer: CacheWriter | undefined;
      try {
        writer = await host.cache.beginWrite(miss.key);
        const names = await materializeFrames(done.scratch.dir, writer.dir, offset, count, miss.unit.plan.format);
        return await host.publish(miss, writer, names);
      } catch (error) {
        if (writer) await host.cache.abort(writer).catch(() => undefined);
        throw toExtractError(error, miss.unit.leaderId, miss.unit.plan.source);
      }
    });
    for (const [i, { item }] of group.members.entries()) item.settle.follow(served[i]!);
    // The scratch directory goes once every member has its own links (or failed).
    void Promise.allSettled(served).then(async () => {
      const done = await union.catch(() => null);
      if (done) await host.cache.abort(done.scratch).catch(() => undefined);
    });
  };
  return {
    plan: group.union,
    sourceId: anchor.sourceId,
    videoId: anchor.unit.leaderId,
    key: anchor.key,
    done: (scratch, pass) => {
      host.metrics.supersetFramesSaved += group.framesSaved;
      members(Promise.resolve({ scratch, count: pass.frames.length }));
    },
    fail: (error) => {
      for (const { item } of group.members) {
        item.settle.follow(
          Promise.reject(
            new ExtractError(
              'cancelled',
              `extraction of ${item.miss.unit.plan.source} was cancelled`,
              { videoId: item.miss.unit.leaderId, file: item.miss.unit.plan.source },
              { cause: error },
            ),
          ),
        );
      }
    },
    fallback: () => {
      host.metrics.supersetFallbacks++;
      for (const { item } of group.members) item.settle.follow(host.pool(() => host.direct(item.miss)));
    },
  };
}

/** A `Served` promise settled later, by a value or by following another promise. */
export interface Deferred {
  promise: Promise<Served>;
  resolve(value: Served): void;
  /** Settles like `other`. */
  follow(other: Promise<Served>): void;
}

/** A new `Deferred`; its promise never counts as an unhandled rejection. */
export function defer(): Deferred {
  let resolve!: (value: Served) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<Served>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {});
  return {
    promise,
    resolve,
    follow: (other) => {
      other.then(resolve, reject);
    },
  };
}
