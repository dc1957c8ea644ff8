/**
 * Batch renders, as HyperFrames' `render --batch` runs them: one render per row of variable values,
 * each to an output path made from a template. This module prepares a batch (rows read, outputs
 * named, collisions refused) before anything renders; batch-run.ts renders it and keeps its manifest.
 *
 * - Rows: a JSON array of objects (each a row's variable values), or `{ "rows": [ … ] }`; at least one.
 * - Template: every `{key}` (`key` of letters, digits, `_`, `.`, `-`) is replaced — `{index}` by the
 *   row's 0-based position, any other by that row's value (a string, number or boolean, written with
 *   `String()`). Values go into the path as they are, `/` included (HyperFrames does not sanitise
 *   them either); a row without the key, or with an object for it, is refused.
 * - Outputs are resolved against the working directory; two rows on one path are refused, naming
 *   the rows. The manifest is `manifest.json` in the deepest directory holding every output.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { FramesmithError } from '../errors.js';
import { isDirectoryFormat } from './formats.js';
import type { OutputFormat } from '../stages/stage.js';

/** The placeholders of an output template: `{index}` or `{<row key>}`. */
const PLACEHOLDER = /\{([A-Za-z0-9_.-]+)\}/g;

/** The `code` of a BatchError. */
export type BatchErrorCode = 'invalid_batch' | 'invalid_variables';

/**
 * A batch refused before any row rendered (a usage error, exit 2): an unreadable or malformed rows
 * file, a placeholder a row cannot fill, outputs that collide, or (with `strictVariables`) rows whose
 * variables do not fit the composition. `rows` lists the rows at fault (0-based).
 */
export class BatchError extends FramesmithError<BatchErrorCode, { file?: string; rows?: number[]; option?: string }> {
  override readonly name = 'BatchError';
}

/** One row of a prepared batch. */
export interface BatchRow {
  /** 0-based position in the rows file. */
  index: number;
  /** The row as written: the render's variables. */
  variables: Record<string, unknown>;
  /** Absolute output path. */
  output: string;
}

/**
 * A batch checked and ready to render: its rows with their output paths, and where the manifest goes
 * (`manifest.json` in the directory common to every row's output).
 */
