/**
 * Issue 22 (items 2 and 5): what a chunk costs beyond its frames, and the projection it gives. On
 * bench/compositions/chunks-1080p (6 s, 1920×1080, 180 frames), whole CLI processes, frame cache off,
 * a redis-server and `framesmith worker` processes started here (each with a home of its own), the
 * storage a shared directory:
 *
 * - fit: ONE worker, chunks of 15, 45 and 90 frames (12, 4, 2 chunks). A worker keeps its browser and
 *   page between chunks of a plan (src/render/chunk-session.ts), so every chunk after its first runs in
 *   a kept session: over those, a least-squares line `total = fixed + perFrame × frames` (the chunk's
 *   own `timings.total`: plan check, frames, capture, encoder end, publish) gives the fixed cost a
 *   chunk; the first chunk's residual above the line is the session's opening (server, browser, page),
 *   paid once per worker and render. CPU: the worker's whole process tree (Chromium and ffmpeg
 *   included) from /proc, and the render process's (`/usr/bin/time`).
 * - assembly: the render's `timings.assemble` against its segment count (12, 4, 2), a line too; its
 *   share of the render.
 * - projection of a 60 s 1080p composition (1800 frames) on W = 1, 4, 16, 64 workers, each a machine
 *   like this one: plan + one worker's share (its session opening + its chunks, of at most 240 frames)
 *   + assembly of every segment.
 * - a real run on TWO local workers (chunks of 30, three each) against its projection from the fit,
 *   where the two share this machine's 2 cores: a worker's wall per frame (and per chunk) is the larger
 *   of its time alone and its CPU time (two workers' CPU over two cores).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { outputPath, stageComposition } from '../lib/compositions.js';
import { median, round, run } from '../lib/measure.js';
import { BENCH_DIR, ROOT } from '../lib/media.js';

const BIN = path.join(ROOT, 'bin/framesmith.js');
const FRAMES = 180;
const PROJECTED_FRAMES = 1800;
/** DEFAULT_CHUNK_FRAMES (src/plan/chunks.ts): a worker's share is cut into chunks of at most this. */
const CHUNK_FRAMES = 240;
const CLK_TCK = 100;

export async function chunkCostSection(ctx) {
  const out = ctx.section('chunkcost', 'Chunk cost and projection (issue 22): kept sessions, segment encoder, 1080p 6 s (chunks-1080p)');
  const dir = await stageComposition('chunks-1080p');
  // Outside .bench/tmp, which every bench run removes when it ends (another run's end must not take it).
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'framesmith-chunkcost-'));
  const storage = path.join(tmp, 'storage');
  out.note(
    `Load average at the start ${os
      .loadavg()
      .map((x) => round(x, 2))
      .join(' / ')}; ${ctx.repeats} run(s) per case, medians.`,
  );
  const cluster = await startCluster(storage, tmp);
  try {
    // Fit: one worker.
    await cluster.workers(1);
    const fit = [];
    for (let i = 0; i < ctx.repeats; i++) for (const size of [15, 45, 90]) fit.push(await cluster.render(dir, size));
    // Real run: two workers.
    await cluster.workers(2);
    const real = [];
    for (let i = 0; i < ctx.repeats; i++) real.push(await cluster.render(dir, 30));
    // Every chunk's figures, kept apart from results.json (which a concurrent bench run may replace).
    writeFileSync(path.join(BENCH_DIR, 'chunkcost.json'), `${JSON.stringify({ fit, real }, null, 1)}\n`);
    report(out, fit, real);
  } finally {
    await cluster.stop();
    rmSync(tmp, { recursive: true, force: true });
    out.note(
      `Load average at the end ${os
        .loadavg()
        .map((x) => round(x, 2))
        .join(' / ')}.`,
    );
  }
}

/** Least squares y = a + b x over points [x, y]. */
function line(points) {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  const b = sxx === 0 ? 0 : points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0) / sxx;
  return { a: my - b * mx, b };
}

