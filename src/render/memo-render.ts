/**
 * A planned render assembled from its record (src/render/plan-memo.ts) when nothing it read changed:
 * no plan, no browser, no chunk — the recorded segments and audio mix are taken from the segment store
 * and assembled into the output as the render that recorded them did.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { SegmentStore } from '../cache/segments.js';
import { segmentFormat } from '../encode/segments.js';
import { segmentFileName, splitChunks, type ChunkResult } from '../plan/chunks.js';
import { assembleRender } from './assemble.js';
import { toRenderError } from './errors.js';
import type { ResolvedRenderOptions } from './options.js';
import { OutputFiles } from './output.js';
import { planMemoKey, validPlanMemo, type PlanMemo } from './plan-memo.js';
import { makeTempDir, removeTempDir } from './temp-dirs.js';
import type { RenderResult } from './types.js';
import { uniqueWarnings } from '../warnings.js';
import { reportedFonts } from '../fonts/report.js';

/** Paths left out of the project's listing: the output (and a local storage directory). */
export function memoExclude(options: ResolvedRenderOptions): string[] {
  const local = options.storage && !/^[a-z][a-z0-9+.-]*:\/\//i.test(options.storage) ? [options.storage] : [];
  return [options.output, ...local];
}

/** The render's record key in the cache's segment store, and the record when it is still valid. */
export async function memoLookup(
  options: ResolvedRenderOptions,
  cacheDir: string,
): Promise<{ store: SegmentStore; key: string; hit: PlanMemo | null }> {
  const store = new SegmentStore(cacheDir);
  const key = await planMemoKey(options);
  return { store, key, hit: await validPlanMemo(store, key, memoExclude(options), cacheDir) };
}

/**
 * The output of `memo` assembled again (see the module comment), or null when the store no longer
 * holds one of its segments (a `cache gc`): the render then plans as always.
 */
export async function renderFromMemo(
  options: ResolvedRenderOptions,
  store: SegmentStore,
  memo: PlanMemo,
  started: number,
): Promise<RenderResult | null> {
  const { output, format, signal } = options;
  const { plan } = memo;
  const files = new OutputFiles(output, format);
  const dir = await makeTempDir('framesmith-memo-');
  try {
    await files.prepare();
    await files.protect(memo.inputs);
    const jobs = splitChunks(memo.planHash, 'memo', { first: plan.render.first, count: plan.render.count }, options.chunkFrames);
    if (jobs.length !== memo.chunkKeys.length) return null;
    const ext = segmentFormat(plan.output.format).extension;
    const results: ChunkResult[] = [];
    for (const [i, job] of jobs.entries()) {
      const segment = segmentFileName(job.index, ext);
      if (!(await store.take(memo.chunkKeys[i]!, ext, path.join(dir, segment)))) return null;
      results.push({ segment, frames: job.count, warnings: [], timings: {} });
    }
    if (plan.audio) {
      const target = path.join(dir, ...plan.audio.file.split('/'));
      await mkdir(path.dirname(target), { recursive: true });
      if (!memo.audio || !(await store.take(memo.audio.key, memo.audio.ext, target))) return null;
    }
    const checkedMs = Math.round(performance.now() - started);
    for (const w of memo.result.warnings) options.onWarning?.(w);
    options.onProgress?.({ stage: 'assemble', done: 0, total: 1 });
    const assembleStart = performance.now();
    await assembleRender({
      segmentDir: dir,
      planDir: dir,
      plan,
      chunks: jobs.map((job, i) => ({ job, result: results[i]! })),
      files,
      signal,
    });
    const assembleMs = Math.round(performance.now() - assembleStart);
    options.onProgress?.({ stage: 'done', done: 1, total: 1 });
    const warnings = uniqueWarnings(memo.warnings);
    return {
      output,
      format,
      frames: plan.render.count,
      ...memo.result,
      warnings,
      fonts: reportedFonts(memo.result.fonts, warnings),
      webgl: plan.browser.webgl,
      workers: 0,
      capture: { captured: 0, reused: 0 },
      timings: { check: checkedMs, assemble: assembleMs, total: Math.round(performance.now() - started) },
      probesBeforeCapture: 0,
      plan: { hash: memo.planHash, storage: 'none (recorded render)', reused: true, bytes: 0 },
      incremental: {
        reusedChunks: jobs.length,
        renderedChunks: 0,
        reusedFrames: plan.render.count,
        wholeRender: true,
        recorded: true,
      },
      chunks: jobs.map((job) => ({
        index: job.index,
        first: job.first,
        count: job.count,
        timings: {},
        incremental: { reused: true, checked: 0, pageMs: 0 },
      })),
    };
  } catch (error) {
    throw toRenderError(signal?.aborted ? error : await files.explain(error), signal);
  } finally {
    await files.dispose();
    await removeTempDir(dir);
  }
}
