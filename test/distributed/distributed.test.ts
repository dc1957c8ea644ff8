/**
 * Distributed renders with real parts: a `redis-server` started here on a loopback port, `framesmith
 * worker` processes with homes and caches of their own (as separate machines would have), and the
 * `framesmith render --redis` CLI. Outputs are checked frame by frame (test/helpers/planned.ts: a clip
 * whose frame k must be on frame k across every chunk join, a moving CSS box, a beep at 0.5 s).
 */
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectPlannedOutput, FRAMES, makePlannedProject } from '../helpers/planned.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import {
  freePort,
  startRedis,
  startWorker,
  useTestTimings,
  type RedisServer,
  type WorkerProcess,
  redisRenderArgs,
} from '../helpers/redis.js';
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
    const run = await runCli(redisRenderArgs(project, output, redis.url, storage, 7, '--json'));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as {
      frames: number;
      chunks: Array<{ videoFrames: { windows: number; decoded: number } }>;
      plan: { hash: string };
      stages: Record<string, Record<string, unknown>>;
    };
    expect(result.frames).toBe(FRAMES);
    expect(result.chunks).toHaveLength(7);
    // The planner extracted nothing; of seven chunks on two machines needing the clip's one window, one decoded it.
    expect(result.stages['video-frames']).toMatchObject({ videos: 1, passes: 0 });
    expect(result.chunks.map((c) => c.videoFrames.windows)).toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect(result.chunks.reduce((n, c) => n + c.videoFrames.decoded, 0)).toBe(1);
    await expectPlannedOutput(output);
    // Both machines rendered chunks of it.
    for (const w of workers) expect(w.log()).toMatch(/done in/);
    // The render's directory is gone; the plan stays for a render of the same content.
    expect(await readdir(path.join(storage, 'renders'))).toEqual([]);
    expect(await readdir(path.join(storage, 'plans'))).toContain(result.plan.hash);

    const local = path.join(project, 'local.mp4');
    // In-process: the distributed render above is the bin's run; this one is only the reference.
    expect((await runCliInProcess(['render', project, '-o', local, '-q'])).code).toBe(0);
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
    // The other machine did the killed chunk; each chunk was done exactly once over both machines' logs
    // (the killed try finished nothing, and the chunk was not done twice).
    expect(workers[0]!.log()).toMatch(new RegExp(`chunk ${killed!.chunk} of render ${killed!.render} \\(frames [^)]*\\) done`));
    const logs = workers[0]!.log() + victim!.log();
    for (const chunk of [0, 1])
      expect(logs.match(new RegExp(`chunk ${chunk} of render ${killed!.render} \\(frames [^)]*\\) done in`, 'g'))).toHaveLength(1);
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

  it('a page that throws at frame 7 fails the render at its first failing chunk: page_error naming the chunk and the frame, tried once, the other chunks cancelled (exit 1)', async () => {
    // 60 frames in 12 chunks of 5; the page throws at frame 7 (0.233 s), in chunk 1 (frames 5–9). Every
    // later chunk would throw there too (a chunk steps through the frames before its own), so only
    // chunk 0 can finish.
    const broken = await makeProject(
      {
        'index.html': `<!doctype html><html><body style="margin:0">
<div id="root" data-composition-id="main" data-width="160" data-height="90" data-duration="2" style="background:#000;width:160px;height:90px"></div>
<script>requestAnimationFrame(function f(t) { if (t > 220 && t < 250) throw new Error('the scene broke at ' + Math.round(t) + ' ms'); requestAnimationFrame(f); });</script>
</body></html>`,
      },
      'fs-broken-',
    );
    const marks = workers.map((w) => w.log().length);
    const queue = new Queue('framesmith-chunks', { connection: { url: redis.url } });
    try {
      const run = await runCli(redisRenderArgs(broken, path.join(broken, 'out.mp4'), redis.url, storage, 5, '--json'));
      expect(run.code).toBe(1);
      const { error } = JSON.parse(run.stdout) as {
        error: { code: string; message: string; chunk: { index: number; first: number; count: number } };
      };
      expect(error.code).toBe('page_error');
      // The chunk that failed first names its range, the frame and the page's message: chunk 1, frame 7
      // — unless a loaded machine started chunk 1 late and a later chunk failed first, stepping
      // through frame 7 on its way to its own first frame (which the page's runtime then names).
      const { index, first, count } = error.chunk;
      expect(index).toBeGreaterThanOrEqual(1);
      expect(error.chunk).toEqual({ index, first: 5 * index, count: 5 });
      const frame = index === 1 ? 7 : first;
      expect(error.message).toMatch(
        new RegExp(
          `^chunk ${index} \\(frames ${first}–${first + count - 1}\\): the page reported an error at frame ${frame} \\(${(frame / 30).toFixed(3).replace('.', '\\.')} s\\): .*the scene broke at 233 ms`,
        ),
      );
      expect(run.stderr).toContain(`render failed: chunk ${index} (frames ${first}–${first + count - 1})`);

      const logs = () => workers.map((w, i) => w.log().slice(marks[i]));
      const renderId = /chunk \d+ of render (\S+) /.exec(logs().join(''))![1]!;
      const lines = (kind: string) =>
        logs().flatMap((log) => [
          ...log.matchAll(new RegExp(`chunk (\\d+) of render ${renderId} \\(frames [^)]*, try (\\d+)\\) ${kind}`, 'g')),
        ]);
      // Every chunk a worker started ends: done (chunk 0 only), failed, or cancelled by the render.
      for (const [, chunk] of lines('started'))
        await Promise.race(
          workers.map((w, i) =>
            w.waitFor(new RegExp(`chunk ${chunk} of render ${renderId} \\(frames [^)]*\\) (done in|failed|cancelled)`), {
              from: marks[i],
              timeoutMs: 20_000,
            }),
          ),
        );
      // Tried once: BullMQ counts one attempt, and no chunk was started a second time.
      expect((await queue.getJob(`${renderId}-c${index}`))?.attemptsMade).toBe(1);
      expect(lines('started').filter((m) => m[2] !== '1')).toEqual([]);
      // Fast: at most chunk 0 done, and few of the 12 started — the rest were never taken.
      expect(lines('done in').map((m) => m[1])).toEqual(lines('done in').length ? ['0'] : []);
      expect(lines('started').length).toBeLessThanOrEqual(6);
      // None left queued. A worker says "done"/"cancelled" as its processor returns, and BullMQ moves the
      // job out of `active` just after: the queue is read until it settles (10 s at most).
      const queued = async () =>
        (await queue.getJobs(['waiting', 'active', 'delayed', 'prioritized'])).map((j) => j.id).filter((id) => id?.startsWith(renderId));
      let left = await queued();
      for (let i = 0; i < 100 && left.length > 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        left = await queued();
      }
      expect(left).toEqual([]);
    } finally {
      await queue.close();
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
    const worker = await runCliInProcess(['worker', '--redis', down, '--storage', storage]);
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
