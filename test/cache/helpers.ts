/**
 * Shared helpers for the cache tests: temp directories, a private build of src/ for child processes
 * (real separate Node processes need JavaScript), and frames whose bytes name their slot and writer.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, copyFile, mkdtemp, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export async function tempDir(prefix = 'fs-cache-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

/**
 * A compiled copy of src/ for child processes, made at most once per test run:
 * - FRAMESMITH_TEST_DIST set (npm test sets it to `dist` right after `npm run build`): that build;
 * - in a run with the global setup (test/setup/global.ts): `<run dir>/build`, compiled by the first
 *   test file that asks (a directory made with `mkdir` is the lock; the others wait for the rename);
 * - otherwise a private directory inside node_modules/.cache.
 * Compiled files resolve the project's dependencies (every location is inside the checkout). Others'
 * work in progress may have type errors; tsc emits anyway, and only the modules our children import matter.
 */
export async function buildForChildren(): Promise<string> {
  const dist = process.env.FRAMESMITH_TEST_DIST;
  if (dist) return path.resolve(REPO, dist);
  const runDir = process.env.FRAMESMITH_TEST_RUN_DIR;
  if (!runDir)
    return compileInto(path.join(REPO, 'node_modules', '.cache', `framesmith-cache-test-${process.pid}-${randomBytes(4).toString('hex')}`));
  const build = path.join(runDir, 'build');
  const claimed = await mkdir(`${build}.lock`).then(
    () => true,
    () => false,
  );
  if (claimed) {
    await rename(await compileInto(`${build}.tmp`), build);
    return build;
  }
  for (let waited = 0; waited < 300_000; waited += 200) {
    if (
      await access(build).then(
        () => true,
        () => false,
      )
    )
      return build;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`buildForChildren: ${build} did not appear within 5 minutes (another test file is compiling it)`);
}

async function compileInto(out: string): Promise<string> {
  await mkdir(out, { recursive: true });
  await promisify(execFile)(
    process.execPath,
    [
      path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      REPO,
      '--outDir',
      out,
      '--sourceMap',
      'false',
      '--declaration',
      'false',
    ],
    { cwd: REPO },
  ).catch(() => undefined); // type errors elsewhere still emit
  // src/version.ts reads `../package.json` from the compiled file's folder, as dist/version.js reads the package's own.
  await copyFile(path.join(REPO, 'package.json'), path.join(path.dirname(out), 'package.json'));
  return out;
}

/** Removes a build of `buildForChildren` that belongs to one test file (a shared one stays for the run). */
export async function removeBuild(out: string): Promise<void> {
  if (!out.includes(`${path.sep}node_modules${path.sep}.cache${path.sep}`)) return;
  await rm(out, { recursive: true, force: true });
}

/** The bytes of test frame `slot` written by `writer`: self-describing text padded to `size` bytes. */
export function frameBytes(slot: number, writer: string, size = 1000): Buffer {
  const text = `slot=${slot} writer=${writer};`;
  return Buffer.from(text.padEnd(size, '.'));
}

/** Parses what `frameBytes` wrote. */
export function readFrameBytes(data: Buffer): { slot: number; writer: string } | null {
  const match = /^slot=(\d+) writer=([^;]+);/.exec(data.toString('utf8'));
  return match ? { slot: Number(match[1]), writer: match[2]! } : null;
}

/** Writes `count` frames named 000000.bin … into `dir`; returns their names in slot order. */
export async function writeFrames(dir: string, count: number, writer: string, size = 1000): Promise<string[]> {
  const names: string[] = [];
  for (let k = 0; k < count; k++) {
    const name = `${String(k).padStart(6, '0')}.bin`;
    await writeFile(path.join(dir, name), frameBytes(k, writer, size));
    names.push(name);
  }
  return names;
}

export interface Child {
  process: ChildProcess;
  /** Lines the child printed so far. */
  lines: string[];
  /** Resolves with the first stdout line matching `pattern`. */
  waitFor(pattern: RegExp): Promise<string>;
  /** Resolves with the exit code (or signal) once it ends. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs an ES module script (given as text) in a new Node process. */
export function runScript(scriptPath: string, args: string[] = [], env: NodeJS.ProcessEnv = process.env): Child {
  const child = spawn(process.execPath, [scriptPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  const lines: string[] = [];
  const waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  let pending = '';
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdout!.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.pattern.test(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  return {
    process: child,
    lines,
    exited,
    waitFor(pattern) {
      const found = lines.find((line) => pattern.test(line));
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        waiters.push({ pattern, resolve });
        void exited.then(({ code, signal }) =>
          reject(new Error(`child exited (${code ?? signal}) before printing ${pattern}; stderr: ${stderr}`)),
        );
      });
    },
  };
}

export const SAMPLE_RECIPE = {
  mediaStart: 0,
  slotCount: 10,
  playbackRate: 1,
  loop: false,
  fps: '30',
  width: 64,
  height: 36,
  format: 'jpg' as const,
  jpegQuality: 3,
  colorTarget: 'sdr' as const,
  ffmpegMajor: 5,
};

export const SAMPLE_SOURCE = `sha256:${'ab'.repeat(32)}`;
