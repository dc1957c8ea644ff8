/**
 * The CLI run inside the test process through `main(argv, io)` (src/cli/main.ts, from the sources: no
 * build needed), its stdout and stderr captured: for what needs no process of its own — usage errors,
 * refusals, `--json` documents of quick commands. It installs no signal handler and never exits the
 * process. A test file keeps one real spawn per command (render-cli.ts `runCli`) to prove the
 * `framesmith` bin itself works.
 */
import { main } from '../../src/cli/main.js';
import type { CliRun } from './render-cli.js';

/** Runs `framesmith …args` in-process; the same shape as `runCli`'s result (never a signal). */
export async function runCliInProcess(args: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: {
      write: (text: string) => {
        stdout += text;
      },
    },
    stderr: {
      write: (text: string) => {
        stderr += text;
      },
    },
  });
  return { code, signal: null, stdout, stderr };
}
