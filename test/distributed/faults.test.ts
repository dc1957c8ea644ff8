/**
 * Distributed faults end cleanly, with real parts: a password-protected `redis-server`, `framesmith
 * worker` processes and the `framesmith render --redis` CLI. Ctrl-C on a render cancels its chunks on
 * the workers and removes its segments; Redis killed mid-render fails the render within seconds
 * (`redis_lost`) while the worker says so and reconnects; the password is printed nowhere.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redactUrl } from '../../src/redact.js';
import { makePlannedProject } from '../helpers/planned.js';
import { startRedis, startWorker, useTestTimings, type RedisServer, type WorkerProcess, redisRenderArgs } from '../helpers/redis.js';
import { startCli, type CliRun } from '../helpers/render-cli.js';
import { makeProject } from '../helpers/render-pixels.js';

const PASSWORD = 's3cr3t-Pw';
/** The workers' hard stop here: a worker still running this long after SIGTERM did not close by itself. */
const WORKER_HARD_STOP_MS = 120_000;
/**
 * How soon a process must end once its work is over, here: a bound on a hang, not a speed check. Far
 * above what it takes (a fraction of a second, on a loaded CI machine too) and below the delays that held
 * processes open: BullMQ's XREAD watchdog (11 s), its QueueEvents' read retried every 5 s forever,
 * BullMQ's reconnect backoff (up to 20 s, now 1 s).
 */
const EXIT_WITHIN_MS = 5000;
/** How soon a worker sent SIGTERM must exit by itself: below the 20 s reconnect backoff it used to wait out. */
const WORKER_EXIT_WITHIN_MS = 10_000;

let storage: string;
let homes: string;
let project: string;
const servers: RedisServer[] = [];
const workers: WorkerProcess[] = [];
let restoreTimings: () => void = () => {};

async function addWorker(redis: RedisServer, name: string): Promise<WorkerProcess> {
  const worker = await startWorker(redis.url, storage, path.join(homes, name));
  workers.push(worker);
  await worker.waitFor(/taking chunks from/);
  return worker;
}

/** The files of the project, with their sizes: what the user had. */
async function snapshot(dir: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const name of await readdir(dir)) out[name] = (await stat(path.join(dir, name))).size;
  return out;
}

/**
 * An S3-compatible server (s3rver over `dir`, bucket `renders`) in a process of its own, so that a
 * test can kill it as a crashed server (closing it in-process would keep its open sockets serving).
 */
async function startS3(dir: string): Promise<{ endpoint: string; child: ChildProcess }> {
  const code = `import S3rver from 's3rver';
const s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: process.env.S3_DIR, configureBuckets: [{ name: 'renders' }] });
const { port } = await s3.run();
process.stdout.write('PORT ' + port + '\\n');`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    cwd: process.cwd(),
    env: { ...process.env, S3_DIR: dir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`s3rver exited (${code})`)));
  });
  return { endpoint: `http://127.0.0.1:${port}`, child };
}

/** Resolves with `step`; fails with the render's output if the render ends first. */
async function untilOrEnded(step: Promise<void>, render: Promise<CliRun>): Promise<void> {
  step.catch(() => {});
  await Promise.race([
    step,
    render.then((run) => {
      throw new Error(`the render ended first (${run.code}): ${run.stderr}${run.stdout}`);
    }),
  ]);
}

/** The render id the workers' logs name for their chunks (`chunk N of render <id> …`). */
function renderIdIn(log: string): string | undefined {
  return /chunk \d+ of render (\S+) /.exec(log)?.[1];
}

beforeAll(async () => {
  // Redis counts as lost after 2 s (not 5), for the renders and the workers alike. A worker's hard
  // stop (FRAMESMITH_WORKER_STOP_MS) far off: a worker stopped with SIGTERM must close by itself
  // (it says `stopped`), also after Redis was restarted under it, not be ended by that stop.
  restoreTimings = useTestTimings({ FRAMESMITH_REDIS_LOST_MS: '2000', FRAMESMITH_WORKER_STOP_MS: String(WORKER_HARD_STOP_MS) });
  storage = await makeProject({}, 'fs-faults-storage-');
  homes = await makeProject({}, 'fs-faults-machines-');
  project = await makePlannedProject('fs-faults-');
}, 60_000);

afterAll(async () => {
  await Promise.all(
    workers.map(async (w) => {
      if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
      await w.exited;
    }),
  );
  await Promise.all(servers.map((s) => s.stop()));
  restoreTimings();
  for (const dir of [storage, homes, project]) if (dir) await rm(dir, { recursive: true, force: true });
});