export interface PreparedBatch {
  /** Absolute path of the rows file (empty when the rows were given in memory). */
  batchPath: string;
  manifestPath: string;
  rows: BatchRow[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The rows of a batch file's text (see the module comment); `source` names it in errors. */
export function parseBatchRows(text: string, source: string): Record<string, unknown>[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new BatchError(
      'invalid_batch',
      `the \`batch\` file ${source} is not valid JSON (${(error as Error).message}): write an array of rows such as [{"title":"One"},{"title":"Two"}]`,
      { file: source, option: 'batch' },
    );
  }
  const rows = Array.isArray(parsed) ? parsed : isObject(parsed) ? parsed.rows : undefined;
  if (!Array.isArray(rows))
    throw new BatchError(
      'invalid_batch',
      `the \`batch\` file ${source} must be a JSON array of rows, or an object with a "rows" array, such as [{"title":"One"},{"title":"Two"}]`,
      { file: source, option: 'batch' },
    );
  if (rows.length === 0)
    throw new BatchError('invalid_batch', `the \`batch\` file ${source} has no rows: add at least one object of variable values`, {
      file: source,
      option: 'batch',
    });
  const bad = rows.flatMap((row, i) => (isObject(row) ? [] : [i]));
  if (bad.length)
    throw new BatchError(
      'invalid_batch',
      `the \`batch\` file ${source}: row ${bad.join(', ')} must be a JSON object of variable values such as {"title":"One"}`,
      { file: source, rows: bad, option: 'batch' },
    );
  return rows as Record<string, unknown>[];
}

/** `template` with its placeholders filled from `row` (see the module comment). */
export function fillOutputTemplate(template: string, row: Record<string, unknown>, index: number): string {
  return template.replace(PLACEHOLDER, (_match, key: string) => {
    if (key === 'index') return String(index);
    if (!Object.hasOwn(row, key))
      throw new BatchError(
        'invalid_batch',
        `-o ${template}: row ${index} has no "${key}" for the placeholder {${key}}: add the key to every row, or leave the placeholder out`,
        { rows: [index] },
      );
    const value = row[key];
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
    throw new BatchError(
      'invalid_batch',
      `-o ${template}: row ${index}'s "${key}" is ${value === null ? 'null' : Array.isArray(value) ? 'an array' : 'an object'}; the placeholder {${key}} takes a string, number or boolean`,
      { rows: [index] },
    );
  });
}

/** Whether `template` has a placeholder (without one every row would write the same path). */
export function hasPlaceholder(template: string): boolean {
  return new RegExp(PLACEHOLDER.source).test(template);
}

/**
 * The output template when none is given, as HyperFrames makes it: the single render's default
 * (`renders/<name>_<stamp>.<ext>`, src/render/options.ts) with `_{index}` before the extension.
 */
export function defaultBatchTemplate(singleDefault: string, format: OutputFormat): string {
  if (isDirectoryFormat(format)) return `${singleDefault}_{index}`;
  const ext = path.extname(singleDefault);
  return `${singleDefault.slice(0, singleDefault.length - ext.length)}_{index}${ext}`;
}

/** The deepest directory that holds every one of `files` (absolute paths). */
function commonDirectory(files: string[]): string {
  let common = path.dirname(files[0]!);
  for (const file of files.slice(1)) {
    while (path.relative(common, path.dirname(file)).startsWith('..')) {
      const parent = path.dirname(common);
      if (parent === common) return common;
      common = parent;
    }
  }
  return common;
}

/** Throws `invalid_batch` naming every set of rows that share an output, or an output on the manifest. */
function refuseCollisions(rows: BatchRow[], manifestPath: string): void {
  const byOutput = new Map<string, number[]>();
  for (const row of rows) byOutput.set(row.output, [...(byOutput.get(row.output) ?? []), row.index]);
  const shared = [...byOutput].filter(([, indices]) => indices.length > 1);
  if (shared.length) {
    const list = shared.map(([output, indices]) => `rows ${indices.join(', ')} all write ${output}`).join('; ');
    throw new BatchError('invalid_batch', `batch outputs collide: ${list}; put {index} or a key unique to each row in -o`, {
      rows: shared.flatMap(([, indices]) => indices),
    });
  }
  const onManifest = byOutput.get(manifestPath);
  if (onManifest)
    throw new BatchError(
      'invalid_batch',
      `batch output collides with the manifest: row ${onManifest.join(', ')} writes ${manifestPath}; pick another -o`,
      { rows: onManifest },
    );
}

/**
 * Prepares a batch from rows in memory: outputs from `template` (resolved against `cwd`), the
 * manifest's path, collisions refused. Renders nothing.
 */
export function prepareBatch(
  rows: Record<string, unknown>[],
  template: string,
  options: { batchPath?: string; cwd?: string } = {},
): PreparedBatch {
  const cwd = options.cwd ?? process.cwd();
  const prepared = rows.map((variables, index) => ({
    index,
    variables,
    output: path.resolve(cwd, fillOutputTemplate(template, variables, index)),
  }));
  const manifestPath = path.join(commonDirectory(prepared.map((r) => r.output)), 'manifest.json');
  refuseCollisions(prepared, manifestPath);
  return { batchPath: options.batchPath ?? '', manifestPath, rows: prepared };
}

/** `prepareBatch` over the rows of the file `batchFile` (relative to `cwd`). */
export async function prepareBatchFile(batchFile: string, template: string, cwd = process.cwd()): Promise<PreparedBatch> {
  const batchPath = path.resolve(cwd, batchFile);
  let text: string;
  try {
    text = await readFile(batchPath, 'utf8');
  } catch (error) {
    throw new BatchError(
      'invalid_batch',
      `the \`batch\` file ${batchPath}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); pass a JSON file of rows such as [{"title":"One"}]`,
      { file: batchPath, option: 'batch' },
      { cause: error },
    );
  }
  return prepareBatch(parseBatchRows(text, batchPath), template, { batchPath, cwd });
}
