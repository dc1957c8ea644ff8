/**
 * `framesmith storage prune --storage <dir|s3-url> [--older-than 7d] [--dry-run] [--json]`: removes
 * the plans no render has used for that long from a render storage (src/storage/prune.ts), never one
 * an open render uses. One line per plan removed, then a summary. Exit codes: 0 done; 1 the storage
 * cannot be reached; 2 usage (a malformed age or storage URL).
 */
import type { Command } from 'commander';
import { formatBytes } from './format.js';
import { EXIT_OK, UsageError } from './exit-codes.js';
import type { CommandContext } from './context.js';

interface PruneFlags {
  storage: string;
  olderThan: string;
  dryRun?: boolean;
  json?: boolean;
}

/** Adds `storage prune` to `program` (flags, output and exit codes: the module comment). */
export function registerStorage(program: Command, context: CommandContext): void {
  const storage = program.command('storage').description('maintain the storage of planned and distributed renders (--storage)');
  storage
    .command('prune')
    .description('remove the plans no render has used for a while (never one a running render uses)')
    .requiredOption('--storage <dir|url>', 'the storage: a directory, or s3://bucket/prefix')
    .option('--older-than <age>', 'remove plans last used longer ago than this: 90s, 30m, 12h, 7d', '7d')
    .option('--dry-run', 'list what would be removed, remove nothing')
    .option('--json', 'print the result as JSON')
    .action(async (flags: PruneFlags) => {
      // Loaded on use, as the render's storage code is (S3 pulls in the AWS SDK).
      const { prunePlans, parseAge } = await import('../storage/prune.js');
      const { openStorage } = await import('../storage/storage.js');
      const olderThanMs = parseAge(flags.olderThan);
      if (!Number.isFinite(olderThanMs))
        throw new UsageError('usage', `--older-than "${flags.olderThan}" is not an age: give a number with s, m, h or d (7d, 12h)`, {});
      const opened = await openStorage(flags.storage).catch((error: { code?: string; message: string }) => {
        throw error.code === 'storage_url' ? new UsageError('usage', error.message, {}, { cause: error }) : error;
      });
      await opened.check();
      const result = await prunePlans(opened, { olderThanMs, dryRun: flags.dryRun });
      if (flags.json) {
        context.stdout.write(`${JSON.stringify({ storage: opened.name, dryRun: Boolean(flags.dryRun), ...result }, null, 2)}\n`);
      } else {
        const verb = flags.dryRun ? 'would remove' : 'removed';
        // Ages by the storage's clock, as prune judged them (this machine's may be off).
        const { now } = result;
        for (const p of result.removed) {
          context.stdout.write(
            `${verb} plan ${p.name.slice(0, 12)}${p.complete ? '' : ' (incomplete)'}: ${formatBytes(p.bytes)}, last used ${ago(now - p.lastUsedMs)} ago\n`,
          );
        }
        for (const r of result.deadRenders) {
          context.stdout.write(
            `${flags.dryRun ? 'would remove' : 'removed'} the leftovers of render ${r.id}, which stopped without closing ${ago(now - r.lastSeenMs)} ago\n`,
          );
        }
        const inUse = result.kept.filter((p) => p.why === 'in use').length;
        context.stdout.write(
          `${result.removed.length} plan${result.removed.length === 1 ? '' : 's'} ${verb} (${formatBytes(result.freedBytes)}) from ${opened.name}; kept ${result.kept.length - inUse} used within ${flags.olderThan}, ${inUse} in use by a render\n`,
        );
      }
      context.setExitCode(EXIT_OK);
    });
}

function ago(ms: number): string {
  const s = Math.max(0, ms / 1000);
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} days`;
}
