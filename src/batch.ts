/**
 * `renderBatch()`: one `render()` per row of a prepared batch (src/render/batch.ts), the row's values
 * as the composition's variables, and a manifest beside the outputs, as HyperFrames writes it:
 *
 * `{ version: 1, batchPath, manifestPath, total, completed, failed, skipped, rows: [{ index,
 * outputPath, status, durationMs, renderTimeMs, error, startedAt, completedAt, variables }] }` with
 * `status` pending → running → completed | failed, or skipped (never started after a failure under
 * `failFast`). It is written (atomically: a temporary file renamed over it) before the first row
 * and at every change of a row's status, so it tells how far an interrupted batch got.
 *
 * A failed row does not stop the others unless `failFast`: then no row starts after the first
 * failure (rows already running finish). The batch itself resolves with the manifest either way;
 * it rejects only for what is refused before any row starts (BatchError).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pLimit from 'p-limit';
import { hasCode } from './errors.js';
import { loadDocument } from './load/index.js';
import { render } from './render.js';
import { BatchError, type BatchRow, type PreparedBatch } from './render/batch.js';
import type { RenderOptions, RenderResult } from './render/types.js';
import { closeIdleBrowsers } from './browser/pool.js';

/** How long a row's browsers wait for the next row's render (`keepBrowsers`), unless the options say otherwise. */
const BATCH_KEEP_BROWSERS_MS = 10_000;

export {
  BatchError,
  prepareBatch,
  prepareBatchFile,
  parseBatchRows,
  fillOutputTemplate,
  defaultBatchTemplate,
  type BatchRow,
  type PreparedBatch,
} from './render/batch.js';

/** A manifest row's state: pending → running → completed | failed; skipped when it never started (fail-fast stop or cancelled batch). */
export type BatchRowStatus = 'pending' | 'running' | 'completed' | 'failed' | 'skipped';

/**
 * One row of a batch manifest: the row's index in the batch, its output path and variables, status, and the
 * times it started and ended (ISO 8601, null until then).
 */
export interface BatchManifestRow {
  index: number;
  outputPath: string;
  status: BatchRowStatus;
  /** The composition's rendered length, ms (completed rows). */
  durationMs: number | null;
  /** How long the render took, ms (completed rows). */
  renderTimeMs: number | null;
  /** The failure's message (failed rows), or why the row was skipped. */
  error: string | null;
  startedAt: string | null;
  completedAt: string | null;
  variables: Record<string, unknown>;
}

/**
 * The record of a batch (`renderBatch`), written next to the batch file after every row: one entry per
 * row with its status, output, error and times, and the counts of completed, failed and skipped rows.
 */
export interface BatchManifest {
  version: 1;
  batchPath: string;
  manifestPath: string;
  total: number;
  completed: number;
  failed: number;
  skipped: number;
  rows: BatchManifestRow[];
}

/** How `renderBatch()` renders its rows, besides the render options every row shares. */
export interface BatchOptions {
  /** How many rows render at once (default 1: each render already captures on several pages). */
  concurrency?: number;
  /** Start no row after the first failure; the rows not started are `skipped`. */
  failFast?: boolean;
  /** Options of one row's render over the batch's (e.g. its own progress display). */
  rowOptions?(row: BatchRow): Partial<RenderOptions>;
  /** A row starts (before its render). */
  onRowStart?(row: BatchRow): void;
  /** A row ended: its result, or the error it failed with. */
  onRowEnd?(row: BatchRow, outcome: { result?: RenderResult; error?: unknown }): void;
}

/** The `error` of a row skipped because an earlier row failed under `failFast`. */
export const SKIPPED_MESSAGE = 'Skipped after --batch-fail-fast.';

/**
 * Throws `invalid_variables` naming every row whose values do not fit the composition's declarations
 * (the check a single render makes under `strictVariables`, src/load/variables.ts), so that a strict
 * batch is refused before any row renders, as HyperFrames refuses it. Other problems of the document
 * are left to the rows' renders, which report them.
 */
export async function checkBatchVariables(
  input: string,
  batch: PreparedBatch,
  options: Pick<RenderOptions, 'composition' | 'allowOutsideProject'>,
): Promise<void> {
  const bad: Array<{ index: number; message: string }> = [];
  for (const row of batch.rows) {
    try {
      await loadDocument(input, {
        composition: options.composition,
        variables: row.variables,
        strictVariables: true,
        allowOutsideProject: options.allowOutsideProject,
      });
    } catch (error) {
      if (hasCode(error, 'invalid_variables')) bad.push({ index: row.index, message: error.message });
    }
  }
  if (bad.length) {
    const list = bad.map((b) => `row ${b.index}: ${b.message}`).join('; ');
    throw new BatchError(
      'invalid_variables',
      `\`strictVariables\`: the batch was not started, ${bad.length === 1 ? 'a row has' : `${bad.length} rows have`} variables that do not fit the composition — ${list}`,
      { rows: bad.map((b) => b.index), option: 'strictVariables' },
    );
  }
}

