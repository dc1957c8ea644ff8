/**
 * Renders through an S3 bucket (`--storage s3://bucket/prefix`) with real parts: an S3-compatible HTTP
 * server (s3rver, over a directory) and a `redis-server`, both started here on loopback ports, and
 * `framesmith worker` processes with homes and caches of their own, configured the AWS SDK's way
 * (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY). No machine shares a directory with
 * another: the plan and the segments travel through the bucket only.
 */
import { readdir, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectPlannedOutput, FRAMES, makePlannedProject } from '../helpers/planned.js';
import { freePort, startRedis, startWorker, type RedisServer, type WorkerProcess } from '../helpers/redis.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { skewed } from '../helpers/faketime.js';
import { runCli } from '../helpers/render-cli.js';
import { makeProject } from '../helpers/render-pixels.js';

const BUCKET = 'renders';
const STORAGE = `s3://${BUCKET}/team-a`;
let s3: S3rver;
let endpoint: string;
let redis: RedisServer;
let scratch: string;
let project: string;
const homes: string[] = [];
const workers: WorkerProcess[] = [];

/** Every key of the bucket. */
async function bucketKeys(): Promise<string[]> {
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  const page = await client.send(new ListObjectsV2Command({ Bucket: BUCKET }));
  client.destroy();
  return (page.Contents ?? []).map((o) => o.Key!).sort();
}

beforeAll(async () => {
  scratch = await makeProject({}, 'fs-s3-');
  s3 = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: path.join(scratch, 'bucket-data'),
    configureBuckets: [{ name: BUCKET }],
  });
  const { port } = await s3.run();
  endpoint = `http://127.0.0.1:${port}`;
  // The render (runCli) and the workers inherit these, as each machine would have them set.
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_REGION: 'us-east-1',
  });
  // This file's own client (bucketKeys) would print the SDK's Node 22 notice; framesmith silences it.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  redis = await startRedis();
  project = await makePlannedProject('fs-s3-project-');
  for (let i = 0; i < 2; i++) {
    const home = path.join(scratch, `machine-${i}`);
    homes.push(home);
    // --storage is the bucket: the workers have no directory in common with the render or each other.
    const worker = await startWorker(redis.url, STORAGE, home);
    await worker.waitFor(/taking chunks from/);
    workers.push(worker);
  }
}, 120_000);

afterAll(async () => {
  await Promise.all(
    workers.map(async (w) => {
      w.child.kill('SIGTERM');
      await w.exited;
    }),
  );
  await redis?.stop();
  await s3?.close();
  for (const key of ['AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION']) delete process.env[key];
  for (const dir of [scratch, project]) if (dir) await rm(dir, { recursive: true, force: true });
});

