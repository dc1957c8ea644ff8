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
 * Leases on every served entry are held until `release()` (or the process exits). The jobs a miss or
 * a superset group becomes before its source pass (what happens to its frames, on cancel, on failure)
 * are in cache-jobs.ts.
 */
import path from 'node:path';
import type { LimitFunction } from 'p-limit';
import type { CacheWriter, FrameCache } from '../cache/store.js';
import { getTools } from '../media/tools.js';
import { defer, directJob, supersetJob, type Deferred, type Job, type JobHost, type Miss, type Served, type Unit } from './cache-jobs.js';
import { toExtractError } from './errors.js';
import { runExtractionPass, type PassResult } from './pass.js';
import { planDirName, type ExtractionPlan } from './plan.js';
import { planCacheKey, planVariant } from './recipe.js';
import { planSupersets } from './superset.js';
import { framesDecodedBy, runSourcePasses, segmentBudget } from './source-pass.js';

export type { Served, Unit } from './cache-jobs.js';

/** Options of a `CacheSession`; `signal` and `timeoutMs` go to every pass (timeout in ms, default as `PassOptions`). */
export interface SessionOptions {
  pool: LimitFunction;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Directory for uncached fallback passes. */
  outDir: string;
  warn: (message: string) => void;
  /** Registers `total` frames of progress under `id` and returns the reporter for it. */
  progress: (id: string, total: number) => (done: number) => void;
  /** False: one direct pass per miss (ExtractOptions.sourcePasses). */
  sourcePasses?: boolean;
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
  /** Sources decoded by source passes. */
  sourcePasses: number;
  /** Source frames decoded (see ExtractMetrics.framesDecoded). */
  framesDecoded: number | null;
}

/**
 * Serves the units of one `extractVideos` call through a frame cache (see the module comment). Call
 * `release()` once the frames are no longer needed; it also closes `cache`.
 */
export class CacheSession {
  readonly metrics: SessionMetrics = {
    passes: 0,
    framesExtracted: 0,
    bytesWritten: 0,
    supersetGroups: 0,
    supersetMembers: 0,
    supersetFramesSaved: 0,
    supersetFallbacks: 0,
    contentDedupeHits: 0,
    sourcePasses: 0,
    framesDecoded: 0,
  };
  private readonly unpublished: CacheWriter[] = [];
  private readonly warned = new Set<string>();
  private started = 0;
  private released = false;
  /** What the jobs (cache-jobs.ts) use of this session. */
  private readonly host: JobHost;

