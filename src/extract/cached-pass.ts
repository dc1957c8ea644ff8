/**
 * The persistent frame cache inside one `extractVideos` call. For every unique extraction (unit):
 *
 *   source content identity + plan → cache key (recipe.ts);
 *   units with equal keys share one result (a copied source at another path is the same extraction);
 *   lookup hit → the entry's frames, served in place (no copy), leased;
 *   misses → superset groups (superset.ts) and direct passes; a pass writes into the cache's private
 *   partial directory (`runExtractionPass(…, { direct: true })`), which is then published (or, when
 *   another process won the race, the winner's entry is adopted);
 *   publish failure → this run's frames are served from the writer's directory, one warning, and the
 *   directory is deleted by `release()`;
 *   no usable identity or partial directory → one warning and an uncached pass into `outDir`.
 *
 * Leases on every served entry are held until `release()` (or the process exits).
 */
import path from 'node:path';
import type { LimitFunction } from 'p-limit';
import type { CacheWriter, FrameCache } from '../cache/store.js';
import type { FrameRecipe } from '../cache/key.js';
import { getTools } from '../media/tools.js';
import { ExtractError, toExtractError } from './errors.js';
import { runExtractionPass, type PassResult } from './pass.js';
import { planDirName, type ExtractionPlan } from './plan.js';
import { planCacheKey, planVariant } from './recipe.js';
import { materializeFrames, planSupersets, type SupersetGroup } from './superset.js';

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

export interface SessionOptions {
  pool: LimitFunction;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Directory for uncached fallback passes. */
  outDir: string;
  warn: (message: string) => void;
  /** Registers `total` frames of progress under `id` and returns the reporter for it. */
  progress: (id: string, total: number) => (done: number) => void;
}

/** Superset and pass counters merged into the engine's metrics. */
export interface SessionMetrics {
  /** ffmpeg passes actually run (direct, union and uncached). */
  passes: number;
  framesExtracted: number;
  bytesWritten: number;
  supersetGroups: number;
  supersetMembers: number;
  /** Frames not decoded thanks to superset passes (sum of member frames minus union frames). */
  supersetFramesSaved: number;
  /** Superset groups whose union pass failed, so members ran directly. */
  supersetFallbacks: number;
  /** Units that shared another unit's cache key (same content at another path). */
  contentDedupeHits: number;
}

interface Miss {
  unit: Unit;
  key: string;
  recipe: FrameRecipe;
  sourceId: string;
}

export class CacheSession {
  readonly metrics: SessionMetrics = {
    passes: 0, framesExtracted: 0, bytesWritten: 0, supersetGroups: 0, supersetMembers: 0, supersetFramesSaved: 0, supersetFallbacks: 0, contentDedupeHits: 0,
  };
  private readonly unpublished: CacheWriter[] = [];
  private readonly warned = new Set<string>();
  private started = 0;
  private released = false;

  constructor(readonly cache: FrameCache, private readonly options: SessionOptions) {}

  /** Serves every unit; the map is keyed by plan key. Each promise rejects with an `ExtractError`. */
  run(units: readonly Unit[]): Map<string, Promise<Served>> {
    this.started = performance.now();
    const results = new Map<string, Promise<Served>>();
    const resolved = units.map((unit) => ({ unit, key: this.keyOf(unit) }));
    const byCacheKey = new Map<string, Promise<Served>>();
    const misses: Array<{ miss: Miss; settle: Deferred }> = [];
    // Phase 1: keys and lookups for all units, so superset planning sees every miss at once.
    const lookups = resolved.map(async ({ unit, key }) => {
      const k = await key;
      if (!k) return { unit, served: this.uncached(unit) };
      const shared = byCacheKey.get(k.key);
      if (shared) {
        this.metrics.contentDedupeHits++;
        return { unit, served: shared };
      }
      const deferred = defer();
      byCacheKey.set(k.key, deferred.promise);
      const hit = await this.cache.lookup(k.key);
      if (hit) deferred.resolve({ dir: hit.dir, frames: hit.frames, cacheHit: true, ms: this.elapsed() });
      else misses.push({ miss: k, settle: deferred });
      return { unit, served: deferred.promise };
    });
    for (const [index, unit] of units.entries()) {
      results.set(unit.plan.key, lookups[index]!.then((r) => r.served));
    }
    // Phase 2: once every lookup is in, plan supersets over the misses and start the passes.
    void Promise.allSettled(lookups).then(() => this.extractMisses(misses));
    for (const promise of results.values()) promise.catch(() => {});
    return results;
  }

