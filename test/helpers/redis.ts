/**
 * A real `redis-server` for a test, on a free loopback port, with no persistence; and real
 * `framesmith worker` processes with homes and caches of their own, as separate machines would have.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { CLI } from './render-cli.js';

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
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...auth], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${output}`)), 10_000);
    child.stdout!.on('data', (c: Buffer) => {
      output += c.toString();
      if (output.includes('Ready to accept connections')) { clearTimeout(timer); resolve(); }
    });
    child.once('error', (error) => { clearTimeout(timer); reject(error); });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`redis-server exited (${code}): ${output}`)); });
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

/** `framesmith worker` with a home, cache and font directory of its own under `home`. */
export async function startWorker(redis: string, storage: string, home: string, extra: string[] = []): Promise<WorkerProcess> {
  await mkdir(home, { recursive: true });
  const env = { ...process.env, HOME: home, XDG_CACHE_HOME: path.join(home, 'cache'), FRAMESMITH_CACHE_DIR: path.join(home, 'cache', 'framesmith'), FRAMESMITH_FONT_DIR: path.join(home, 'fonts') };
  // Its own process group: a test can end it with everything it started, as a machine that goes away.
  const child = spawn(process.execPath, [CLI, 'worker', '--redis', redis, '--storage', storage, ...extra], { env, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let text = '';
  const waiters: Array<{ pattern: RegExp; from: number; resolve: () => void }> = [];
  child.stderr!.on('data', (c: Buffer) => {
    text += c.toString();
    for (const w of waiters.splice(0)) (w.pattern.test(text.slice(w.from)) ? w.resolve() : waiters.push(w));
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    log: () => text,
    waitFor: (pattern, { timeoutMs = 60_000, from = 0 } = {}) => new Promise<void>((resolve, reject) => {
      if (pattern.test(text.slice(from))) return resolve();
      const timer = setTimeout(() => reject(new Error(`worker log never matched ${pattern}:\n${text}`)), timeoutMs);
      waiters.push({ pattern, from, resolve: () => { clearTimeout(timer); resolve(); } });
    }),
    exited,
  };
}
