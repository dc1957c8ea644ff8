/**
 * Distributed renders with real parts: a `redis-server` started here on a loopback port, `framesmith
 * worker` processes with homes and caches of their own (as separate machines would have), and the
 * `framesmith render --redis` CLI. Outputs are checked frame by frame (test/helpers/planned.ts: a clip
 * whose frame k must be on frame k across every chunk join, a moving CSS box, a beep at 0.5 s).
 */
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectPlannedOutput, FRAMES, makePlannedProject } from '../helpers/planned.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { freePort, startRedis, startWorker, useTestTimings, type RedisServer, type WorkerProcess } from '../helpers/redis.js';
import { runCli, startCli } from '../helpers/render-cli.js';
import { makeProject } from '../helpers/render-pixels.js';

let redis: RedisServer;
let storage: string;
let homes: string;
let project: string;
const workers: WorkerProcess[] = [];
let started = 0;
let restoreTimings: () => void = () => {};

async function addWorker(): Promise<WorkerProcess> {
  const worker = await startWorker(redis.url, storage, path.join(homes, `machine-${started++}`));
  await worker.waitFor(/taking chunks from/);
  workers.push(worker);
  return worker;
}

/** Stops a worker's whole process group at once (its browser and ffmpeg too), as a lost machine. */
function killMachine(worker: WorkerProcess): void {
  try {
    process.kill(-worker.child.pid!, 'SIGKILL');
  } catch {
    worker.child.kill('SIGKILL');
  }
}

beforeAll(async () => {
  // Short locks (a killed worker's chunk is taken again within ~2.5 s), for the renders too.
  restoreTimings = useTestTimings();
  redis = await startRedis();
  storage = await makeProject({}, 'fs-shared-storage-');
  homes = await makeProject({}, 'fs-machines-');
  project = await makePlannedProject('fs-distributed-');
  await addWorker();
  await addWorker();
}, 120_000);

afterAll(async () => {
  await Promise.all(
    workers.map(async (w) => {
      w.child.kill('SIGTERM');
      await w.exited;
    }),
  );
  await redis?.stop();
  restoreTimings();
  for (const dir of [storage, homes, project]) if (dir) await rm(dir, { recursive: true, force: true });
});

