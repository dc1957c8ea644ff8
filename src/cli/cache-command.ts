/**
 * `framesmith cache stats | gc | clear [--json] [--cache-dir <dir>] [--budget <size>]`.
 * Exit codes: 0 done; 1 the cache directory is unusable or another process is collecting; 2 usage
 * (unknown subcommand, malformed budget, cache disabled with nothing to act on).
 */
import type { Command } from 'commander';
import { CacheError } from '../cache/errors.js';
import { openFrameCache, type FrameCache } from '../cache/store.js';
import { EXIT_FAILED, EXIT_OK, UsageError } from './exit-codes.js';
import type { CliIo, CommandContext } from './context.js';
import { formatBytes } from './format.js';

interface CacheCommandOptions {
  json?: boolean;
  cacheDir?: string;
  budget?: string;
}

async function open(options: CacheCommandOptions, io: CliIo): Promise<FrameCache | null> {
  let warning = '';
  try {
    const cache = await openFrameCache({
      dir: options.cacheDir,
      budgetBytes: options.budget,
      warn: (m) => {
        warning = m;
      },
    });
    if (!cache && warning) io.stderr.write(`framesmith: ${warning}\n`);
    if (!cache && !warning)
      throw new UsageError(
        'usage',
        'the frame cache is disabled (FRAMESMITH_CACHE_DIR=off); pass --cache-dir <dir> to act on a cache directory',
        {},
      );
    return cache;
  } catch (error) {
    if (error instanceof CacheError && error.code === 'invalid_config') throw new UsageError('usage', error.message, {}, { cause: error });
    throw error;
  }
}

function print(io: CliIo, options: CacheCommandOptions, json: unknown, text: string): void {
  io.stdout.write(options.json ? `${JSON.stringify(json, null, 2)}\n` : `${text}\n`);
}

function addCommonOptions(command: Command): Command {
  return command
    .option('--json', 'print the result as JSON')
    .option('--cache-dir <dir>', 'cache directory (default: FRAMESMITH_CACHE_DIR, $XDG_CACHE_HOME/framesmith or ~/.cache/framesmith)')
    .option('--budget <size>', 'byte budget such as 5GiB (default: FRAMESMITH_CACHE_BUDGET or 5GiB)');
}

/**
 * Adds `cache stats | gc | clear` to `program`; each prints through `context` and sets its exit code
 * (see the module comment). A disabled cache or malformed `--budget` throws UsageError.
 */
export function registerCache(program: Command, context: CommandContext): void {
  const cache = program.command('cache').description('inspect and trim the persistent frame cache');

  addCommonOptions(cache.command('stats').description('show entries, size, budget and directory')).action(
    async (options: CacheCommandOptions) => {
      const opened = await open(options, context);
      if (!opened) return context.setExitCode(EXIT_FAILED);
      try {
        const stats = await opened.stats();
        print(
          context,
          options,
          stats,
          [
            `cache dir: ${stats.dir}`,
            `entries:   ${stats.entries} (${stats.leasedEntries} in use, ${stats.damagedEntries} damaged)`,
            `size:      ${formatBytes(stats.bytes + stats.remoteBytes + stats.segmentBytes)} of ${formatBytes(stats.budgetBytes)} budget`,
            `           (frames ${formatBytes(stats.bytes)}, downloaded sources ${formatBytes(stats.remoteBytes)}, segments ${formatBytes(stats.segmentBytes)})`,
          ].join('\n'),
        );
        context.setExitCode(EXIT_OK);
      } finally {
        opened.close();
      }
    },
  );

  addCommonOptions(cache.command('gc').description('evict least-recently-used entries until the cache fits its budget')).action(
    async (options: CacheCommandOptions) => {
      const opened = await open(options, context);
      if (!opened) return context.setExitCode(EXIT_FAILED);
      try {
        const result = await opened.gc();
        if (result.skipped) {
          context.stderr.write(`framesmith: another process is collecting garbage in ${opened.dir}; try again when it has finished\n`);
          return context.setExitCode(EXIT_FAILED);
        }
        print(
          context,
          options,
          { dir: opened.dir, budgetBytes: opened.budgetBytes, ...result },
          `evicted ${result.evicted} entries or downloads, freed ${formatBytes(result.bytesFreed)}; ${formatBytes(result.bytesAfter)} of ${formatBytes(opened.budgetBytes)} budget used`,
        );
        context.setExitCode(EXIT_OK);
      } finally {
        opened.close();
      }
    },
  );

  addCommonOptions(cache.command('clear').description('remove every entry not in use by a running render, and downloaded sources')).action(
    async (options: CacheCommandOptions) => {
      const opened = await open(options, context);
      if (!opened) return context.setExitCode(EXIT_FAILED);
      try {
        const result = await opened.clear();
        if (result.skipped) {
          context.stderr.write(`framesmith: another process is collecting garbage in ${opened.dir}; try again when it has finished\n`);
          return context.setExitCode(EXIT_FAILED);
        }
        print(
          context,
          options,
          { dir: opened.dir, ...result },
          `removed ${result.evicted} entries, freed ${formatBytes(result.bytesFreed)}` +
            (result.bytesAfter > 0 ? `; ${formatBytes(result.bytesAfter)} kept (in use by a running render)` : ''),
        );
        context.setExitCode(EXIT_OK);
      } finally {
        opened.close();
      }
    },
  );
}
