/**
 * `framesmith worker --redis <url> --storage <dir|s3-url> [--concurrency N]`: takes chunk jobs of
 * distributed renders from the queue at `--redis` until stopped, and renders each into `--storage` (the
 * same directory, at the same path, or the same s3:// URL as the renders that queue them). Any number
 * of workers, on any machines.
 *
 * SIGTERM or SIGINT: the chunks in hand go back to the queue at once (another worker takes them), then
 * the worker says `stopped` and exits 0 — whatever the state of Redis (down, or just restarted), it
 * waits on it about a second at most (src/distributed/worker.ts); past FRAMESMITH_WORKER_STOP_MS it
 * exits 0 anyway, without `stopped`. A second signal exits at once. Exit 1 when Redis or the storage
 * cannot be reached at start (exit 2 for a --storage URL that is not s3://).
 * One line per chunk on stderr (started, done in, failed: why, cancelled, dropped, abandoned).
 *
 * A chunk whose render was cancelled (Ctrl-C on `render --redis`, an aborted API render, a render that
 * failed) stops within about a second, and the worker removes what that render wrote in the storage; a
 * chunk whose render's heartbeat on Redis is gone (the render killed) is dropped. A chunk the
 * composition itself breaks (`page_error`) fails at once, not retried (src/distributed/failures.ts).
 * Redis lost while running (no answer for 5 s, FRAMESMITH_REDIS_LOST_MS; the lock and stalled-check
 * timings are settable too, src/distributed/timings.ts): the chunks in hand are abandoned (their renders fail),
 * the worker says so once and keeps reconnecting, then says when Redis is back and takes chunks again —
 * a Redis restart needs no worker restarted. Passwords in --redis are printed as `***`.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { killAllChildren } from '../media/process.js';
import { EXIT_OK, exitCodeFor } from './exit-codes.js';
import { cliMessage } from './option-flags.js';
import type { CommandContext } from './context.js';

interface WorkerFlags {
  redis: string;
  storage: string;
  concurrency: number;
  browser?: string;
  workers: number;
}

const TIMINGS_HELP = `
Environment (whole milliseconds; the same values on every machine and on the rendering one):
  FRAMESMITH_LOCK_MS           lock on a chunk in hand, renewed every half of it (default 10000)
  FRAMESMITH_STALLED_CHECK_MS  how often a killed worker's chunk is looked for (default 3000)
  FRAMESMITH_REDIS_LOST_MS     no answer from Redis for this long is a lost Redis (default 5000)
  FRAMESMITH_WORKER_STOP_MS    on SIGTERM or SIGINT, exit 0 after this long even if not yet closed (default 15000)`;

/** Adds `worker` to `program`; its action resolves only when the worker stops (see the module comment). */
export function registerWorker(program: Command, context: CommandContext): void {
  program
    .command('worker')
    .description('render chunks of distributed renders (queued with `render --redis`) until stopped')
    .requiredOption('--redis <url>', 'the Redis the renders queue their chunks on, e.g. redis://10.0.0.5:6379')
    .requiredOption(
      '--storage <dir|url>',
      "the renders' storage: the directory mounted at the same path as on the rendering machine, or the same s3://bucket/prefix",
    )
    .option('--concurrency <n>', 'chunks at once (each with its own browser)', (v) => positive(v, '--concurrency'), 1)
    .option('--workers <n>', 'capture pages (browsers) per chunk', (v) => positive(v, '--workers'), 1)
    .option('--browser <path>', "Chromium/Chrome executable; must be the same build as the rendering machine's")
    .addHelpText('after', TIMINGS_HELP)
    .action(async (flags: WorkerFlags) => {
      // Loaded here, not at the top: BullMQ and ioredis take ~150 ms to import, which every other
      // command (a render above all) would pay at start-up.
      const { assertRedisReachable } = await import('../distributed/redis.js');
      const { redactUrl } = await import('../redact.js');
      const { startChunkWorker } = await import('../distributed/worker.js');
      const { workerStopGraceMs } = await import('../distributed/timings.js');
      const { openStorage } = await import('../storage/storage.js');
      let storage: Awaited<ReturnType<typeof openStorage>>;
      let stopGraceMs: number;
      try {
        stopGraceMs = workerStopGraceMs();
        await assertRedisReachable(flags.redis);
        storage = await openStorage(flags.storage);
        await storage.check();
      } catch (error) {
        context.stderr.write(`framesmith worker: ${redactUrl(cliMessage(error, program))}\n`);
        context.setExitCode(exitCodeFor(error));
        return;
      }
      const { renderChunk } = await import('../render/chunk.js');
      const { ChunkSessions } = await import('../render/chunk-session.js');
      // Browsers and loaded pages kept between chunks of one plan (closed on another plan, idle, cancel, stop).
      const sessions = new ChunkSessions({ keepPerKey: flags.concurrency });
      const log = (line: string) => context.stderr.write(`framesmith worker: ${redactUrl(line)}\n`);
      const redis = redactUrl(flags.redis);
      const worker = startChunkWorker({
        redis: flags.redis,
        concurrency: flags.concurrency,
        // Which failures are retried: startChunkWorker's default, `failsForGood` (src/distributed/failures.ts).
        process: (job, { signal, progress, renderOpen }) =>
          renderChunk(job, { storage, browser: flags.browser, workers: flags.workers, signal, onProgress: progress, renderOpen, sessions }),
        onRenderCancelled: async (renderId) => {
          await sessions.closeRender(renderId);
          await storage.closeRender(renderId);
        },
        onConnection: ({ kind, cause }) =>
          log(
            kind === 'lost'
              ? `lost Redis at ${redis} (${cause}): the chunks in hand are abandoned (their renders fail); reconnecting until it answers — check redis-server there, or stop this worker with Ctrl-C`
              : `Redis at ${redis} answers again: taking chunks`,
          ),
        onEvent: ({ kind, job, attempt, error, ms }) => {
          const what = `chunk ${job.index} of render ${job.renderId} (frames ${job.first}–${job.first + job.count - 1}, try ${attempt})`;
          if (kind === 'start') log(`${what} started`);
          else if (kind === 'done') log(`${what} done in ${((ms ?? 0) / 1000).toFixed(1)} s`);
          else if (kind === 'returned') log(`${what} handed back to the queue${error ? `: ${error}` : ''}`);
          else if (kind === 'cancelled') log(`${what} cancelled: the render was cancelled; its files in the storage removed`);
          else if (kind === 'gone') log(`${what} dropped: its render no longer waits for it (it ended, or its heartbeat on Redis expired)`);
          else if (kind === 'abandoned') log(`${what} abandoned: Redis was lost`);
          else log(`${what} failed: ${error}`);
        },
      });
      await worker.ready;
      log(`taking chunks from ${redis} into ${storage.name} (${flags.concurrency} at once); stop with Ctrl-C or SIGTERM`);
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (signal: NodeJS.Signals) => {
          if (stopping) {
            killAllChildren();
            process.exit(signal === 'SIGINT' ? 130 : 143);
          }
          stopping = true;
          log(`${signal}: handing the chunks in hand back, then stopping`);
          // Redis gone: close() could wait forever; the chunks then come back as stalled anyway.
          const hardStop = setTimeout(() => {
            killAllChildren();
            process.exit(EXIT_OK);
          }, stopGraceMs);
          hardStop.unref();
          void worker
            .stop()
            .then(() => sessions.close())
            .finally(resolve);
        };
        process.on('SIGTERM', stop);
        process.on('SIGINT', stop);
      });
      killAllChildren();
      // Only a stop that completed says it (the hard stop above exits without): tests tell them apart by it.
      log('stopped');
      context.setExitCode(EXIT_OK);
    });
}

function positive(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError(`${flag}: a whole number from 1 to 64`);
  return n;
}
