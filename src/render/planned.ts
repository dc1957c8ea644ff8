/**
 * A planned render: plan (plan.ts) → chunks → assemble (assemble.ts), over a storage directory. The
 * chunks run in this process (`chunkFrames` alone: as many at once as `workers`, one browser each) or
 * on workers anywhere through Redis (`redis`: src/distributed/), through the same `renderChunk`.
 *
 * The storage is a shared directory or an S3 bucket (src/storage/). The render's part of it,
 * `renders/<id>/` (the open marker, the segments), is removed at the end, whatever happened; the plan
 * stays (`plans/<hash>`, reused by a render of the same content). Without `storage` a local planned
 * render uses a temporary directory, removed at the end.
 */
import { randomBytes } from 'node:crypto';
import { closeIdleBrowsers } from '../browser/pool.js';
import { workersForFrames } from '../capture/worker-count.js';
import pLimit from 'p-limit';
import { splitChunks, type ChunkJob, type ChunkResult } from '../plan/chunks.js';
import { assembleRender } from './assemble.js';
import { openStorage, RENDER_REFRESH_MS, type RenderStorage } from '../storage/storage.js';
import { renderChunk } from './chunk.js';
import { ChunkSessions } from './chunk-session.js';
import { toRenderError } from './errors.js';
import { isErrorCode } from '../error-codes.js';
import { OutputFiles } from './output.js';
import { makeTempDir, removeTempDir } from './temp-dirs.js';
import { planRender } from './plan.js';
import { redactUrl } from '../redact.js';
import type { ResolvedRenderOptions } from './options.js';
import type { RenderResult } from './types.js';
import { RenderError } from './errors.js';
import { reportedFonts } from '../fonts/report.js';
import { uniqueWarnings } from '../warnings.js';
import { segmentFormat } from '../encode/segments.js';
import { chunkReport, incrementalSummary, renderKey, wholeRenderHit } from './incremental.js';
import { memoExclude, memoLookup, renderFromMemo } from './memo-render.js';
import { recordPlanMemo } from './plan-memo.js';