describe('redactUrl', () => {
  it('hides the password of every URL in a text, and nothing else', () => {
    expect(redactUrl(`Redis at redis://:${PASSWORD}@10.0.0.5:6379/0 cannot be reached`)).toBe(
      'Redis at redis://:***@10.0.0.5:6379/0 cannot be reached',
    );
    expect(redactUrl('rediss://default:p@ss@host:1 and s3://key:secret@bucket/x')).toBe(
      'rediss://default:***@host:1 and s3://key:***@bucket/x',
    );
    expect(redactUrl('redis://token@host')).toBe('redis://***@host');
    expect(redactUrl('redis://127.0.0.1:6379 /tmp/a@b s3://bucket/a@b')).toBe('redis://127.0.0.1:6379 /tmp/a@b s3://bucket/a@b');
  });
});

describe('cancelling a distributed render', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis({ password: PASSWORD });
    servers.push(redis);
    await addWorker(redis, 'a');
    await addWorker(redis, 'b');
  }, 60_000);

  it('Ctrl-C: exit 130, its chunks stop on the workers, none is left queued, its segments are removed; the password is printed nowhere', async () => {
    const before = await snapshot(project);
    const [a, b] = [workers[0]!, workers[1]!];
    const marks = [a.log().length, b.log().length];
    // 45 frames in 15 chunks: far more than two workers finish before the interrupt.
    const render = startCli(redisRenderArgs(project, path.join(project, 'cancelled.mp4'), redis.url, storage, 3));
    // Interrupt once a segment is in the storage and a chunk is running.
    await untilOrEnded(Promise.race([a, b].map((w, i) => w.waitFor(/\) done in/, { from: marks[i], timeoutMs: 110_000 }))), render.done);
    const renderId = renderIdIn(a.log().slice(marks[0]) + b.log().slice(marks[1]))!;
    const renderDir = path.join(storage, 'renders', renderId);
    expect((await readdir(renderDir)).some((n) => /^chunk-\d+-\w+\.mp4$/.test(n))).toBe(true);
    render.child.kill('SIGINT');
    const run = await render.done;
    expect(run.code).toBe(130);

    // Every chunk of it a worker started ends (done before the cancel, or cancelled), and none is
    // left waiting or running in the queue: no worker renders any more of it.
    const started = (log: string) =>
      [...log.matchAll(new RegExp(`chunk (\\d+) of render ${renderId} \\(frames [^)]*\\) started`, 'g'))].map((m) => m[1]!);
    const ended = (log: string) =>
      [...log.matchAll(new RegExp(`chunk (\\d+) of render ${renderId} \\(frames [^)]*\\) (done in|cancelled)`, 'g'))].map((m) => m[1]!);
    await Promise.all(
      [a, b].map(async (w, i) => {
        for (const chunk of started(w.log().slice(marks[i]))) {
          await w.waitFor(new RegExp(`chunk ${chunk} of render ${renderId} \\(frames [^)]*\\) (done in|cancelled)`), {
            from: marks[i],
            timeoutMs: 20_000,
          });
        }
      }),
    );
    const logs = [a.log().slice(marks[0]), b.log().slice(marks[1])];
    expect(logs.join('')).toMatch(new RegExp(`render ${renderId} .* cancelled: the render was cancelled`));
    expect(logs.flatMap(started).length).toBeLessThan(15);
    const finished = new Set(logs.flatMap(ended));
    expect(logs.flatMap(started).filter((chunk) => !finished.has(chunk))).toEqual([]);
    const queue = new Queue('framesmith-chunks', { connection: { url: redis.url } });
    try {
      const left = await queue.getJobs(['waiting', 'active', 'delayed', 'prioritized']);
      expect(left.map((j) => j.id).filter((id) => id?.startsWith(renderId))).toEqual([]);
    } finally {
      await queue.close();
    }
    // Its segments are gone from the storage; the project is as it was, with no output.
    expect(await readdir(path.join(storage, 'renders'))).not.toContain(renderId);
    expect(await snapshot(project)).toEqual(before);

    // The password: never in what the render or the workers printed; the URL shown redacted.
    for (const text of [run.stdout, run.stderr, a.log(), b.log()]) expect(text).not.toContain(PASSWORD);
    expect(a.log()).toMatch(/taking chunks from redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ into/);
  }, 240_000);
});

