/**
 * `framesmith preview <dir|file.html> [--port N] [--host H] [--no-open]`: a local server showing the
 * composition in a player, frame-exact (src/preview/), reloading on every change to the project.
 * Prints the URL and opens the system browser unless `--no-open`. Ctrl-C (or SIGTERM) stops it, even
 * while a page is stuck in a script: browser and ffmpeg processes are ended first, exit 0. Exit 1
 * when the port is taken. The deadline flags are render's (deadline-flags.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { EXIT_FAILED, EXIT_OK, UsageError } from './exit-codes.js';
import { optionFlags, withFlags } from './option-flags.js';
import type { CommandContext } from './context.js';
import { deadlineFlag, deadlineSettings, type DeadlineFlags } from './deadline-flags.js';
import { killAllChildren } from '../media/process.js';

interface PreviewFlags extends DeadlineFlags {
  port: number;
  host: string;
  open: boolean;
  browser?: string;
  cache: boolean;
  cacheDir?: string;
  allowOutsideProject?: boolean;
}

/** How long a stop waits for the server to close before the command returns anyway. */
const STOP_GRACE_MS = 3_000;

/** The default port: a free one is not predictable, and a bookmark should keep working. */
export const DEFAULT_PREVIEW_PORT = 4321;

/** Adds `preview` to `program`; its action resolves only when the server stops (see the module comment). */
export function registerPreview(program: Command, context: CommandContext): void {
  program
    .command('preview')
    .description('preview a composition in the browser, frame-exact, reloading on every change')
    .argument('<input>', 'project directory or .html file')
    .option('--port <n>', `port to listen on (0: any free port; default ${DEFAULT_PREVIEW_PORT})`, port, DEFAULT_PREVIEW_PORT)
    .option('--host <host>', 'address to listen on (default 127.0.0.1: this machine only)', '127.0.0.1')
    .option('--no-open', 'do not open the system browser')
    .option('--browser <path>', 'Chromium/Chrome executable that captures the frames (default: the bundled headless shell)')
    .option('--no-cache', 'do not use the frame cache for video frames')
    .option('--cache-dir <dir>', 'frame cache directory (default: FRAMESMITH_CACHE_DIR, else ~/.cache/framesmith)')
    .addOption(deadlineFlag('browserTimeout'))
    .addOption(deadlineFlag('protocolTimeout'))
    .addOption(deadlineFlag('playerReadyTimeout'))
    .option('--allow-outside-project', 'read media and sub-compositions outside the project directory (../), as render does')
    .action(async (input: string, flags: PreviewFlags) => {
      if (!existsSync(input))
        throw new UsageError('usage', `${input} does not exist: give a project directory (holding index.html) or an .html file`, {});
      const { startPreviewServer } = await import('../preview/server.js');
      const log = (line: string) => process.stderr.write(`framesmith preview: ${line}\n`);
      let server: Awaited<ReturnType<typeof startPreviewServer>>;
      try {
        server = await startPreviewServer(input, {
          port: flags.port,
          host: flags.host,
          browser: flags.browser,
          allowOutsideProject: flags.allowOutsideProject ?? false,
          cache: flags.cache ? (flags.cacheDir ? path.resolve(flags.cacheDir) : undefined) : false,
          ...deadlineSettings(flags),
          onWarning: (message) => log(`warning: ${message}`),
          onState: (state) =>
            log(
              'error' in state
                ? `error: ${withFlags(state.error.message, optionFlags(program))}`
                : `loaded ${state.info.entry} (${state.info.width}x${state.info.height}, ${state.info.fps} fps, ${state.info.duration.toFixed(2)} s)`,
            ),
        });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        log(
          code === 'EADDRINUSE'
            ? `port ${flags.port} is in use: pick another with --port`
            : `cannot listen on ${flags.host}:${flags.port}: ${(error as Error).message}`,
        );
        context.setExitCode(EXIT_FAILED);
        return;
      }
      process.stdout.write(`${server.url}\n`);
      if (flags.host !== '127.0.0.1' && flags.host !== 'localhost' && flags.host !== '::1')
        log(`listening on ${flags.host}: anyone who reaches this address sees the project`);
      if (flags.open) openBrowser(server.url);
      await new Promise<void>((resolve) => {
        const stop = () => {
          log('stopping');
          // The browsers first: a page stuck in a script would hold a graceful close until its deadline.
          killAllChildren();
          const closing = server.close().catch(() => {});
          void Promise.race([closing, new Promise((r) => setTimeout(r, STOP_GRACE_MS).unref())]).finally(resolve);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      context.setExitCode(EXIT_OK);
      // Whatever still holds the event loop (a close cut short above) must not keep the process alive.
      setTimeout(() => process.exit(EXIT_OK), STOP_GRACE_MS).unref();
    });
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port number from 0 to 65535');
  return n;
}

/** Opens `url` in the system browser; a machine without one just keeps the printed URL. */
function openBrowser(url: string): void {
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '', url]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(command, args as string[], { stdio: 'ignore', detached: true });
    child.on('error', () => {});
    child.unref();
  } catch {
    // No opener: the URL is printed.
  }
}