  /** Drops the leases and deletes unpublished writer directories. Idempotent. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.cache.close();
    await Promise.all(this.unpublished.map((w) => this.cache.abort(w).catch(() => undefined)));
  }

  private elapsed(): number {
    return performance.now() - this.started;
  }

  private warnOnce(kind: string, message: string): void {
    if (this.warned.has(kind)) return;
    this.warned.add(kind);
    this.options.warn(message);
  }

  private async keyOf(unit: Unit): Promise<Miss | null> {
    const { plan } = unit;
    let sourceId: string;
    try {
      sourceId = await this.cache.sourceIdentity(plan.source);
    } catch (error) {
      this.warnOnce('identity', `cannot identify ${plan.source} for the frame cache (${error instanceof Error ? error.message : String(error)}); extracting it without the cache`);
      return null;
    }
    const { major } = await getTools();
    return { unit, sourceId, ...planCacheKey(plan, sourceId, major) };
  }

  private extractMisses(misses: Array<{ miss: Miss; settle: Deferred }>): void {
    let planned: ReturnType<typeof planSupersets<{ miss: Miss; settle: Deferred }>>;
    try {
      planned = planSupersets(misses.map((m) => ({ item: m, plan: m.miss.unit.plan, bucket: `${m.miss.sourceId}/${planVariant(m.miss.unit.plan)}` })));
    } catch (error) {
      // Never leave a video waiting: every miss reports the failure.
      for (const m of misses) m.settle.follow(Promise.reject(error));
      return;
    }
    for (const m of planned.direct) m.settle.follow(this.options.pool(() => this.direct(m.miss)));
    for (const group of planned.groups) this.superset(group);
  }

  /** One pass into a cache writer's directory, then publish. */
  private async direct(miss: Miss): Promise<Served> {
    let writer: CacheWriter;
    try {
      writer = await this.cache.beginWrite(miss.key);
    } catch (error) {
      this.warnOnce('write', `frame cache: ${error instanceof Error ? error.message : String(error)}; extracting without the cache`);
      return this.uncachedPass(miss.unit);
    }
    let pass: PassResult;
    try {
      pass = await this.pass(miss.unit.plan, writer.dir, miss.unit.leaderId, true);
    } catch (error) {
      await this.cache.abort(writer).catch(() => undefined);
      throw error;
    }
    return this.publish(miss, writer, pass.frames.map((f) => path.basename(f)));
  }

