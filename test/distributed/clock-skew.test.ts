/**
 * Machines whose clocks disagree share a distributed render: one `framesmith worker` runs with its wall
 * clock three hours ahead — and stepped back an hour each time it starts a chunk, as NTP would step it —
 * and another three hours behind (libfaketime preloaded into the worker's Node process), while Redis,
 * the storage and the render keep the true time. Liveness and lock expiry are Redis's (key TTLs, renewed
 * on the monotonic clock), so every chunk is done exactly once, on its first try, none is taken back as
 * stalled from a live worker, both workers render, and the output is exact by its pixels.
 */
import { execFileSync } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectPlannedOutput, FRAMES, makePlannedProject } from '../helpers/planned.js';
import { startRedis, startWorker, useTestTimings, type RedisServer, type WorkerProcess, redisRenderArgs } from '../helpers/redis.js';
import { runCli } from '../helpers/render-cli.js';
import { skewed } from '../helpers/faketime.js';
import { makeProject } from '../helpers/render-pixels.js';

const HOUR_MS = 3600_000;

let redis: RedisServer;
let storage: string;
let homes: string;
let project: string;
/** The file libfaketime reads the ahead worker's offset from (again every second): the test steps it. */
let aheadClock: string;
let ahead: WorkerProcess;
let behind: WorkerProcess;
let restoreTimings: () => void = () => {};

/** Runs `script` in a Node process under `clock` and returns what it printed. */
function nodeUnder(clock: Parameters<typeof skewed>[0], script: string): string {
  return execFileSync(process.execPath, ['-e', script], { env: { ...process.env, ...skewed(clock) } }).toString();
}

beforeAll(async () => {
  restoreTimings = useTestTimings();
  redis = await startRedis();
  storage = await makeProject({}, 'fs-skew-storage-');
  homes = await makeProject({}, 'fs-skew-machines-');
  project = await makePlannedProject('fs-skew-');
  aheadClock = path.join(homes, 'ahead-clock');
  await writeFile(aheadClock, '+3h\n');
  [ahead, behind] = await Promise.all([
    startWorker(redis.url, storage, path.join(homes, 'ahead'), [], skewed({ file: aheadClock })),
    startWorker(redis.url, storage, path.join(homes, 'behind'), [], skewed({ offset: '-3h' })),
  ]);
  await Promise.all([ahead.waitFor(/taking chunks from/), behind.waitFor(/taking chunks from/)]);
}, 120_000);

afterAll(async () => {
  await Promise.all(
    [ahead, behind].map(async (w) => {
      if (!w) return;
      w.child.kill('SIGTERM');
      await w.exited;
    }),
  );
  await redis?.stop();
  restoreTimings();
  for (const dir of [storage, homes, project]) if (dir) await rm(dir, { recursive: true, force: true });
});

describe('workers whose clocks are hours apart', () => {
  it('the preload sets a Node process three hours off (from the variable, or from a file it reads again), and not the children it starts', async () => {
    // Its own clock, and the clock of a child it starts (`date`, as a browser would be).
    const clocks = 'process.stdout.write(Date.now() + " " + 1000 * Number(require("child_process").execFileSync("date", ["+%s"])))';
    for (const [offset, sign] of [
      ['+3h', 1],
      ['-3h', -1],
    ] as const) {
      const [own, child] = nodeUnder({ offset }, clocks).split(' ').map(Number);
      expect(Math.abs(own! - Date.now() - sign * 3 * HOUR_MS)).toBeLessThan(10 * 60_000);
      expect(Math.abs(child! - Date.now())).toBeLessThan(10 * 60_000);
    }
    // A step: the file's offset changed while the process runs (what the render test does to `ahead`).
    const file = path.join(homes, 'probe-clock');
    await writeFile(file, '+3h\n');
    const [before, after] = nodeUnder(
      { file },
      // libfaketime reads the file again once its cache (1 s, counted in whole seconds) has expired: up to
      // ~2 s after the write. Poll until the step shows, for at most 6 s, rather than guess that delay.
      `const a = Date.now(); const t0 = performance.now(); require('fs').writeFileSync(${JSON.stringify(file)}, '+2h\\n');` +
        ` const poll = () => (Date.now() - a < -30 * 60000 || performance.now() - t0 > 6000 ? process.stdout.write(a + ' ' + Date.now()) : setTimeout(poll, 100)); poll();`,
    )
      .split(' ')
      .map(Number);
    expect(Math.abs(after! - before! + HOUR_MS)).toBeLessThan(10 * 60_000);
  });

  it('render a composition together: every chunk done once on its first try, no stall, both render, the frames exact', async () => {
    const events = new QueueEvents('framesmith-chunks', { connection: { url: redis.url } });
    const stalled: string[] = [];
    events.on('stalled', ({ jobId }) => stalled.push(jobId));
    await events.waitUntilReady();
    // Each chunk `ahead` starts, its wall clock steps back an hour (within a second: libfaketime reads
    // the file again): BullMQ alone would stop renewing that chunk's lock (it schedules renewals by
    // Date.now()), and a chunk running longer than the lock (2 s here) would be taken back as stalled.
    let steps = 0;
    const stepper = setInterval(() => {
      const starts = (ahead.log().match(/\) started/g) ?? []).length;
      if (starts > steps) {
        steps = starts;
        void writeFile(aheadClock, `${3 - steps >= 0 ? '+' : ''}${3 - steps}h\n`);
      }
    }, 20);
    try {
      const output = path.join(project, 'skewed.mp4');
      const run = await runCli(redisRenderArgs(project, output, redis.url, storage, 15, '--json'));
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const result = JSON.parse(run.stdout) as { chunks: Array<{ index: number }> };
      expect(result.chunks).toHaveLength(Math.ceil(FRAMES / 15));
      await expectPlannedOutput(output);

      const logs = [ahead.log(), behind.log()];
      const renderId = /chunk \d+ of render (\S+) /.exec(logs.join(''))![1]!;
      const lines = (kind: string) =>
        logs.flatMap((log) => [
          ...log.matchAll(new RegExp(`chunk (\\d+) of render ${renderId} \\(frames [^)]*, try (\\d+)\\) ${kind}`, 'g')),
        ]);
      // Each chunk started and done exactly once, on try 1: nothing retried, nothing taken back.
      const indices = result.chunks.map((c) => String(c.index)).sort();
      expect(
        lines('started')
          .map((m) => m[1])
          .sort(),
      ).toEqual(indices);
      expect(
        lines('done')
          .map((m) => m[1])
          .sort(),
      ).toEqual(indices);
      expect(lines('(started|done)').filter((m) => m[2] !== '1')).toEqual([]);
      expect(logs.join('')).not.toMatch(/failed|cancelled|dropped|handed back|abandoned/);
      expect(stalled.filter((id) => id.startsWith(renderId))).toEqual([]);
      // The clock three hours ahead (stepped back at each of its chunks) and the one three hours behind both rendered.
      for (const log of logs) expect(log).toMatch(new RegExp(`of render ${renderId} .* done in`));
      expect(steps).toBeGreaterThanOrEqual(1);
    } finally {
      clearInterval(stepper);
      await events.close();
    }
  }, 240_000);
});
