/**
 * Extraction without the frame cache (`cache: false`): the same source passes as with the cache
 * (source-pass.ts), each unique plan written into a partial directory under `outDir` and renamed to
 * its own directory (`planDirName`) once its source's passes all succeeded. A source pass that fails
 * (not cancelled) falls back to one direct pass per plan. Nothing half-written stays under `outDir`.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { LimitFunction } from 'p-limit';
import type { Served, Unit } from './cached-pass.js';
import { toExtractError } from './errors.js';
import { runExtractionPass, trackPartial, untrackPartial } from './pass.js';
import { planDirName } from './plan.js';
import { framesDecodedBy, runSourcePasses, segmentBudget } from './source-pass.js';

/** Options of `extractUncached`; `progress` registers a reporter per pass, as `SessionOptions.progress`. */
export interface UncachedOptions {
  pool: LimitFunction;
  outDir: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  progress: (id: string, total: number) => (done: number) => void;
  /** False: one direct pass per unit (ExtractOptions.sourcePasses). */
  sourcePasses?: boolean;
}

/**
 * Pass counters of an uncached run (merged into `ExtractMetrics`); `framesDecoded` is null once any
 * source had no packet index.
 */
export interface UncachedMetrics {
  passes: number;
  sourcePasses: number;
  framesExtracted: number;
  bytesWritten: number;
  framesDecoded: number | null;
}

/** Serves every unit (keyed by plan key); `metrics` fill in as passes finish. */
export function extractUncached(
  units: readonly Unit[],
  options: UncachedOptions,
): { served: Map<string, Promise<Served>>; metrics: UncachedMetrics } {
  const started = performance.now();
  const metrics: UncachedMetrics = { passes: 0, sourcePasses: 0, framesExtracted: 0, bytesWritten: 0, framesDecoded: 0 };
  const addDecoded = (n: number | null) => {
    metrics.framesDecoded = n === null || metrics.framesDecoded === null ? null : metrics.framesDecoded + n;
  };
  const served = new Map<string, Promise<Served>>();
  const bySource = new Map<string, Unit[]>();
  for (const unit of units) {
    const key = `${unit.plan.source}\0${unit.plan.decoder ?? ''}`;
    const list = bySource.get(key);
    if (list) list.push(unit);
    else bySource.set(key, [unit]);
  }

  const direct = (unit: Unit) =>
    options.pool(async (): Promise<Served> => {
      const pass = await runExtractionPass(unit.plan, path.join(options.outDir, planDirName(unit.plan)), {
        signal: options.signal,
        timeoutMs: options.timeoutMs,
        videoId: unit.leaderId,
        onProgress: options.progress(`${unit.plan.key}@direct`, unit.plan.frameCount),
      });
      metrics.passes++;
      metrics.framesExtracted += pass.frames.length;
      metrics.bytesWritten += pass.bytesWritten;
      addDecoded(await framesDecodedBy([unit.plan]));
      return { dir: pass.dir, frames: pass.frames, cacheHit: false, ms: performance.now() - started };
    });

  if (options.sourcePasses === false) {
    for (const unit of units) {
      const promise = direct(unit);
      promise.catch(() => {});
      served.set(unit.plan.key, promise);
    }
    return { served, metrics };
  }
  const maxSegments = Math.min(segmentBudget(bySource.size), options.pool.concurrency);
  for (const group of bySource.values()) {
    const finals = group.map((unit) => path.join(options.outDir, planDirName(unit.plan)));
    const partials = finals.map((dir) => `${dir}.partial-${process.pid}-${randomBytes(4).toString('hex')}`);
    const reports = group.map((unit) => options.progress(unit.plan.key, unit.plan.frameCount));
    const run = (async () => {
      await Promise.all(
        partials.map(async (p) => {
          trackPartial(p);
          await mkdir(p, { recursive: true });
        }),
      );
      try {
        const result = await runSourcePasses(
          group.map((unit, i) => ({ plan: unit.plan, dir: partials[i]!, videoId: unit.leaderId })),
          {
            pool: options.pool,
            maxSegments,
            signal: options.signal,
            timeoutMs: options.timeoutMs,
            onProgress: (i, n) => reports[i]!(n),
            onPlanned: (processes) => {
              metrics.passes += processes;
              metrics.sourcePasses++;
            },
          },
        );
        addDecoded(result.framesDecoded);
        return await Promise.all(
          result.results.map(async (pass, i): Promise<Served> => {
            await rm(finals[i]!, { recursive: true, force: true });
            await rename(partials[i]!, finals[i]!);
            metrics.framesExtracted += pass.frames.length;
            metrics.bytesWritten += pass.bytesWritten;
            reports[i]!(pass.frames.length);
            const frames = pass.frames.map((f) => path.join(finals[i]!, path.basename(f)));
            return { dir: finals[i]!, frames, cacheHit: false, ms: performance.now() - started };
          }),
        );
      } catch (error) {
        const failure = toExtractError(error, group[0]!.leaderId, group[0]!.plan.source);
        if (failure.code === 'cancelled' || options.signal?.aborted) throw failure;
        return null; // fall back to direct passes below
      } finally {
        await Promise.all(
          partials.map(async (p) => {
            await rm(p, { recursive: true, force: true });
            untrackPartial(p);
          }),
        );
      }
    })();
    group.forEach((unit, i) => {
      const promise = run.then((results) => results?.[i] ?? direct(unit));
      promise.catch(() => {});
      served.set(unit.plan.key, promise);
    });
  }
  return { served, metrics };
}