  /** One union pass for the group, then each member's frames hardlinked and published. */
  private superset(group: SupersetGroup<{ miss: Miss; settle: Deferred }>): void {
    this.metrics.supersetGroups++;
    this.metrics.supersetMembers += group.members.length;
    const anchor = group.members[0]!.item.miss;
    const union = this.options.pool(async () => {
      const scratch = await this.cache.beginWrite(anchor.key);
      try {
        const pass = await this.pass(group.union, scratch.dir, anchor.unit.leaderId, true);
        return { scratch, count: pass.frames.length };
      } catch (error) {
        await this.cache.abort(scratch).catch(() => undefined);
        throw error;
      }
    });
    union.then(() => { this.metrics.supersetFramesSaved += group.framesSaved; }, () => {});
    const members = group.members.map(async ({ item, offset }) => {
      const { miss } = item;
      let done: { scratch: CacheWriter; count: number };
      try {
        done = await union;
      } catch (error) {
        const failure = toExtractError(error, anchor.unit.leaderId, group.union.source);
        // Cancelled: report it; starting member passes now would defeat the cancel.
        if (failure.kind === 'cancelled' || this.options.signal?.aborted) {
          throw new ExtractError('cancelled', miss.unit.leaderId, miss.unit.plan.source, `video "${miss.unit.leaderId}": extraction of ${miss.unit.plan.source} was cancelled`, { cause: failure });
        }
        if (offset === 0) this.metrics.supersetFallbacks++;
        return this.options.pool(() => this.direct(miss));
      }
      const count = Math.min(miss.unit.plan.frameCount, done.count - offset);
      if (count <= 0) return this.options.pool(() => this.direct(miss));
      let writer: CacheWriter | undefined;
      try {
        writer = await this.cache.beginWrite(miss.key);
        const names = await materializeFrames(done.scratch.dir, writer.dir, offset, count, miss.unit.plan.format);
        return await this.publish(miss, writer, names);
      } catch (error) {
        if (writer) await this.cache.abort(writer).catch(() => undefined);
        throw toExtractError(error, miss.unit.leaderId, miss.unit.plan.source);
      }
    });
    for (const [i, { item }] of group.members.entries()) item.settle.follow(members[i]!);
    // The scratch directory goes once every member has its own links (or failed).
    void Promise.allSettled(members).then(async () => {
      const done = await union.catch(() => null);
      if (done) await this.cache.abort(done.scratch).catch(() => undefined);
    });
  }

  private async publish(miss: Miss, writer: CacheWriter, names: string[]): Promise<Served> {
    try {
      const entry = await this.cache.publish(writer, { frames: names, sourceId: miss.sourceId, recipe: miss.recipe, meta: { source: path.basename(miss.unit.plan.source) } });
      return { dir: entry.dir, frames: entry.frames, cacheHit: false, ms: this.elapsed() };
    } catch (error) {
      // The frames are complete in the writer's directory: serve them for this run, uncached.
      this.unpublished.push(writer);
      this.warnOnce('publish', `frame cache: ${error instanceof Error ? error.message : String(error)}; this run uses the frames uncached`);
      return { dir: writer.dir, frames: names.map((n) => path.join(writer.dir, n)), cacheHit: false, ms: this.elapsed() };
    }
  }

  private uncached(unit: Unit): Promise<Served> {
    const served = this.options.pool(() => this.uncachedPass(unit));
    served.catch(() => {});
    return served;
  }

  private async uncachedPass(unit: Unit): Promise<Served> {
    const pass = await this.pass(unit.plan, path.join(this.options.outDir, planDirName(unit.plan)), unit.leaderId, false);
    return { dir: pass.dir, frames: pass.frames, cacheHit: false, ms: this.elapsed() };
  }

  private async pass(plan: ExtractionPlan, dir: string, videoId: string, direct: boolean): Promise<PassResult> {
    const report = this.options.progress(`${plan.key}@${dir}`, plan.frameCount);
    this.metrics.passes++;
    try {
      const result = await runExtractionPass(plan, dir, { signal: this.options.signal, timeoutMs: this.options.timeoutMs, videoId, direct, onProgress: report });
      this.metrics.framesExtracted += result.frames.length;
      this.metrics.bytesWritten += result.bytesWritten;
      report(result.frames.length);
      return result;
    } catch (error) {
      throw toExtractError(error, videoId, plan.source);
    }
  }
}

interface Deferred {
  promise: Promise<Served>;
  resolve(value: Served): void;
  /** Settles like `other`. */
  follow(other: Promise<Served>): void;
}

function defer(): Deferred {
  let resolve!: (value: Served) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<Served>((res, rej) => { resolve = res; reject = rej; });
  promise.catch(() => {});
  return { promise, resolve, follow: (other) => { other.then(resolve, reject); } };
}
