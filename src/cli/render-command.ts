/**
 * `framesmith render <dir|file.html>`: renders a composition to MP4 (default), WebM or a PNG sequence.
 * Exit codes: 0 rendered, 1 the render failed (the message names the element or URL), 2 usage.
 * `--json` prints one JSON document on stdout: the result, or `{ "error": { code, message, … } }`.
 */
import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { render, RenderError, type OutputFormat, type Quality } from '../render.js';
import { parseRational } from '../media/rational.js';
import { EXIT_FAILED, EXIT_OK, UsageError } from './exit-codes.js';
import type { CommandContext } from './main.js';
import { createProgress } from './progress.js';

interface RenderFlags {
  output?: string;
  fps?: string;
  quality: Quality;
  format?: OutputFormat;
  workers?: number;
  browser?: string;
  /** false with --no-cache. */
  cache: boolean;
  cacheDir?: string;
  allowPrivateHosts?: boolean;
  webgl: 'auto' | 'on' | 'off';
  json?: boolean;
  quiet?: boolean;
}

function parseWorkers(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError('a whole number from 1 to 64');
  return n;
}

function parseFps(value: string): string {
  if (!parseRational(value)) throw new InvalidArgumentError('a positive frame rate such as 30, 29.97 or 30000/1001');
  return value;
}

export function registerRender(program: Command, context: CommandContext): void {
  program
    .command('render')
    .description('render a composition (a directory holding index.html, or an .html file) to a video')
    .argument('<input>', 'project directory or .html file')
    .option('-o, --output <path>', 'output file (a directory for --format png); default renders/<name>.<format>')
    .option('--fps <rate>', 'frame rate, e.g. 30 or 30000/1001 (default: the composition\'s data-fps, else 30)', parseFps)
    .addOption(new Option('--quality <preset>', 'encoder quality').choices(['draft', 'standard', 'high']).default('standard'))
    .addOption(new Option('--format <format>', 'output format (default: from -o\'s extension, else mp4)').choices(['mp4', 'webm', 'png']))
    .option('--workers <n>', 'capture pages in parallel (default: from cores and free memory)', parseWorkers)
    .option('--browser <path>', 'Chromium/Chrome executable (default: FRAMESMITH_BROWSER, the bundled headless shell, a system Chromium)')
    .addOption(new Option('--webgl <mode>', 'WebGL for the page: auto starts it when the page asks for a context while loading').choices(['auto', 'on', 'off']).default('auto'))
    .option('--no-cache', 'do not use the frame cache for video frames')
    .option('--cache-dir <dir>', 'frame cache directory (default: FRAMESMITH_CACHE_DIR, else ~/.cache/framesmith)')
    .option('--allow-private-hosts', 'allow remote media on http:// or private/loopback hosts (e.g. a local dev server)')
    .option('--json', 'print the result as one JSON document')
    .option('-q, --quiet', 'no progress output')
    .action(async (input: string, flags: RenderFlags) => {
      if (!flags.cache && flags.cacheDir) throw new UsageError('--no-cache and --cache-dir cannot be combined; pick one');
      const display = createProgress({ quiet: Boolean(flags.quiet || flags.json) });
      try {
        const result = await render(input, {
          output: flags.output,
          fps: flags.fps,
          quality: flags.quality,
          format: flags.format,
          workers: flags.workers,
          browser: flags.browser,
          cache: flags.cache ? (flags.cacheDir ? path.resolve(flags.cacheDir) : undefined) : false,
          allowPrivateHosts: flags.allowPrivateHosts ?? false,
          webgl: flags.webgl,
          onProgress: (p) => display.update(p),
        });
        display.stop();
        if (flags.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        else if (!flags.quiet) {
          process.stderr.write(`framesmith: wrote ${result.output} (${result.frames} frames, ${result.width}x${result.height}, ${result.fps} fps, ${result.captureMode}${result.webgl ? ', WebGL' : ''}, ${result.workers} worker${result.workers === 1 ? '' : 's'}) in ${(result.timings.total! / 1000).toFixed(1)} s\n`);
        }
        context.setExitCode(EXIT_OK);
      } catch (error) {
        display.stop();
        const failure = error instanceof RenderError ? error : null;
        const message = error instanceof Error ? error.message : String(error);
        if (flags.json) {
          process.stdout.write(`${JSON.stringify({ error: { code: failure?.code ?? 'internal', message, ...(failure?.detail ?? {}) } }, null, 2)}\n`);
        }
        process.stderr.write(`framesmith: render failed: ${message}\n`);
        context.setExitCode(EXIT_FAILED);
      }
    });
}