describe('framesmith render --redis with framesmith workers', () => {
  it('renders the frames a local render gives: every frame the one due across the joins, the beep on time, the chunks shared by the workers', async () => {
    const output = path.join(project, 'distributed.mp4');
    const run = await runCli([
      'render',
      project,
      '-o',
      output,
      '--redis',
      redis.url,
      '--storage',
      storage,
      '--chunk-frames',
      '7',
      '--json',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { frames: number; chunks: unknown[]; plan: { hash: string } };
    expect(result.frames).toBe(FRAMES);
    expect(result.chunks).toHaveLength(7);
    await expectPlannedOutput(output);
    // Both machines rendered chunks of it.
    for (const w of workers) expect(w.log()).toMatch(/done in/);
    // The render's directory is gone; the plan stays for a render of the same content.
    expect(await readdir(path.join(storage, 'renders'))).toEqual([]);
    expect(await readdir(path.join(storage, 'plans'))).toContain(result.plan.hash);

    const local = path.join(project, 'local.mp4');
    expect((await runCli(['render', project, '-o', local, '-q'])).code).toBe(0);
    await expectPlannedOutput(local);
  }, 180_000);

  it('a worker killed (SIGKILL, with its browser and ffmpeg) mid-chunk loses nothing: its chunk is done elsewhere, its partial segment never assembled', async () => {
    const output = path.join(project, 'survived.mp4');
    let killed: { chunk: number; partial: string; render: string } | null = null;
    let victim: WorkerProcess | undefined;
    const render = startCli(['render', project, '-o', output, '--redis', redis.url, '--storage', storage, '--chunk-frames', '23', '-q']);
    // Wait until a worker writes a segment (a `.partial` file of its chunk), then pull that machine's
    // plug. (Whichever worker it is: a fixed victim may get no chunk at all, or finish before a look.)
    const deadline = Date.now() + 60_000;
    while (!killed && Date.now() < deadline) {
      const renders = await readdir(path.join(storage, 'renders')).catch(() => []);
      for (const id of renders) {
        for (const name of await readdir(path.join(storage, 'renders', id)).catch(() => [])) {
          const m = /^\.chunk-(\d+)-.*\.partial$/.exec(name);
          if (!m || killed) continue;
          const chunk = Number(m[1]);
          victim = workers.find(
            (w) =>
              new RegExp(`chunk ${chunk} of render ${id} .* started`).test(w.log()) &&
              !new RegExp(`chunk ${chunk} of render ${id} .* done`).test(w.log()),
          );
          if (victim) {
            killMachine(victim);
            killed = { chunk, partial: name, render: id };
          }
        }
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(killed).not.toBeNull();
    await victim!.exited;
    workers.splice(workers.indexOf(victim!), 1);
    const run = await render.done;
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    await expectPlannedOutput(output);
    // The other machine did the killed chunk.
    expect(workers[0]!.log()).toMatch(new RegExp(`chunk ${killed!.chunk} of render ${killed!.render} \\(frames [^)]*\\) done`));
    await addWorker();
  }, 180_000);

  it('a worker stopped with SIGTERM mid-chunk hands its chunk back at once and exits 0; the render is whole', async () => {
    const output = path.join(project, 'handed-back.mp4');
    const marks = workers.map((w) => w.log().length);
    const render = startCli(['render', project, '-o', output, '--redis', redis.url, '--storage', storage, '--chunk-frames', '15', '-q']);
    // The first worker to start a chunk of this render is the one that leaves.
    const leaving = await Promise.race(
      workers.map((w, i) =>
        w.waitFor(/chunk \d+ of render \S+ \(frames [^)]*\) started/, { from: marks[i] }).then(
          () => w,
          () => new Promise<never>(() => {}),
        ),
      ),
    );
    leaving.child.kill('SIGTERM');
    const stopped = await leaving.exited;
    expect(stopped.code).toBe(0);
    expect(leaving.log()).toMatch(/handed back to the queue/);
    workers.splice(workers.indexOf(leaving), 1);
    const run = await render.done;
    expect(run.code).toBe(0);
    await expectPlannedOutput(output);
    await addWorker();
  }, 180_000);

  it('a chunk that fails every time fails the render after its tries, naming the chunk and its own error (exit 1)', async () => {
    const broken = await makeProject(
      {
        'index.html': `<!doctype html><html><body style="margin:0">
<div id="root" data-composition-id="main" data-width="160" data-height="90" data-duration="2" style="background:#000;width:160px;height:90px"></div>
<script>requestAnimationFrame(function f(t) { if (t > 1400 && t < 1600) throw new Error('the scene broke at ' + Math.round(t) + ' ms'); requestAnimationFrame(f); });</script>
</body></html>`,
      },
      'fs-broken-',
    );
    try {
      const run = await runCli([
        'render',
        broken,
        '-o',
        path.join(broken, 'out.mp4'),
        '--redis',
        redis.url,
        '--storage',
        storage,
        '--chunk-frames',
        '20',
        '--json',
      ]);
      expect(run.code).toBe(1);
      const { error } = JSON.parse(run.stdout) as {
        error: { code: string; message: string; chunk: { index: number; first: number; count: number } };
      };
      // Frames 43–47 (1.433–1.567 s) break, all in the last chunk, 2 (frames 40–59). (A break in an
      // earlier chunk would also break every later one: a chunk steps through the frames before it.)
      expect(error.chunk).toEqual({ index: 2, first: 40, count: 20 });
      expect(error.code).toBe('page_error');
      expect(error.message).toMatch(/^chunk 2 \(frames 40–59\): the page reported an error at frame 43 .*the scene broke at 1433 ms/);
      expect(run.stderr).toMatch(/render failed: chunk 2/);
      // Three tries, on whichever machines took them.
      const tries = workers
        .map((w) => (w.log().match(/chunk 2 of render \S+ \(frames 40–59, try \d\) failed/g) ?? []).length)
        .reduce((a, b) => a + b, 0);
      expect(tries).toBe(3);
    } finally {
      await rm(broken, { recursive: true, force: true });
    }
  }, 180_000);
});

describe('Redis unreachable', () => {
  it('render and worker fail at once with a clear error (exit 1), writing nothing', async () => {
    const down = `redis://127.0.0.1:${await freePort()}`;
    const output = path.join(project, 'never.mp4');
    const run = await runCliInProcess(['render', project, '-o', output, '--redis', down, '--storage', storage]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(`Redis at ${down} cannot be reached \\(.*ECONNREFUSED.*\\): start redis-server there, or fix --redis`),
    );
    expect(await readdir(project)).not.toContain('never.mp4');
    const worker = await runCli(['worker', '--redis', down, '--storage', storage]);
    expect(worker.code).toBe(1);
    expect(worker.stderr).toMatch(/cannot be reached/);
  }, 60_000);

  it('a worker given a malformed FRAMESMITH_LOCK_MS exits 2 (a usage error: invalid_config) naming the variable and what it takes', async () => {
    const run = await runCli(['worker', '--redis', redis.url, '--storage', storage], { FRAMESMITH_LOCK_MS: '2s' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'FRAMESMITH_LOCK_MS="2s" is not a duration: give whole milliseconds from 100 to 3600000, or unset it for the default 10000',
    );
    expect(run.stderr).not.toMatch(/taking chunks/);
  }, 60_000);

  it('--redis without --storage, or a URL that is not redis://, is a usage error (exit 2)', async () => {
    const noStorage = await runCliInProcess(['render', project, '--redis', redis.url]);
    expect(noStorage.code).toBe(2);
    expect(noStorage.stderr).toMatch(/--redis needs --storage/);
    const badUrl = await runCliInProcess(['render', project, '--redis', 'http://127.0.0.1:1', '--storage', storage]);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toMatch(/not a redis:\/\/ or rediss:\/\/ URL/);
  }, 60_000);
});
