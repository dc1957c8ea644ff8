/**
 * Runs ffmpeg/ffprobe (or any tool) as a child process: argument arrays only (never a shell),
 * a per-process timeout, an AbortSignal that ends the process (SIGTERM, then SIGKILL after a grace
 * period), and a bounded tail of stderr kept for error messages.
 *
 * Every live child is registered so that `killAllChildren()` (called by the CLI on SIGINT/SIGTERM)
 * can end them; nothing we start outlives an interrupted run.
 */
import { FramesmithError } from '../errors.js';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Writable, Readable } from 'node:stream';

/** How long a child gets between SIGTERM and SIGKILL. */
const KILL_GRACE_MS = 2_000;
/** Bytes of stderr kept for error messages: enough for ffmpeg's last complaint, never the whole log. */
const STDERR_TAIL_BYTES = 8 * 1024;

/**
 * How a child failed (`ProcessError.code`): could not start, exited non-zero (or by a signal we did not
 * send), was ended by `timeoutMs`, or was ended by the signal or `kill()`.
 */
export type ProcessFailureKind = 'spawn' | 'exit' | 'timeout' | 'cancelled';

/** What a failed child process leaves behind: its command line, how it ended, the tail of its stderr. */
export interface ProcessFailure {
  command: string;
  args: readonly string[];
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The last STDERR_TAIL_BYTES of stderr. */
  stderrTail: string;
}

/** A child process that could not start, exited non-zero, timed out, or was cancelled. */
export class ProcessError extends FramesmithError<ProcessFailureKind, ProcessFailure> {
  override readonly name = 'ProcessError';
}

/** Options of `startProcess` / `runProcess`; `cwd` and `env` default to this process's. */
export interface RunOptions {
  /** End the process after this many ms (SIGTERM, then SIGKILL). Default: no limit. */
  timeoutMs?: number;
  /** Aborting ends the process and rejects with code `cancelled`. */
  signal?: AbortSignal;
  /** `pipe` to write to the child's stdin (see `startProcess`); default `ignore`. */
  stdin?: 'pipe' | 'ignore';
  /** Collect stdout as a string (default) or discard it. */
  stdout?: 'collect' | 'ignore' | 'pipe';
  /** Called with each complete stderr line (progress parsing). */
  onStderrLine?: (line: string) => void;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * A child that exited 0: `stdout` as UTF-8 (empty unless collected), the last 8 KiB of stderr, and
 * the wall time from spawn to close in ms.
 */
export interface ProcessResult {
  exitCode: number;
  stdout: string;
  stderrTail: string;
  durationMs: number;
}

/** A started child (`startProcess`); it is registered for `killAllChildren()` until it closes. */
export interface RunningProcess {
  readonly child: ChildProcess;
  /** The child's stdin when started with `stdin: 'pipe'`. */
  readonly stdin: Writable | null;
  /** The child's stdout when started with `stdout: 'pipe'`. */
  readonly stdout: Readable | null;
  /** Settles when the process ends: resolves on exit code 0, rejects with `ProcessError` otherwise. */
  readonly done: Promise<ProcessResult>;
  /** Ends the process (SIGTERM, then SIGKILL); `done` rejects with code `cancelled`. */
  kill(): void;
}

const liveChildren = new Set<ChildProcess>();

/** Ends every child this process started that is still running. Used on SIGINT/SIGTERM. */
export function killAllChildren(): void {
  for (const child of liveChildren) terminate(child);
}

/** Children kept running on purpose between pieces of work (`markChildIdle`): not counted by `liveChildCount`. */
const idleChildren = new Set<ChildProcess>();

/**
 * The number of children currently running for some work (tests use it to prove nothing is left
 * behind): a child marked idle — a browser kept for the next render (src/browser/pool.ts) — is not counted.
 */
export function liveChildCount(): number {
  for (const child of idleChildren) if (!liveChildren.has(child)) idleChildren.delete(child);
  return liveChildren.size - idleChildren.size;
}

/** Marks a registered child as kept running without work (`idle`), or as working again. An interrupt still ends it. */
export function markChildIdle(child: ChildProcess, idle: boolean): void {
  if (idle) idleChildren.add(child);
  else idleChildren.delete(child);
}

/**
 * Registers a child started outside this module (the browser, launched by puppeteer) so that
 * `killAllChildren()` ends it on an interrupt and `liveChildCount()` counts it until it exits.
 */
export function adoptChild(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
}

function terminate(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }, KILL_GRACE_MS);
  timer.unref();
}

