/**
 * What every command's code is handed: where it prints (`CliIo`) and how it sets the exit code
 * (`CommandContext`). Its own module so commands and main.ts import it without importing each other.
 */

/** Where the CLI prints: the process's streams, or a caller's buffers (`main(argv, io)` in-process). */
export interface CliOutput {
  write(text: string): unknown;
}

/** The CLI's stdout (results, `--json` documents) and stderr (messages, progress, errors). */
export interface CliIo {
  readonly stdout: CliOutput;
  readonly stderr: CliOutput;
}

/** A command's action sets the exit code (commander's own parse result carries none) and prints through `io`. */
export interface CommandContext extends CliIo {
  setExitCode(code: number): void;
}
