/**
 * Issue 12: plan → chunks → assemble. On bench/compositions/chunks-1080p (6 s, 1920×1080, 180 frames:
 * a full-frame clip, CSS animation, an audio bed), whole CLI processes, frame cache off:
 *
 * - the streaming render (the reference);
 * - planned renders in this process with chunks one at a time (`--workers 1`), at 30 and 90 frames a
 *   chunk: from each chunk's own timings the fixed cost of a chunk (plan check + browser start + page
 *   load = `load`; encoder end = `flush`) and the capture cost per frame; the plan phase (parse + load +
 *   extract + freeze) and the assembly (concat without re-encoding + audio mux) from the render's;
 * - a distributed render: a redis-server started here and two `framesmith worker` processes on this
 *   machine (2 cores: no faster than local, it shows the queue's overhead), with the storage a shared
 *   directory and then an S3 bucket (an S3-compatible server on loopback: the transfers' cost);
 * - from those figures, the projected wall time of a 60 s 1080p composition (1800 frames) at 1, 4, 16
 *   and 64 workers, with the assumptions stated in the notes.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { outputPath, probeOutput, stageComposition } from '../lib/compositions.js';
import { median, round, run } from '../lib/measure.js';
import { BENCH_DIR, ROOT } from '../lib/media.js';

const BIN = path.join(ROOT, 'bin/framesmith.js');
const PROJECTED_FRAMES = 1800;

export async function chunksSection(ctx) {
  const out = ctx.section('chunks', 'Plan → chunks → assemble (issue 12): 1080p, 6 s at 30 fps (bench/compositions/chunks-1080p)');
  const dir = await stageComposition('chunks-1080p');
  const storage = path.join(BENCH_DIR, 'tmp', 'chunk-storage');
  out.note(
    `Median of ${ctx.repeats} run(s). Whole CLI processes (spawn to exit), frame cache off; "engine" figures are the render's own timings.`,
  );
  const cli = async (name, extra) => {
    rmSync(storage, { recursive: true, force: true });
    mkdirSync(storage, { recursive: true });
    const r = await run(process.execPath, [
      BIN,
      'render',
      dir,
      '-o',
      outputPath(`chunks-${name}.mp4`),
      '-q',
      '--json',
      '--no-cache',
      ...extra,
    ]);
    if (r.code !== 0) throw new Error(`${name}: exit ${r.code}: ${r.stderr.slice(-600)}`);
    return { wallMs: r.ms, result: JSON.parse(r.stdout) };
  };
  const cases = {
    streaming: [],
    chunks30: ['--chunk-frames', '30', '--workers', '1', '--storage', storage],
    chunks90: ['--chunk-frames', '90', '--workers', '1', '--storage', storage],
    local30: ['--chunk-frames', '30', '--storage', storage],
  };
  const runs = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (let i = 0; i < ctx.repeats; i++) {
    for (const [name, extra] of Object.entries(cases)) {
      try {
        runs[name].push(await cli(name, extra));
      } catch (error) {
        out.error(`framesmith ${name}`, error);
      }
    }
  }
  const wall = (name) => (runs[name].length ? round(median(runs[name].map((r) => r.wallMs))) : null);
  for (const name of Object.keys(cases))
    if (runs[name].length)
      out.figure(`${name}.wall`, wall(name), {
        runs: runs[name].map((r) => round(r.wallMs)),
        timings: runs[name].at(-1).result.timings,
        check: await probeOutput(outputPath(`chunks-${name}.mp4`)),
      });

  // Per-chunk costs from the sequential runs: every chunk's load (plan check, browser, page) and flush
  // are fixed; capture per frame from the two chunk sizes.
  const chunkTimings = (name) => runs[name].flatMap((r) => r.result.chunks.map((c) => ({ ...c.timings, count: c.count })));
  const c30 = chunkTimings('chunks30');
  const c90 = chunkTimings('chunks90');
  let model = null;
  if (c30.length && c90.length) {
    const fixed = median([...c30, ...c90].map((c) => c.load + c.flush));
    const perFrame =
      (median(c90.filter((c) => c.count === 90).map((c) => c.capture)) - median(c30.filter((c) => c.count === 30).map((c) => c.capture))) /
      60;
    // `load` (issue 22: no extraction in the plan; `extract` before it).
    const plan = median(
      runs.chunks30.map((r) => r.result.timings.parse + (r.result.timings.load ?? r.result.timings.extract) + r.result.timings.plan),
    );
    const planFixed = median(runs.chunks30.map((r) => r.result.timings.parse));
    const assemble6 = median(runs.chunks30.map((r) => r.result.timings.assemble));
    const assemble2 = median(runs.chunks90.map((r) => r.result.timings.assemble));
    model = { fixed, perFrame, plan, planFixed, assemble6, assemble2, planBytes: runs.chunks30.at(-1).result.plan.bytes };
    out.figure('model', model, { load: median([...c30, ...c90].map((c) => c.load)), flush: median([...c30, ...c90].map((c) => c.flush)) });
    out.row({
      case: 'chunk fixed cost: plan check + browser start + page load (`load`) + encoder end (`flush`), median over chunks',
      ms: round(fixed),
    });
    out.row({ case: '… of which load', ms: round(median([...c30, ...c90].map((c) => c.load))) });
    out.row({ case: '… of which flush', ms: round(median([...c30, ...c90].map((c) => c.flush))) });
    out.row({ case: 'capture per frame in a chunk (1080p, one browser), from 30- and 90-frame chunks', ms: round(perFrame, 2) });
    out.row({ case: 'plan phase (parse, load, plan the videos, freeze: no extraction), engine', ms: round(plan) });
    out.row({ case: 'assembly of 6 segments (180 frames) + audio mux, engine', ms: round(assemble6) });
    out.row({ case: 'assembly of 2 segments (180 frames) + audio mux, engine', ms: round(assemble2) });
  }
  out.row({ case: 'streaming render (CLI process)', ms: wall('streaming') });
  out.row({ case: 'planned, 6 chunks of 30 one at a time (CLI process)', ms: wall('chunks30'), ref: ['streaming', wall('streaming')] });
  out.row({ case: 'planned, 2 chunks of 90 one at a time (CLI process)', ms: wall('chunks90'), ref: ['streaming', wall('streaming')] });
  out.row({ case: 'planned, 6 chunks of 30, 2 at a time (CLI process)', ms: wall('local30'), ref: ['streaming', wall('streaming')] });

  // Distributed on this machine: a real redis-server and two workers.
  try {
    const distributed = await distributedRuns(ctx, dir, storage);
    out.figure('distributed.wall', round(median(distributed)), { runs: distributed.map((r) => round(r)) });
    out.row({
      case: 'distributed: 6 chunks of 30 on 2 local workers via Redis (CLI process)',
      ms: round(median(distributed)),
      ref: ['planned, 2 at a time', wall('local30')],
    });
    const throughS3 = await distributedRuns(ctx, dir, storage, { s3: true });
    out.figure('distributedS3.wall', round(median(throughS3)), { runs: throughS3.map((r) => round(r)) });
    out.row({
      case: 'distributed, storage an S3 bucket (s3rver on loopback; plan up and down, segments up and down)',
      ms: round(median(throughS3)),
      ref: ['shared directory', round(median(distributed))],
    });
  } catch (error) {
    out.error('distributed render', error);
  }

  if (model) projection(out, model);
}

/** The 60 s 1080p projection (see the module comment), as rows and a note of its assumptions. */
function projection(out, m) {
  // The plan extracts nothing (issue 22): it does not grow with the frames; the chunks extract theirs.
  const plan = m.plan;
  // Assembly: a fixed part and a part per segment, from the 6- and 2-segment runs (the same frames);
  // the stream copy itself is a few hundred MB/s of disk, left out.
  const perSegment = Math.max(0, (m.assemble6 - m.assemble2) / 4);
  const assembleFixed = m.assemble2 - 2 * perSegment;
  out.note(
    `Projection for a 60 s 1080p composition like this one (${PROJECTED_FRAMES} frames): wall = plan + chunk + assembly, with one chunk per worker (ceil(${PROJECTED_FRAMES}/W) frames), every worker a machine like this one (2 cores) rendering one chunk at a time with one browser; chunk = fixed ${round(m.fixed)} ms + ${round(m.perFrame, 2)} ms/frame (measured above); plan = as measured (${round(plan)} ms: it extracts nothing, each chunk extracts the frames it shows — in its \`load\`); assembly ${round(assembleFixed)} ms + ${round(perSegment)} ms per segment (from the 6- and 2-segment assemblies above); Redis and shared-storage latency and bandwidth not counted (the plan here was ${round(m.planBytes / 1e6)} MB for 6 s).`,
  );
  for (const workers of [1, 4, 16, 64]) {
    const frames = Math.ceil(PROJECTED_FRAMES / workers);
    const chunk = m.fixed + frames * m.perFrame;
    const assemble = assembleFixed + perSegment * Math.ceil(PROJECTED_FRAMES / frames);
    out.row({
      case: `projected 60 s 1080p, ${workers} worker${workers === 1 ? '' : 's'} (chunks of ${frames}): plan ${round(plan / 1000)} s + chunk ${round(chunk / 1000)} s + assembly ${round(assemble / 1000)} s`,
      ms: round(plan + chunk + assemble),
    });
  }
}

