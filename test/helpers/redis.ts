/**
 * A real `redis-server` for a test, on a free loopback port, with no persistence; and real
 * `framesmith worker` processes with homes and caches of their own, as separate machines would have.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { CLI } from './render-cli.js';

/**
 * The argv of `framesmith render PROJECT -o OUTPUT --redis REDIS --storage STORAGE --chunk-frames N`
 * (then `extra`, e.g. `--json`): a distributed render as the tests start it.
 */
export function redisRenderArgs(
  project: string,
  output: string,
  redis: string,
  storage: string,
  chunkFrames: number,
  ...extra: string[]
): string[] {
  return ['render', project, '-o', output, '--redis', redis, '--storage', storage, '--chunk-frames', String(chunkFrames), ...extra];
}

export interface RedisServer {
  /** With the password in it when one was asked for (`redis://:pw@127.0.0.1:port`). */
  url: string;
  port: number;
  /** SIGTERM (a clean shutdown), or SIGKILL with `{ kill: true }` (a crash). */
  stop(options?: { kill?: boolean }): Promise<void>;
}

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** `port`: a given one (to start a Redis again where one was stopped); `password`: `requirepass`. */
export async function startRedis(options: { port?: number; password?: string } = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const auth = options.password ? ['--requirepass', options.password] : [];
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...auth], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${output}`)), 10_000);
    child.stdout!.on('data', (c: Buffer) => {
      output += c.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}): ${output}`));
    });
  });
  return {
    url: `redis://${options.password ? `:${encodeURIComponent(options.password)}@` : ''}127.0.0.1:${port}`,
    port,
    async stop({ kill = false } = {}) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill(kill ? 'SIGKILL' : 'SIGTERM');
      await exited;
    },
  };
}

export interface WorkerProcess {
  child: ChildProcess;
  /** Everything it printed on stderr so far. */
  log(): string;
  /** Resolves once the log from character `from` on matches `pattern`. */
  waitFor(pattern: RegExp, options?: { timeoutMs?: number; from?: number }): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * The distributed timings the tests run with (src/distributed/timings.ts): a killed worker's chunk is
 * taken again within about 2.5 s instead of 13. Not shorter: a worker renews its lock every half of
 * it, and on a loaded machine (2 cores, several suites) a worker's event loop can be late by a second;
 * a lock lost that way re-runs a chunk elsewhere (a stall) and breaks what the tests count. Given to
 * every worker; a test file gives them (and more) to its renders too (`useTestTimings`).
 */
export const TEST_TIMINGS: Readonly<Record<string, string>> = { FRAMESMITH_LOCK_MS: '2000', FRAMESMITH_STALLED_CHECK_MS: '500' };

/**
 * Sets TEST_TIMINGS and `extra` (e.g. FRAMESMITH_REDIS_LOST_MS) in this process's environment: the
 * renders and workers a test spawns inherit them. Returns the undo.
 */
export function useTestTimings(extra: Record<string, string> = {}): () => void {
  const timings = { ...TEST_TIMINGS, ...extra };
  const before = Object.fromEntries(Object.keys(timings).map((key) => [key, process.env[key]]));
  Object.assign(process.env, timings);
  return () => {
    for (const [key, value] of Object.entries(before)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}

/**
 * `framesmith worker` with a home and caches of its own under `home`, and TEST_TIMINGS. The font
 * directory is the suite's (FRAMESMITH_FONT_DIR, vitest.config.ts) when set: it holds the bundled
 * faces decompressed, the same bytes on every machine and safe to share, and a fresh one costs each
 * worker's first chunk the decompression and fontconfig's scan. `env` is added to its environment last
 * (e.g. libfaketime's LD_PRELOAD and FAKETIME: a machine whose clock is off).
 */
export async function startWorker(
  redis: string,
  storage: string,
  home: string,
  extra: string[] = [],
  env: Record<string, string> = {},
): Promise<WorkerProcess> {
  await mkdir(home, { recursive: true });
  const fonts = process.env.FRAMESMITH_FONT_DIR ? path.resolve(process.env.FRAMESMITH_FONT_DIR) : path.join(home, 'fonts');
  const childEnv = {
    ...process.env,
    ...TEST_TIMINGS,
    HOME: home,
    XDG_CACHE_HOME: path.join(home, 'cache'),
    FRAMESMITH_CACHE_DIR: path.join(home, 'cache', 'framesmith'),
    FRAMESMITH_FONT_DIR: fonts,
    ...env,
  };
  // Its own process group: a test can end it with everything it started, as a machine that goes away.
  const child = spawn(process.execPath, [CLI, 'worker', '--redis', redis, '--storage', storage, ...extra], {
    env: childEnv,
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  let text = '';
  const waiters: Array<{ pattern: RegExp; from: number; resolve: () => void }> = [];
  child.stderr!.on('data', (c: Buffer) => {
    text += c.toString();
    for (const w of waiters.splice(0)) w.pattern.test(text.slice(w.from)) ? w.resolve() : waiters.push(w);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    log: () => text,
    waitFor: (pattern, { timeoutMs = 60_000, from = 0 } = {}) =>
      new Promise<void>((resolve, reject) => {
        if (pattern.test(text.slice(from))) return resolve();
        const timer = setTimeout(() => reject(new Error(`worker log never matched ${pattern}:\n${text}`)), timeoutMs);
        waiters.push({
          pattern,
          from,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      }),
    exited,
  };
}