function report(out, fit, real) {
  const kept = fit.flatMap((r) => r.result.chunks.filter((c) => c.sessionReused));
  const opened = fit.flatMap((r) => r.result.chunks.filter((c) => !c.sessionReused));
  // Video frames (`frames`: this chunk's windows found or decoded, issue 22 item 1) are their own line:
  // a window of a GOP serves several chunks, so its decode is per frame shown, not per chunk.
  const own = (c) => c.timings.total - (c.timings.frames ?? 0);
  const chunkLine = line(kept.map((c) => [c.count, own(c)]));
  // Direct: what a kept chunk spends outside its capture and its video frames (start, encoder end,
  // publish) — robust to a load that drifts between the renders the line is fitted on.
  const direct = median(kept.map((c) => own(c) - c.timings.capture));
  const captureFrame = median(fit.flatMap((r) => r.result.chunks.filter((c) => c.count >= 45).map((c) => c.timings.capture / c.count)));
  const videoFrame = median(fit.map((r) => r.result.chunks.reduce((n, c) => n + (c.timings.frames ?? 0), 0) / FRAMES));
  const openMs = median(opened.map((c) => own(c) - (direct + captureFrame * c.count)));
  // CPU of the worker's tree per render = frames × c + chunks × fixed + opening: over renders of the
  // same 180 frames, the slope against the chunk count is a chunk's fixed CPU.
  const cpuLine = line(fit.map((r) => [r.result.chunks.length, r.workerCpuS]));
  // The intercept (no chunks) is the frames' CPU plus one opening, which is small beside 180 frames.
  const cpuPerFrame = cpuLine.a / FRAMES;
  const assembleLine = line(fit.map((r) => [r.result.chunks.length, r.result.timings.assemble]));
  const planMs = median(fit.map((r) => r.result.timings.parse + (r.result.timings.extract ?? 0) + r.result.timings.plan));
  const planFixed = median(fit.map((r) => r.result.timings.parse));
  const m = {
    fixed: direct,
    perFrame: captureFrame + videoFrame,
    line: chunkLine,
    captureFrame,
    videoFrame,
    openMs,
    cpuFixedS: cpuLine.b,
    cpuPerFrameS: cpuPerFrame,
    assemble: assembleLine,
    planMs,
    planFixed,
  };
  out.figure('model', m, {
    kept: kept.map((c) => ({ count: c.count, ...c.timings })),
    opened: opened.map((c) => ({ count: c.count, ...c.timings })),
    renders: fit.map((r) => ({
      chunks: r.result.chunks.length,
      wallMs: round(r.wallMs),
      timings: r.result.timings,
      workerCpuS: r.workerCpuS,
      renderCpuS: r.renderCpuS,
    })),
  });
  out.row({
    case: 'chunk fixed cost in a kept session: its time outside capture and video frames (start, encoder end, publish), median',
    ms: round(direct),
  });
  out.row({
    case: `… by regression, total − frames = fixed + perFrame × count over kept chunks of 15/45/90 (slope ${round(chunkLine.b, 1)} ms; a load drifting between renders lands here)`,
    ms: round(chunkLine.a),
  });
  out.row({ case: '… its encoder end (`flush`), median of kept chunks', ms: round(median(kept.map((c) => c.timings.flush))) });
  out.row({
    case: '… its start (`load`: plan check, frames, hooks), median of kept chunks',
    ms: round(median(kept.map((c) => c.timings.load))),
  });
  out.row({ case: 'capture per frame in a chunk (chunks of 45 and 90, median), 1080p, one browser', ms: round(captureFrame, 1) });
  out.row({ case: "video frames per frame (the chunks' windows decoded or found, over a render)", ms: round(videoFrame, 1) });
  out.row({
    case: "a worker's session opening (server, browser, page): first chunk's excess, once per worker and plan",
    ms: round(openMs),
  });
  out.row({ case: `CPU a chunk (worker tree, slope over 12/4/2 chunks), CPU-ms`, ms: round(m.cpuFixedS * 1000) });
  out.row({ case: 'CPU per frame (worker tree), CPU-ms', ms: round(m.cpuPerFrameS * 1000, 2) });
  out.row({ case: 'plan phase (parse, load, extract, freeze), engine', ms: round(planMs) });
  for (const r of fit)
    out.row({
      case: `one worker, chunks of ${r.size} (${r.result.chunks.length}): render (CLI) — assembly ${r.result.timings.assemble} ms = ${round((100 * r.result.timings.assemble) / r.result.timings.total, 1)} % of the engine's total`,
      ms: round(r.wallMs),
    });
  out.note(
    `Assembly: ${round(assembleLine.a)} ms + ${round(assembleLine.b)} ms a segment. Worker CPU a render: ${fit.map((r) => `${r.result.chunks.length} chunks ${r.workerCpuS} s`).join(', ')}; render process CPU ${fit.map((r) => `${r.renderCpuS} s`).join(', ')}.`,
  );

  // 60 s 1080p on W machines.
  const plan60 = planFixed + (planMs - planFixed) * (PROJECTED_FRAMES / FRAMES);
  out.note(
    `Projection, 60 s 1080p (${PROJECTED_FRAMES} frames) on W workers, each a machine like this one running one chunk at a time: plan ${round(plan60)} ms (its fixed part ${round(planFixed)} ms, the rest scaled by frames) + one worker: session opening ${round(openMs)} ms + k × fixed ${round(m.fixed)} ms + ceil(${PROJECTED_FRAMES}/W) × ${round(m.perFrame, 2)} ms (k chunks of at most ${CHUNK_FRAMES} frames) + assembly of every segment; Redis and storage latency not counted.`,
  );
  for (const workers of [1, 4, 16, 64]) {
    const frames = Math.ceil(PROJECTED_FRAMES / workers);
    const k = Math.ceil(frames / CHUNK_FRAMES);
    const size = Math.ceil(frames / k);
    const segments = Math.ceil(PROJECTED_FRAMES / size);
    const worker = openMs + k * m.fixed + frames * m.perFrame;
    const assemble = assembleLine.a + assembleLine.b * segments;
    const total = plan60 + worker + assemble;
    out.row({
      case: `projected 60 s 1080p, ${workers} worker${workers === 1 ? '' : 's'} (${k} chunk${k === 1 ? '' : 's'} of ${size} each): plan ${round(plan60 / 1000)} s + worker ${round(worker / 1000)} s + assembly ${round(assemble / 1000)} s (${round((100 * assemble) / total, 1)} %)`,
      ms: round(total),
    });
  }

  // The real run on two local workers against its projection.
  if (real.length) {
    const r = real[real.length - 1];
    const chunks = r.result.chunks.length;
    const perWorker = Math.ceil(chunks / 2);
    const framesEach = Math.ceil(FRAMES / 2);
    const perFrame = Math.max(m.perFrame, m.cpuPerFrameS * 1000);
    const fixed = m.fixed;
    const projected = planMs + openMs + perWorker * fixed + framesEach * perFrame + assembleLine.a + assembleLine.b * chunks;
    const measured = median(real.map((x) => x.result.timings.total));
    out.row({
      case: `two local workers, ${chunks} chunks of 30 (engine total) vs projection: plan ${round(planMs)} + opening ${round(openMs)} + ${perWorker} × ${round(fixed)} + ${framesEach} × ${round(perFrame, 1)} ms + assembly`,
      ms: round(measured),
      ref: ['projected', round(projected)],
    });
    out.row({ case: 'the same, CLI process wall', ms: round(median(real.map((x) => x.wallMs))) });
    out.note(
      `Two-worker runs: ${real.map((x) => `${round(x.wallMs)} ms wall, engine ${x.result.timings.total} ms, worker CPU ${x.workerCpuS} s, render CPU ${x.renderCpuS} s, kept sessions ${x.result.chunks.filter((c) => c.sessionReused).length}/${x.result.chunks.length}`).join('; ')}.`,
    );
  }
}