/** A planned `render()` (see the module comment), with its options resolved (src/render/options.ts). */
export async function renderPlanned(options: ResolvedRenderOptions): Promise<RenderResult> {
  const { format, output } = options;
  const started = performance.now();
  if (options.stages)
    throw new RenderError(
      'invalid_option',
      'custom media stages (`stages`) cannot be used with chunks (`chunkFrames`, `redis`): a plan freezes the built-in ones',
      { option: 'stages' },
    );
  if (options.redis)
    await (await distributed()).assertRedisReachable(options.redis).catch((error: unknown) => {
      throw toRenderError(error);
    });
  // Incremental, nothing changed since a render of the same options: its segments again, no browser.
  // (`incremental` holds only for a render in this process with the cache on: src/render/options.ts.)
  const memo = options.incremental && options.cacheDir ? await memoLookup(options, options.cacheDir) : undefined;
  if (memo?.hit) {
    const again = await renderFromMemo(options, memo.store, memo.hit, started);
    if (again) return again;
  }
  const temporary = options.storage ? null : await makeTempDir('framesmith-storage-');
  const storage = await openStorage(options.storage ?? temporary!).catch((error: unknown) => {
    throw toRenderError(error);
  });
  await storage.check().catch((error: unknown) => {
    throw toRenderError(error);
  });
  const renderId = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  // In this process, the plan's browser is the first chunk session's: kept idle between them (a launch
  // saved), and closed at the end unless the render was asked to keep browsers (`keepBrowsers`).
  const keepBrowser = options.redis ? undefined : { ms: Math.max(options.keepBrowsers, HANDOVER_MS), owner: {} };
  const files = new OutputFiles(output, format);
  let refresh: NodeJS.Timeout | undefined;
  try {
    await files.prepare();
    const planned = await planRender(options, storage.root, keepBrowser);
    await files.protect(planned.inputs);
    const { plan } = planned.frozen;
    await storage.publishPlan(planned.frozen.hash);
    await storage.touchPlan(planned.frozen.hash);
    const jobs = splitChunks(planned.frozen.hash, renderId, { first: plan.render.first, count: plan.render.count }, options.chunkFrames);
    await storage.openRender(renderId, planned.frozen.hash);
    refresh = setInterval(() => void storage.refreshRender(renderId), RENDER_REFRESH_MS).unref();
    options.onProgress?.({ stage: 'capture', done: 0, total: plan.render.count });
    const captureStart = performance.now();
    // Incremental (src/render/incremental.ts): the same plan in the same chunks as last time needs no chunk at all.
    const segmentCache = memo ? options.cacheDir! : undefined;
    const store = memo?.store;
    const ext = segmentFormat(plan.output.format).extension;
    const hitKey = renderKey(planned.frozen.hash, options.chunkFrames);
    const hit = store ? await wholeRenderHit(store, hitKey, jobs, storage, ext) : null;
    const results =
      hit ??
      (options.redis
        ? await onQueue(jobs, options, storage)
        : await locally(jobs, options, storage, plan.render.count, segmentCache, keepBrowser));
    const keys = results.map((r) => r.incremental?.key);
    // Only shortcuts (the chunks' own records remain): the render goes on, and says so.
    const lost = (what: string) => (error: unknown) => {
      results[0]!.warnings.push({
        code: 'incremental',
        message: `${what} could not be kept in the cache (${store!.dir}): ${error instanceof Error ? error.message : String(error)}`,
      });
    };
    if (store && !hit && keys.every((k) => typeof k === 'string'))
      await store.writeRecord('renders', hitKey, { keys }).catch(lost("the render's chunk list"));
    const warnings = uniqueWarnings([...planned.result.warnings, ...results.flatMap((r) => r.warnings)]);
    if (memo) {
      await recordPlanMemo(memo.store, memo.key, {
        planned,
        chunkKeys: keys,
        warnings,
        exclude: memoExclude(options),
        memoDir: segmentCache!,
      }).catch(lost('the record of what the render read'));
    }
    const captureMs = Math.round(performance.now() - captureStart);
    options.onProgress?.({ stage: 'assemble', done: 0, total: 1 });
    const assembleStart = performance.now();
    await storage.fetchSegments(
      renderId,
      results.map((r) => r.segment),
    );
    await assembleRender({
      segmentDir: await storage.segmentDir(renderId),
      planDir: planned.frozen.dir,
      plan,
      chunks: jobs.map((job, i) => ({ job, result: results[i]! })),
      files,
      signal: options.signal,
    });
    const assembleMs = Math.round(performance.now() - assembleStart);
    options.onProgress?.({ stage: 'done', done: 1, total: 1 });
    return {
      output,
      format,
      frames: plan.render.count,
      ...planned.result,
      warnings,
      fonts: reportedFonts(planned.result.fonts, warnings),
      webgl: plan.browser.webgl || results.some((r) => r.webgl === true),
      workers: options.redis || hit ? 0 : localWorkers(options, plan.render.count, jobs.length),
      ...(results.every((r) => r.capture)
        ? {
            capture: results.reduce((n, r) => ({ captured: n.captured + r.capture!.captured, reused: n.reused + r.capture!.reused }), {
              captured: 0,
              reused: 0,
            }),
          }
        : {}),
      timings: { ...planned.timings, capture: captureMs, assemble: assembleMs, total: Math.round(performance.now() - started) },
      probesBeforeCapture: 0,
      plan: { hash: planned.frozen.hash, storage: storage.name, reused: !planned.frozen.written, bytes: planned.frozen.bytes },
      ...(store ? { incremental: incrementalSummary(results, hit !== null) } : {}),
      chunks: jobs.map((job, i) => ({
        index: job.index,
        first: job.first,
        count: job.count,
        timings: results[i]!.timings,
        ...(results[i]!.videoFrames ? { videoFrames: results[i]!.videoFrames } : {}),
        ...(results[i]!.sessionReused !== undefined ? { sessionReused: results[i]!.sessionReused } : {}),
        ...(results[i]!.incremental ? { incremental: chunkReport(results[i]!.incremental!) } : {}),
      })),
    };
  } catch (error) {
    throw toRenderError(options.signal?.aborted ? error : await files.explain(error), options.signal);
  } finally {
    clearInterval(refresh);
    await storage.closeRender(renderId);
    await files.dispose();
    if (temporary) await removeTempDir(temporary);
    if (keepBrowser && options.keepBrowsers === 0) await closeIdleBrowsers(keepBrowser.owner);
  }
}

