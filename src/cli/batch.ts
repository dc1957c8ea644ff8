/**
 * `framesmith render --batch rows.json`: HyperFrames' batch render (src/batch.ts, src/render/batch.ts).
 * One render per row, `-o` a template (`{index}`, `{<row key>}`; default
 * `renders/<name>_<stamp>_{index}.<ext>`), `manifest.json` beside the outputs.
 * Exit codes: 0 every row rendered, 1 a row failed (the manifest says which), 2 the batch was refused
 * before any row rendered (a malformed rows file, a placeholder a row cannot fill, colliding
 * outputs, with --strict-variables rows whose variables do not fit, or batch flags without --batch).
 * `--json` prints one JSON document on stdout: `{ type: "batch-complete", manifestPath, total,
 * completed, failed, skipped, rows }`, or `{ error: { code, message, … } }`.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { BatchManifest } from '../batch.js';
import { hasCode } from '../errors.js';
import type { RenderOptions } from '../render/types.js';
import { redactUrl } from '../redact.js';
import { EXIT_FAILED, EXIT_OK, exitCodeFor, USAGE_CODES, UsageError } from './exit-codes.js';
import { cliMessage } from './option-flags.js';
import { createProgress, type ProgressDisplay } from './progress.js';
import type { CliIo } from './context.js';

/**
 * The batch flags as commander parses them: `--batch` (path of the rows file), `--batch-concurrency`
 * (whole number >= 1; default 1), `--batch-fail-fast`. All undefined when not given.
 */
export interface BatchFlags {
  batch?: string;
  batchConcurrency?: number;
  batchFailFast?: boolean;
}

function positiveWhole(value: string): number {
  const n = Number(value.trim());
  if (value.trim() === '' || !Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number >= 1');
  return n;
}

/** Adds --batch, --batch-concurrency and --batch-fail-fast to `render`. */
export function addBatchOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--batch <rows.json>',
        'render once per row of a JSON array of variable rows (or {"rows":[…]}); -o takes placeholders {index} (0-based) and {<row key>}, default renders/<name>_<stamp>_{index}.<ext>; manifest.json beside the outputs',
      ),
    )
    .addOption(
      new Option(
        '--batch-concurrency <n>',
        'with --batch: how many rows render at once (default 1: each render already captures on several pages)',
      ).argParser(positiveWhole),
    )
    .addOption(new Option('--batch-fail-fast', 'with --batch: start no row after the first failure (the rest are skipped)'));
}

/** Usage errors of the batch flags, before anything else happens (exit 2). */
export function checkBatchFlags(flags: BatchFlags & { variables?: string; variablesFile?: string }): void {
  if (flags.batch === undefined) {
    if (flags.batchConcurrency !== undefined) throw new UsageError('usage', '--batch-concurrency needs --batch <rows.json>', {});
    if (flags.batchFailFast) throw new UsageError('usage', '--batch-fail-fast needs --batch <rows.json>', {});
    return;
  }
  if (flags.variables !== undefined || flags.variablesFile !== undefined) {
    throw new UsageError(
      'usage',
      '--batch gives each render its variables (one row each): drop --variables / --variables-file, or put their values in every row',
      {},
    );
  }
}

interface BatchCommandFlags extends BatchFlags {
  batch: string;
  output?: string;
  json?: boolean;
  quiet?: boolean;
  strictVariables?: boolean;
}

/**
 * Runs the batch: `options` are the single render's (from the same flags); each row replaces
 * `output` and `variables`. Resolves to the exit code; prints the outcome (see the module comment).
 */
export async function runBatchCommand(
  input: string,
  options: RenderOptions,
  flags: BatchCommandFlags,
  io: CliIo,
  root: Command,
): Promise<number> {
  const say = (line: string) => {
    if (!flags.quiet && !flags.json) io.stderr.write(`framesmith: ${line}\n`);
  };
  try {
    // Loaded when a batch runs: they reach the whole renderer (puppeteer included), which a command
    // that starts no browser (`info`, `lint`, `--version`) must not load (src/cli/main.ts registers every command).
    const { checkBatchVariables, prepareBatchFile, renderBatch, defaultBatchTemplate } = await import('../batch.js');
    const { defaultOutputPath, formatFromOutput } = await import('../render/options.js');
    const format = options.format ?? formatFromOutput(options.output) ?? 'mp4';
    const template = flags.output ?? defaultBatchTemplate(defaultOutputPath(input, format), format);
    const batch = await prepareBatchFile(flags.batch, template);
    if (flags.strictVariables) await checkBatchVariables(input, batch, options);
    const concurrency = flags.batchConcurrency ?? 1;
    say(`batch of ${batch.rows.length} row${batch.rows.length === 1 ? '' : 's'}, ${concurrency} at a time → ${batch.manifestPath}`);
    // One progress display per row, only when rows render one at a time: bars of rows rendering
    // together would overwrite each other.
    const displays = new Map<number, ProgressDisplay>();
    const manifest = await renderBatch(input, batch, options, {
      concurrency,
      failFast: flags.batchFailFast ?? false,
      rowOptions: (row) => {
        const display = createProgress({ quiet: Boolean(flags.quiet || flags.json || concurrency > 1), stream: io.stderr });
        displays.set(row.index, display);
        return {
          onProgress: (p) => display.update(p),
          onWarning: (w) => options.onWarning?.({ ...w, message: `row ${row.index}: ${w.message}` }),
        };
      },
      onRowStart: (row) => say(`batch row ${row.index}: ${row.output}`),
      onRowEnd: (row, { result, error }) => {
        displays.get(row.index)?.stop();
        if (result) say(`row ${row.index}: wrote ${result.output} (${result.frames} frames, ${result.width}x${result.height})`);
        else say(`row ${row.index} failed: ${redactUrl(cliMessage(error, root))}`);
      },
    });
    report(manifest, flags, io);
    return manifest.failed > 0 ? EXIT_FAILED : EXIT_OK;
  } catch (error) {
    const message = redactUrl(cliMessage(error, root));
    const usage = hasCode(error, ...USAGE_CODES);
    if (flags.json) {
      const fields = usage ? error.fields : {};
      io.stdout.write(`${JSON.stringify({ error: { code: usage ? error.code : 'internal', message, ...fields } }, null, 2)}\n`);
    }
    io.stderr.write(`framesmith: batch ${usage ? 'refused' : 'failed'}: ${message}\n`);
    return exitCodeFor(error);
  }
}

function report(manifest: BatchManifest, flags: BatchCommandFlags, io: CliIo): void {
  const { manifestPath, total, completed, failed, skipped, rows } = manifest;
  if (flags.json) {
    io.stdout.write(`${JSON.stringify({ type: 'batch-complete', manifestPath, total, completed, failed, skipped, rows }, null, 2)}\n`);
    return;
  }
  if (flags.quiet) return;
  const counts = failed || skipped ? `${completed} completed, ${failed} failed, ${skipped} skipped` : `${completed} completed`;
  io.stderr.write(`framesmith: batch complete: ${counts}; manifest ${manifestPath}\n`);
}