describe('--storage s3://bucket/prefix', () => {
  it('a distributed render through the bucket gives every frame due and the beep on time; the plan stays in the bucket, nothing of the render does', async () => {
    const output = path.join(project, 'through-s3.mp4');
    const run = await runCli(
      ['render', project, '-o', output, '--redis', redis.url, '--storage', STORAGE, '--chunk-frames', '9', '--json'],
      { HOME: path.join(scratch, 'render-machine'), XDG_CACHE_HOME: path.join(scratch, 'render-machine', 'cache') },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { frames: number; chunks: unknown[]; plan: { hash: string; storage: string } };
    expect(result.frames).toBe(FRAMES);
    expect(result.chunks).toHaveLength(5);
    expect(result.plan.storage).toBe(STORAGE);
    await expectPlannedOutput(output);

    const keys = await bucketKeys();
    expect(keys).toContain(`team-a/plans/${result.plan.hash}/plan.json`);
    // Besides the plan, its last-use record (for prune) and the clip's frames, shared by content with
    // later renders (one window of 45, and no claim left): nothing of the render is left.
    expect(keys.filter((k) => !k.startsWith(`team-a/plans/${result.plan.hash}/`) && !k.startsWith('team-a/frames/'))).toEqual([
      `team-a/plans/${result.plan.hash}.used`,
    ]);
    expect(keys.filter((k) => k.startsWith('team-a/frames/'))).toHaveLength(FRAMES + 1);
    expect(keys.filter((k) => k.startsWith('team-a/frames/') && k.endsWith('/manifest.json'))).toHaveLength(1);
    // Each worker that rendered a chunk fetched the plan into its own mirror and kept no segment.
    const fetched: string[] = [];
    for (const [i, worker] of workers.entries()) {
      expect(worker.log()).toMatch(new RegExp(`into ${STORAGE.replace(/[/.]/g, '\\$&')}`));
      if (!/done in/.test(worker.log())) continue;
      const mirrors = path.join(homes[i]!, 'cache', 'framesmith', 'storage');
      const [mirror] = await readdir(mirrors);
      const plan = path.join(mirrors, mirror!, 'plans', result.plan.hash);
      await stat(path.join(plan, 'plan.json'));
      // Of the video, the window of frames its chunks show (all 45 in one), decoded here or fetched from the bucket.
      const frames = (await readdir(path.join(mirrors, mirror!, 'frames'), { recursive: true })).filter((f) => f.endsWith('.jpg'));
      expect(frames).toHaveLength(FRAMES);
      expect(
        await readdir(path.join(mirrors, mirror!, 'renders')).then((ids) =>
          Promise.all(ids.map((id) => readdir(path.join(mirrors, mirror!, 'renders', id)))),
        ),
      ).toEqual(expect.not.arrayContaining([expect.arrayContaining([expect.stringMatching(/^chunk-/)])]));
      fetched.push(`machine-${i}`);
    }
    expect(fetched.length).toBeGreaterThan(0);
  }, 180_000);

  it("a machine's mirror drops a plan unused there for a day (the bucket keeps it)", async () => {
    const machine = { HOME: path.join(scratch, 'render-machine'), XDG_CACHE_HOME: path.join(scratch, 'render-machine', 'cache') };
    const mirrors = path.join(machine.XDG_CACHE_HOME, 'framesmith', 'storage');
    const [mirror] = await readdir(mirrors);
    const plans = path.join(mirrors, mirror!, 'plans');
    const [hash] = await readdir(plans);
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
    await utimes(path.join(plans, hash!), twoDaysAgo, twoDaysAgo);
    // Any command that opens the storage trims the mirror first (a dry run changes nothing else).
    const run = await runCli(['storage', 'prune', '--storage', STORAGE, '--dry-run'], machine);
    expect(run.code).toBe(0);
    expect(await readdir(plans)).toEqual([]);
    expect(await bucketKeys()).toContain(`team-a/plans/${hash}/plan.json`);
  }, 60_000);

  it('storage prune removes a plan from the bucket and from the mirror of the machine that prunes', async () => {
    const machine = { HOME: path.join(scratch, 'render-machine'), XDG_CACHE_HOME: path.join(scratch, 'render-machine', 'cache') };
    const planKeys = (await bucketKeys()).filter((k) => /^team-a\/plans\/[0-9a-f]{64}\/plan\.json$/.test(k));
    expect(planKeys).toHaveLength(1);
    const hash = planKeys[0]!.split('/')[2]!;
    // On a machine whose clock is 8 days ahead: ages are the bucket's, the plan is still recent (< 7d).
    const kept = await runCli(['storage', 'prune', '--storage', STORAGE, '--json'], { ...machine, ...skewed({ offset: '+8d' }) });
    expect(kept.code).toBe(0);
    expect(JSON.parse(kept.stdout)).toMatchObject({ removed: [], kept: [{ name: hash, complete: true, why: 'recent' }] });
    const run = await runCli(['storage', 'prune', '--storage', STORAGE, '--older-than', '0s'], machine);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^removed plan ${hash.slice(0, 12)}: .*\n1 plan removed .* from s3://renders/team-a;`));
    expect(await bucketKeys()).toEqual([]);
    const mirrors = path.join(machine.XDG_CACHE_HOME, 'framesmith', 'storage');
    const [mirror] = await readdir(mirrors);
    expect(await readdir(path.join(mirrors, mirror!, 'plans'))).toEqual([]);
  }, 60_000);

  it('an endpoint that does not answer or credentials it refuses: exit 1 at start naming the bucket and what to check; a malformed URL: exit 2', async () => {
    const output = path.join(project, 'never.mp4');
    const down = await runCli(['render', project, '-o', output, '--chunk-frames', '20', '--storage', STORAGE], {
      AWS_ENDPOINT_URL: `http://127.0.0.1:${await freePort()}`,
    });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(
      /the bucket of s3:\/\/renders\/team-a at http:\/\/127\.0\.0\.1:\d+ cannot be read and written \(.*ECONNREFUSED.*\): check the bucket, AWS_ENDPOINT_URL/,
    );
    const refused = await runCli(['worker', '--redis', redis.url, '--storage', STORAGE], { AWS_ACCESS_KEY_ID: 'nobody' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/cannot be read and written \(access denied \(HTTP 403\)\): check .*AWS_ACCESS_KEY_ID/);
    // A usage error needs no process of its own (cli-in-process.ts).
    const malformed = await runCliInProcess(['render', project, '-o', output, '--chunk-frames', '20', '--storage', 's3://No_Such_Bucket']);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/is not an S3 URL with a valid bucket name/);
    expect(await readdir(project)).not.toContain('never.mp4');
  }, 60_000);
});
