/** Runs the built CLI (`bin/framesmith.js`, after `tsc`) as a real child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { symlink } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundledBrowser } from '../../src/browser/bundled.js';

export const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/framesmith.js');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts the CLI; `onStderr` sees stderr as it arrives (to act mid-run, e.g. send SIGINT). */
export function startCli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; onStderr?: (text: string, child: ChildProcess) => void } = {},
): { child: ChildProcess; done: Promise<CliRun> } {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...options.env },
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
    options.onStderr?.(stderr, child);
  });
  const done = new Promise<CliRun>((resolve) => child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

export function runCli(args: string[], env?: NodeJS.ProcessEnv): Promise<CliRun> {
  return startCli(args, { env }).done;
}

/**
 * The environment of a CLI run with a private TMPDIR `tmp` (to see the temporary files it leaves, or
 * to find its processes by it) that still runs the headless shell this machine already unpacked.
 * Without it the run first unpacks the bundled browser into `tmp` (203 MB; measured 2.8 s of CPU,
 * 9 s on a loaded machine), which no such test is about. FRAMESMITH_BROWSER names a link
 * `tmp/headless_shell` to the bundled binary: a headless shell by its name, so the render captures
 * with beginFrame as with the bundled browser, and the browser's command line names `tmp`. Only
 * TMPDIR when no bundled browser is installed.
 */
export async function privateTmpEnv(tmp: string): Promise<NodeJS.ProcessEnv> {
  const bundled = await bundledBrowser();
  if (!bundled) return { TMPDIR: tmp };
  const link = path.join(tmp, 'headless_shell');
  await symlink(bundled.executablePath, link);
  return { ...bundled.env, TMPDIR: tmp, FRAMESMITH_BROWSER: link };
}

/** Pids of running processes whose command line contains `marker` (e.g. a unique TMPDIR). */
export function processesMentioning(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const state = /^State:\s+(\S)/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1];
      if (cmdline.includes(marker) && state !== 'Z') pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/**
 * Starts `framesmith preview <project> --no-open --port 0 …flags` and resolves with it and its URL once
 * it prints that it listens (rejects if it exits first).
 */
export async function startPreviewCli(
  project: string,
  flags: string[] = [],
): Promise<{ preview: ReturnType<typeof startCli>; url: string }> {
  const preview = startCli(['preview', project, '--no-open', '--port', '0', ...flags]);
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    preview.child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /^(http:\/\/127\.0\.0\.1:\d+\/)$/m.exec(out);
      if (m) resolve(m[1]!);
    });
    preview.child.once('exit', (code) => reject(new Error(`preview exited (${code})`)));
  });
  return { preview, url };
}

/** Polls `check` every 100 ms until it returns a truthy value (resolved), or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | null | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