describe('Redis lost mid-render', () => {
  it('the render fails within seconds with redis_lost (exit 1) and exits right after saying so, writing nothing; the worker abandons its chunk, says so, reconnects, and on SIGTERM closes by itself', async () => {
    const redis = await startRedis({ password: PASSWORD });
    servers.push(redis);
    const worker = await addWorker(redis, 'c');
    const mark = worker.log().length;
    const before = await snapshot(project);
    let failedAt: number | undefined;
    const render = startCli(
      ['render', project, '-o', path.join(project, 'lost.mp4'), '--redis', redis.url, '--storage', storage, '--json'],
      {
        onStderr: (text) => {
          if (failedAt === undefined && text.includes('render failed:')) failedAt = performance.now();
        },
      },
    );
    await untilOrEnded(worker.waitFor(/\) started/, { from: mark, timeoutMs: 110_000 }), render.done);
    await redis.stop({ kill: true });

    const run = await render.done;
    expect(run.code).toBe(1);
    // Nothing of BullMQ's or ioredis's (a reconnect, a blocked read's watchdog) keeps the render open
    // once it has said why it failed.
    expect(performance.now() - failedAt!).toBeLessThan(EXIT_WITHIN_MS);
    const { error } = JSON.parse(run.stdout) as { error: { code: string; message: string } };
    expect(error.code).toBe('redis_lost');
    // For as long as FRAMESMITH_REDIS_LOST_MS says (2000 here).
    expect(error.message).toMatch(
      /^Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ stopped answering \(.*\) for 2\.0 s while the render waited for its chunks: the render is stopped; check that redis-server runs there, then render again$/,
    );
    expect(run.stderr).toContain(`render failed: ${error.message}`);
    expect(await snapshot(project)).toEqual(before);
    expect(await readdir(path.join(storage, 'renders'))).toEqual([]);

    await worker.waitFor(/lost Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ \(.*\): the chunks in hand are abandoned/, {
      from: mark,
      timeoutMs: 20_000,
    });
    // Its chunk ends either way: abandoned, or done when it finished before the loss was noticed.
    await worker.waitFor(/chunk 0 of render \S+ \(frames [^)]*\) (abandoned: Redis was lost|done in)/, { from: mark, timeoutMs: 20_000 });
    expect(worker.child.exitCode).toBeNull();
    // Redis back where it was: the worker takes chunks again without a restart.
    servers.push(await startRedis({ port: redis.port, password: PASSWORD }));
    await worker.waitFor(/answers again: taking chunks/, { from: mark, timeoutMs: 20_000 });
    // SIGTERM with the Redis just restarted: the worker closes by itself (`stopped`) and exits 0
    // promptly, not through its hard stop.
    const signalled = performance.now();
    worker.child.kill('SIGTERM');
    const exit = await Promise.race([worker.exited, new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), 30_000))]);
    expect(exit === 'running' ? `still running 30 s after SIGTERM:\n${worker.log()}` : exit.code).toBe(0);
    expect(worker.log().slice(mark)).toMatch(/SIGTERM: handing the chunks in hand back, then stopping\nframesmith worker: stopped\n$/);
    // It waits on Redis about a second at most (src/distributed/worker.ts), where BullMQ's close used to
    // wait for its clients' reconnect backoff (up to 20 s).
    expect(performance.now() - signalled).toBeLessThan(WORKER_EXIT_WITHIN_MS);
    for (const text of [run.stdout, run.stderr, worker.log()]) expect(text).not.toContain(PASSWORD);
    expect(await readFile(path.join(project, 'index.html'), 'utf8')).toMatch(/data-composition-id="main"/);
  }, 240_000);
});

describe('storage lost mid-render', () => {
  it('the S3 server gone: the render fails with storage_unreachable naming the storage and what to do (exit 1); the project is untouched', async () => {
    const s3 = await startS3(path.join(homes, 'bucket-data'));
    try {
      // The render (startCli) and the worker inherit these, as each machine would have them set.
      Object.assign(process.env, {
        AWS_ENDPOINT_URL: s3.endpoint,
        AWS_ACCESS_KEY_ID: 'S3RVER',
        AWS_SECRET_ACCESS_KEY: 'S3RVER',
        AWS_REGION: 'us-east-1',
      });
      const redis = await startRedis({ password: PASSWORD });
      servers.push(redis);
      const worker = await startWorker(redis.url, 's3://renders/faults', path.join(homes, 'd'));
      workers.push(worker);
      await worker.waitFor(/taking chunks from/);
      const before = await snapshot(project);
      const render = startCli(redisRenderArgs(project, path.join(project, 'gone.mp4'), redis.url, 's3://renders/faults', 3, '--json'));
      await untilOrEnded(worker.waitFor(/\) done in/, { timeoutMs: 110_000 }), render.done);
      s3.child.kill('SIGKILL');

      const run = await render.done;
      expect(run.code).toBe(1);
      const { error } = JSON.parse(run.stdout) as { error: { code: string; message: string; chunk: { index: number } } };
      expect(error.code).toBe('storage_unreachable');
      expect(error.message).toMatch(
        /^chunk \d+ \(frames [^)]*\): cannot \w+ \S+ in s3:\/\/renders\/faults: the storage at http:\/\/127\.0\.0\.1:\d+ does not answer \(.*ECONNREFUSED.*\); check that it is up and reachable from this machine, then render again$/,
      );
      expect(await snapshot(project)).toEqual(before);
      // The worker stays, for the next render.
      expect(worker.child.exitCode).toBeNull();
      for (const text of [run.stdout, run.stderr, worker.log()]) expect(text).not.toContain(PASSWORD);
    } finally {
      s3.child.kill('SIGKILL');
      for (const key of ['AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION']) delete process.env[key];
    }
  }, 240_000);
});
