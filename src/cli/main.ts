/**
 * The `framesmith` command line. Each subcommand lives in its own module and registers itself on the
 * program; this file only wires them together, maps errors to exit codes and ends child processes
 * when the user interrupts.
 */
import { Command, CommanderError } from 'commander';
import { FRAMESMITH_VERSION } from '../version.js';
import type { CliIo, CommandContext } from './context.js';
import { killAllChildren } from '../media/process.js';
import { EXIT_USAGE, exitCodeFor } from './exit-codes.js';
import { cliMessage } from './option-flags.js';
import { hasInterruptCleanups, runInterruptCleanups } from './interrupt.js';
import { registerExtract } from './extract-command.js';
import { registerRender } from './render-command.js';
import { normalizeArgvFor } from './hf-render-flags.js';
import { registerCache } from './cache-command.js';
import { registerDoctor } from './doctor-command.js';
import { registerWorker } from './worker-command.js';
import { registerPreview } from './preview-command.js';
import { registerInit } from './init-command.js';
import { registerStorage } from './storage-command.js';
import { registerFonts } from './fonts-command.js';
import { registerLint } from './lint-command.js';
import { registerCheck } from './check-command.js';
import { registerSnapshot } from './snapshot-command.js';
import { registerInfo } from './info-command.js';
import { registerCompositions } from './compositions-command.js';
import { registerTimeline } from './timeline-command.js';

function installSignalHandlers(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAllChildren();
      // 128 + signal number, the shell convention for "ended by a signal".
      const exit = () => process.exit(signal === 'SIGINT' ? 130 : 143);
      if (!hasInterruptCleanups()) return exit();
      // A distributed render cancels its chunks first (bounded); a second signal exits at once.
      process.once(signal, exit);
      void runInterruptCleanups().finally(exit);
    });
  }
}

/**
 * Runs the CLI with `argv` (without node and script) and resolves to the exit code; it never calls
 * `process.exit` (commander's exits are overridden). Without `io` it is the `framesmith` process: it
 * prints on process.stdout/stderr and installs the SIGINT/SIGTERM handlers that end child processes.
 * With `io` (a test, a host embedding the CLI) everything the command line itself prints — help,
 * usage errors, results, failures — goes to `io`, and no signal handler is installed, so nothing
 * outlives the call. (`worker` and `preview` run until a signal: run those as a process.)
 */
export async function main(argv: string[], io?: CliIo): Promise<number> {
  // A worker and a preview stop gracefully on their own (a worker hands its chunks back first).
  if (!io && argv[0] !== 'worker' && argv[0] !== 'preview') installSignalHandlers();
  const out: CliIo = io ?? { stdout: process.stdout, stderr: process.stderr };
  let exitCode = 0;
  const context: CommandContext = {
    setExitCode: (code) => {
      exitCode = code;
    },
    stdout: out.stdout,
    stderr: out.stderr,
  };
  // Set before the subcommands are added: commander copies both settings into each of them.
  const program = new Command()
    .name('framesmith')
    .description('Render HTML compositions into deterministic video files.')
    // `-V, --version` as HyperFrames' CLI answers `--version`: the version alone, exit 0.
    .version(FRAMESMITH_VERSION, '-V, --version', "print framesmith's version")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => {
        out.stdout.write(text);
      },
      writeErr: (text) => {
        out.stderr.write(text);
      },
    })
    .showHelpAfterError();
  registerRender(program, context);
  registerExtract(program, context);
  registerCache(program, context);
  registerStorage(program, context);
  registerFonts(program, context);
  registerDoctor(program, context);
  registerWorker(program, context);
  registerPreview(program, context);
  registerInit(program, context);
  registerLint(program, context);
  registerCheck(program, context);
  registerSnapshot(program, context);
  registerInfo(program, context);
  registerCompositions(program, context);
  registerTimeline(program, context);
  try {
    // `render` also takes HyperFrames' spellings of its flags (--flag=false); hf-render-flags.ts.
    const render = program.commands.find((c) => c.name() === 'render');
    const args = argv[0] === 'render' && render ? ['render', ...normalizeArgvFor(render, argv.slice(1))] : argv;
    await program.parseAsync(args, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit through here with code 0.
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    out.stderr.write(`framesmith: ${cliMessage(error, program)}\n`);
    return exitCodeFor(error);
  }
}