/** Keeps only the last `limit` bytes of what is appended. */
class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly limit: number) {}
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - (this.chunks[0]?.length ?? 0) >= this.limit && this.chunks.length > 1) {
      this.size -= this.chunks.shift()!.length;
    }
  }
  toString(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.limit)).toString('utf8');
  }
}

/** Starts a process and returns a handle; use `runProcess` when you only need the result. */
export function startProcess(command: string, args: readonly string[], options: RunOptions = {}): RunningProcess {
  const started = performance.now();
  const stdoutMode = options.stdout ?? 'collect';
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: [options.stdin ?? 'ignore', stdoutMode === 'ignore' ? 'ignore' : 'pipe', 'pipe'],
    shell: false,
  });
  liveChildren.add(child);

  const stderr = new TailBuffer(STDERR_TAIL_BYTES);
  const stdoutChunks: Buffer[] = [];
  let pendingLine = '';
  let reason: 'timeout' | 'cancelled' | null = null;

  child.stderr?.on('data', (chunk: Buffer) => {
    stderr.push(chunk);
    if (options.onStderrLine) {
      const text = pendingLine + chunk.toString('utf8');
      const lines = text.split(/\r\n|\r|\n/);
      pendingLine = lines.pop() ?? '';
      for (const line of lines) if (line) options.onStderrLine(line);
    }
  });
  if (stdoutMode === 'collect') child.stdout?.on('data', (chunk: Buffer) => stdoutChunks.push(chunk));

  const kill = (why: 'timeout' | 'cancelled') => {
    reason ??= why;
    terminate(child);
  };
  const timer = options.timeoutMs ? setTimeout(() => kill('timeout'), options.timeoutMs) : undefined;
  const onAbort = () => kill('cancelled');
  if (options.signal?.aborted) queueMicrotask(onAbort);
  else options.signal?.addEventListener('abort', onAbort, { once: true });

  const describe = `${command} ${args.join(' ')}`;
  const done = new Promise<ProcessResult>((resolve, reject) => {
    let spawnError: Error | undefined;
    child.once('error', (error) => {
      spawnError = error;
    });
    child.once('close', (code, signal) => {
      liveChildren.delete(child);
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (pendingLine && options.onStderrLine) options.onStderrLine(pendingLine);
      const durationMs = performance.now() - started;
      const tail = stderr.toString();
      if (spawnError) {
        reject(
          new ProcessError(
            'spawn',
            `could not start ${command}: ${spawnError.message}`,
            { command, args, exitCode: null, signal: null, stderrTail: tail },
            { cause: spawnError },
          ),
        );
      } else if (reason === 'timeout') {
        reject(
          new ProcessError('timeout', `${command} timed out after ${options.timeoutMs} ms`, {
            command,
            args,
            exitCode: code,
            signal,
            stderrTail: tail,
          }),
        );
      } else if (reason === 'cancelled') {
        reject(new ProcessError('cancelled', `${command} was cancelled`, { command, args, exitCode: code, signal, stderrTail: tail }));
      } else if (code !== 0) {
        const detail = lastLines(tail, 6);
        reject(
          new ProcessError('exit', `${command} exited with ${code ?? signal}: ${detail}\n  command: ${describe}`, {
            command,
            args,
            exitCode: code,
            signal,
            stderrTail: tail,
          }),
        );
      } else {
        resolve({ exitCode: 0, stdout: Buffer.concat(stdoutChunks).toString('utf8'), stderrTail: tail, durationMs });
      }
    });
  });
  // Callers that never await `done` (fire-and-forget kill paths) must not crash the process.
  done.catch(() => {});

  return {
    child,
    stdin: child.stdin ?? null,
    stdout: stdoutMode === 'pipe' ? child.stdout : null,
    done,
    kill: () => kill('cancelled'),
  };
}

/** Runs a process to completion. Resolves on exit 0; rejects with `ProcessError` otherwise. */
export function runProcess(command: string, args: readonly string[], options: RunOptions = {}): Promise<ProcessResult> {
  return startProcess(command, args, options).done;
}

/** The last `count` non-empty lines of a log, joined: the part of ffmpeg's stderr that says what failed. */
export function lastLines(text: string, count: number): string {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-count)
    .join(' | ');
}