/** CPU seconds (user + sys, children reaped included) of `pid` and every live descendant. */
function treeCpuS(pids) {
  const parent = new Map();
  const cpu = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1].split(' ');
      parent.set(Number(entry), Number(fields[1]));
      cpu.set(Number(entry), Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]));
    } catch {
      /* gone meanwhile */
    }
  }
  const roots = new Set(pids);
  let ticks = 0;
  for (const [pid, t] of cpu) {
    for (let p = pid; p > 1; p = parent.get(p) ?? 0) {
      if (roots.has(p)) {
        ticks += t;
        break;
      }
    }
  }
  return ticks / CLK_TCK;
}

/** A redis-server and `framesmith worker` processes on this machine; renders through them. */
async function startCluster(storage, tmp) {
  const port = await freePort();
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const url = `redis://127.0.0.1:${port}`;
  const machine = (i) => path.join(tmp, `machine-${i}`);
  let running = [];
  await new Promise((r) => setTimeout(r, 300));
  const stopWorkers = async () => {
    for (const w of running) w.kill('SIGTERM');
    await Promise.all(running.map((w) => new Promise((r) => (w.exitCode !== null ? r() : w.once('exit', r)))));
    running = [];
  };
  return {
    async workers(n) {
      await stopWorkers();
      running = Array.from({ length: n }, (_, i) =>
        spawn(process.execPath, [BIN, 'worker', '--redis', url, '--storage', storage], {
          stdio: ['ignore', 'ignore', 'pipe'],
          env: { ...process.env, HOME: machine(i), XDG_CACHE_HOME: path.join(machine(i), 'cache') },
        }),
      );
      await Promise.all(
        running.map(
          (w) =>
            new Promise((resolve, reject) => {
              let log = '';
              w.stderr.on('data', (d) => {
                log += d;
                if (/taking chunks from/.test(log)) resolve();
              });
              w.once('exit', (code) => reject(new Error(`worker exited ${code}: ${log.slice(-400)}`)));
            }),
        ),
      );
    },
    async render(dir, size) {
      rmSync(storage, { recursive: true, force: true });
      mkdirSync(storage, { recursive: true });
      const before = treeCpuS(running.map((w) => w.pid));
      const r = await run('/usr/bin/time', [
        '-f',
        'CPU %U %S',
        process.execPath,
        BIN,
        'render',
        dir,
        '-o',
        outputPath(`chunkcost-${size}.mp4`),
        '-q',
        '--json',
        '--no-cache',
        '--chunk-frames',
        String(size),
        '--redis',
        url,
        '--storage',
        storage,
      ]);
      const workerCpuS = round(treeCpuS(running.map((w) => w.pid)) - before, 2);
      if (r.code !== 0) throw new Error(`chunks of ${size}: exit ${r.code}: ${r.stderr.slice(-600)}`);
      const cpu = /CPU ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
      return {
        size,
        wallMs: r.ms,
        result: JSON.parse(r.stdout),
        workerCpuS,
        renderCpuS: cpu ? round(Number(cpu[1]) + Number(cpu[2]), 2) : null,
      };
    },
    async stop() {
      await stopWorkers();
      redis.kill('SIGTERM');
    },
  };
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