/**
 * Distributed renders on this machine: a redis-server, two workers with homes of their own, and the
 * render; each repeat starts cold (no plan in the storage, none in the machines' S3 mirrors). With
 * `s3`, the storage is a bucket of an S3-compatible server started here (s3rver on loopback: it shows
 * the transfers' own cost, not a network's).
 */
async function distributedRuns(ctx, dir, storage, { s3 = false } = {}) {
  const port = await freePort();
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const url = `redis://127.0.0.1:${port}`;
  const machine = (i) => path.join(BENCH_DIR, 'tmp', `machine-${i}`);
  let server = null;
  let env = process.env;
  let target = storage;
  if (s3) {
    const { default: S3rver } = await import('s3rver');
    rmSync(path.join(BENCH_DIR, 'tmp', 's3'), { recursive: true, force: true });
    server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: path.join(BENCH_DIR, 'tmp', 's3'),
      configureBuckets: [{ name: 'bench' }],
    });
    const { port: s3Port } = await server.run();
    env = {
      ...process.env,
      AWS_ENDPOINT_URL: `http://127.0.0.1:${s3Port}`,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
    };
    target = 's3://bench/chunks';
  }
  const cold = () => {
    rmSync(storage, { recursive: true, force: true });
    mkdirSync(storage, { recursive: true });
    rmSync(path.join(BENCH_DIR, 'tmp', 's3', 'bench', 'chunks'), { recursive: true, force: true });
    for (const i of [0, 1, 'render']) rmSync(path.join(machine(i), 'cache', 'framesmith', 'storage'), { recursive: true, force: true });
  };
  await new Promise((r) => setTimeout(r, 300));
  cold();
  const workers = [0, 1].map((i) =>
    spawn(process.execPath, [BIN, 'worker', '--redis', url, '--storage', target], {
      stdio: 'ignore',
      env: { ...env, HOME: machine(i), XDG_CACHE_HOME: path.join(machine(i), 'cache') },
    }),
  );
  try {
    await new Promise((r) => setTimeout(r, 1500));
    const times = [];
    for (let i = 0; i < ctx.repeats; i++) {
      cold();
      const r = await run(
        process.execPath,
        [
          BIN,
          'render',
          dir,
          '-o',
          outputPath(`chunks-distributed${s3 ? '-s3' : ''}.mp4`),
          '-q',
          '--json',
          '--no-cache',
          '--chunk-frames',
          '30',
          '--redis',
          url,
          '--storage',
          target,
        ],
        {
          env: { ...env, HOME: machine('render'), XDG_CACHE_HOME: path.join(machine('render'), 'cache') },
        },
      );
      if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr.slice(-600)}`);
      times.push(r.ms);
    }
    return times;
  } finally {
    for (const w of workers) w.kill('SIGTERM');
    await Promise.all(workers.map((w) => new Promise((r) => (w.exitCode !== null ? r() : w.once('exit', r)))));
    redis.kill('SIGTERM');
    await server?.close();
  }
}

function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