  constructor(
    readonly cache: FrameCache,
    private readonly options: SessionOptions,
  ) {
    this.host = {
      cache,
      metrics: this.metrics,
      pool: (fn) => options.pool(fn),
      publish: (miss, writer, names) => this.publish(miss, writer, names),
      direct: (miss) => this.direct(miss),
    };
  }

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
      results.set(
        unit.plan.key,
        lookups[index]!.then((r) => r.served),
      );
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
      this.warnOnce(
        'identity',
        `cannot identify ${plan.source} for the frame cache (${error instanceof Error ? error.message : String(error)}); extracting it without the cache`,
      );
      return null;
    }
    const { major } = await getTools();
    return { unit, sourceId, ...planCacheKey(plan, sourceId, major) };
  }

  /**
   * Decodes every miss: superset groups (equal variants on one grid) first share a union plan, then
   * the plans of one source content and decoder run as source passes (source-pass.ts): one decode,
   * split into every plan's branch, in parallel segments. A source pass that fails (not cancelled)
   * falls back to one direct pass per miss.
   */
  private extractMisses(misses: Array<{ miss: Miss; settle: Deferred }>): void {
    if (this.options.sourcePasses === false) {
      for (const m of misses) m.settle.follow(this.options.pool(() => this.direct(m.miss)));
      return;
    }
    let planned: ReturnType<typeof planSupersets<{ miss: Miss; settle: Deferred }>>;
    try {
      planned = planSupersets(
        misses.map((m) => ({ item: m, plan: m.miss.unit.plan, bucket: `${m.miss.sourceId}/${planVariant(m.miss.unit.plan)}` })),
      );
    } catch (error) {
      // Never leave a video waiting: every miss reports the failure.
      for (const m of misses) m.settle.follow(Promise.reject(error));
      return;
    }
    const jobs: Job[] = [
      ...planned.direct.map((m) => directJob(this.host, m.miss, m.settle)),
      ...planned.groups.map((group) => supersetJob(this.host, group)),
    ];
    const bySource = new Map<string, Job[]>();
    for (const job of jobs) {
      const key = `${job.sourceId}\0${job.plan.decoder ?? ''}`;
      const list = bySource.get(key);
      if (list) list.push(job);
      else bySource.set(key, [job]);
    }
    const segments = segmentBudget(bySource.size);
    for (const group of bySource.values()) void this.sourceGroup(group, segments);
  }

  /** The source passes of one source's jobs, each into a cache writer's directory. */
  private async sourceGroup(jobs: Job[], maxSegments: number): Promise<void> {
    const writers: Array<CacheWriter | null> = await Promise.all(
      jobs.map((job) =>
        this.cache.beginWrite(job.key).catch((error: unknown) => {
          this.warnOnce('write', `frame cache: ${error instanceof Error ? error.message : String(error)}; extracting without the cache`);
          return null;
        }),
      ),
    );
    const open = jobs.filter((_, i) => writers[i] !== null);
    // A job without a writer runs on its own, uncached (direct() does that).
    jobs.forEach((job, i) => {
      if (writers[i] === null) job.fallback();
    });
    if (open.length === 0) return;
    const dirs = writers.filter((w): w is CacheWriter => w !== null);
    const reports = open.map((job) => this.options.progress(`${job.plan.key}@${job.key}`, job.plan.frameCount));
    try {
      const result = await runSourcePasses(
        open.map((job, i) => ({ plan: job.plan, dir: dirs[i]!.dir, videoId: job.videoId })),
        {
          pool: this.options.pool,
          maxSegments,
          signal: this.options.signal,
          timeoutMs: this.options.timeoutMs,
          onProgress: (i, n) => reports[i]!(n),
          onPlanned: (processes) => {
            this.metrics.passes += processes;
            this.metrics.sourcePasses++;
          },
        },
      );
      this.addDecoded(result.framesDecoded);
      result.results.forEach((pass, i) => {
        this.metrics.framesExtracted += pass.frames.length;
        this.metrics.bytesWritten += pass.bytesWritten;
        reports[i]!(pass.frames.length);
        open[i]!.done(dirs[i]!, pass);
      });
    } catch (error) {
      await Promise.all(dirs.map((w) => this.cache.abort(w).catch(() => undefined)));
      const failure = toExtractError(error, open[0]!.videoId, open[0]!.plan.source);
      if (failure.code === 'cancelled' || this.options.signal?.aborted) {
        for (const job of open) job.fail(failure);
        return;
      }
      for (const job of open) job.fallback();
    }
  }

  private addDecoded(frames: number | null): void {
    this.metrics.framesDecoded = frames === null || this.metrics.framesDecoded === null ? null : this.metrics.framesDecoded + frames;
  }

  /** One pass into a cache writer's directory, then publish (the fallback of a failed source pass). */
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
    return this.publish(
      miss,
      writer,
      pass.frames.map((f) => path.basename(f)),
    );
  }

  private async publish(miss: Miss, writer: CacheWriter, names: string[]): Promise<Served> {
    try {
      const entry = await this.cache.publish(writer, {
        frames: names,
        sourceId: miss.sourceId,
        recipe: miss.recipe,
        meta: { source: path.basename(miss.unit.plan.source) },
      });
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
      const result = await runExtractionPass(plan, dir, {
        signal: this.options.signal,
        timeoutMs: this.options.timeoutMs,
        videoId,
        direct,
        onProgress: report,
      });
      this.addDecoded(await framesDecodedBy([plan]));
      this.metrics.framesExtracted += result.frames.length;
      this.metrics.bytesWritten += result.bytesWritten;
      report(result.frames.length);
      return result;
    } catch (error) {
      throw toExtractError(error, videoId, plan.source);
    }
  }
}