/** The chunks run at once in this process: the workers a render of `frames` frames starts (`workersForFrames`), at most one a chunk. */
function localWorkers(options: ResolvedRenderOptions, frames: number, chunks: number): number {
  return Math.max(1, Math.min(workersForFrames(options.workers, frames, options.workersChosen), chunks));
}

/** How long the plan's browser waits idle for the first chunk session (ms): it is taken at once, or closed at the end. */
const HANDOVER_MS = 10_000;

/** The chunks in this process, `workers` at once (each with one browser); incremental with `segmentCache` (a cache directory). */
async function locally(
  jobs: readonly ChunkJob[],
  options: ResolvedRenderOptions,
  storage: RenderStorage,
  total: number,
  segmentCache: string | undefined,
  keepBrowsers: { ms: number; owner: object } | undefined,
): Promise<ChunkResult[]> {
  const concurrency = localWorkers(options, total, jobs.length);
  const limit = pLimit(concurrency);
  // Each worker's browser and page kept from chunk to chunk (src/render/chunk-session.ts), as a
  // `framesmith worker` keeps them: a chunk costs its frames, not a browser start and a page load, and
  // one whose segment is reused (incremental) costs only its seeks.
  const sessions = new ChunkSessions({ keepPerKey: concurrency });
  const done = new Map<number, number>();
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await Promise.all(
      jobs.map((job) =>
        limit(async () => {
          if (controller.signal.aborted) throw new RenderError('cancelled', 'the render was cancelled', {});
          try {
            return await renderChunk(job, {
              storage,
              browser: options.browser,
              signal: controller.signal,
              deadlines: options.deadlines,
              sessions,
              ...(keepBrowsers ? { keepBrowsers } : {}),
              ...(segmentCache ? { incremental: { cacheDir: segmentCache } } : {}),
              onProgress: (n) => {
                done.set(job.index, n);
                options.onProgress?.({ stage: 'capture', done: [...done.values()].reduce((a, b) => a + b, 0), total });
              },
            });
          } catch (error) {
            controller.abort(); // one chunk failed: the others stop
            throw error;
          }
        }),
      ),
    );
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await sessions.close();
  }
}

/** The chunks on the workers of `options.redis`. */
async function onQueue(jobs: readonly ChunkJob[], options: ResolvedRenderOptions, storage: RenderStorage): Promise<ChunkResult[]> {
  const { runChunksOnQueue, ChunkFailedError } = await distributed();
  try {
    return await runChunksOnQueue(jobs, {
      redis: options.redis!,
      signal: options.signal,
      onProgress: (done, total) => options.onProgress?.({ stage: 'capture', done, total }),
      onNoWorkers: () =>
        options.onNotice?.(
          redactUrl(
            `no worker is connected to ${options.redis} yet: start one with \`framesmith worker --redis ${options.redis} --storage ${storage.name}\``,
          ),
        ),
    });
  } catch (error) {
    if (!(error instanceof ChunkFailedError)) throw error;
    const { code, message, name: _name, ...fields } = error.fields.failure;
    throw new RenderError(isErrorCode(code) ? code : 'stage', message, { ...fields, chunk: error.fields.chunk }, { cause: error });
  }
}

/**
 * The queue and Redis modules, loaded on first use: BullMQ and ioredis take ~150 ms and ~20 MB to
 * import, which a render that is not distributed should not pay.
 */
async function distributed() {
  const [queue, redis] = await Promise.all([import('../distributed/queue.js'), import('../distributed/redis.js')]);
  return { ...queue, ...redis };
}