/** Throws `invalid_batch` when `file` exists and is not a batch manifest (it is the user's: never replaced). */
async function refuseForeignManifest(file: string): Promise<void> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new BatchError(
      'invalid_batch',
      `the batch manifest ${file} exists and cannot be read (${(error as NodeJS.ErrnoException).code}): move it away or pick another -o directory`,
      { file },
      { cause: error },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = null;
  }
  const ours =
    value !== null &&
    typeof value === 'object' &&
    (value as Partial<BatchManifest>).version === 1 &&
    Array.isArray((value as Partial<BatchManifest>).rows);
  if (!ours)
    throw new BatchError(
      'invalid_batch',
      `${file} exists and is not a batch manifest; the batch would replace it: move it away or pick another -o directory`,
      { file },
    );
}

/** Writes manifests one at a time (each a snapshot when its turn comes), each atomically. */
function manifestWriter(manifest: BatchManifest): () => Promise<void> {
  let queue = Promise.resolve();
  const writeOnce = async () => {
    for (const key of ['completed', 'failed', 'skipped'] as const) manifest[key] = manifest.rows.filter((r) => r.status === key).length;
    const file = manifest.manifestPath;
    const temp = path.join(path.dirname(file), `.${path.basename(file)}.partial-${process.pid}-${randomBytes(4).toString('hex')}`);
    await mkdir(path.dirname(file), { recursive: true });
    try {
      await writeFile(temp, `${JSON.stringify(manifest, null, 2)}\n`);
      await rename(temp, file);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  };
  return () => {
    queue = queue.then(writeOnce);
    return queue;
  };
}

/**
 * Renders every row of `batch` with `options` (its `output` and `variables` replaced by the row's) and
 * resolves with the final manifest. Call `checkBatchVariables` first for HyperFrames'
 * `--strict-variables` refusal of the whole batch.
 */
export async function renderBatch(
  input: string,
  batch: PreparedBatch,
  options: RenderOptions = {},
  settings: BatchOptions = {},
): Promise<BatchManifest> {
  const concurrency = settings.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new BatchError('invalid_batch', `batch concurrency ${concurrency}: a whole number >= 1`, {});
  await refuseForeignManifest(batch.manifestPath);
  const manifest: BatchManifest = {
    version: 1,
    batchPath: batch.batchPath,
    manifestPath: batch.manifestPath,
    total: batch.rows.length,
    completed: 0,
    failed: 0,
    skipped: 0,
    rows: batch.rows.map((row) => ({
      index: row.index,
      outputPath: row.output,
      status: 'pending',
      durationMs: null,
      renderTimeMs: null,
      error: null,
      startedAt: null,
      completedAt: null,
      variables: row.variables,
    })),
  };
  const save = manifestWriter(manifest);
  await save();
  let stop = false;
  const limit = pLimit(concurrency);
  const runRow = async (row: BatchRow): Promise<void> => {
    const entry = manifest.rows[row.index]!;
    if (stop || options.signal?.aborted) return;
    entry.status = 'running';
    entry.startedAt = new Date().toISOString();
    await save();
    settings.onRowStart?.(row);
    try {
      // Rows render with the same browser settings: each row's browsers wait for the next row's render.
      const result = await render(input, {
        keepBrowsers: BATCH_KEEP_BROWSERS_MS,
        ...options,
        ...settings.rowOptions?.(row),
        output: row.output,
        variables: row.variables,
      });
      Object.assign(entry, {
        status: 'completed',
        durationMs: Math.round(result.duration * 1000),
        renderTimeMs: Math.round(result.timings.total ?? 0),
      });
      settings.onRowEnd?.(row, { result });
    } catch (error) {
      Object.assign(entry, { status: 'failed', error: error instanceof Error ? error.message : String(error) });
      if (settings.failFast) stop = true;
      settings.onRowEnd?.(row, { error });
    }
    entry.completedAt = new Date().toISOString();
    await save();
  };
  try {
    await Promise.all(batch.rows.map((row) => limit(() => runRow(row))));
  } finally {
    await closeIdleBrowsers();
  }
  for (const entry of manifest.rows) {
    if (entry.status !== 'pending') continue;
    Object.assign(entry, {
      status: 'skipped',
      error: stop ? SKIPPED_MESSAGE : 'Skipped: the batch was cancelled.',
      completedAt: new Date().toISOString(),
    });
  }
  await save();
  return manifest;
}
