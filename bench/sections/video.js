/**
 * Issue 5: a video composition (bench/compositions/video-3clip: one full-frame clip, two 480×270 PiPs,
 * an audio bed, 3 s at 1280×720) rendered by framesmith and by HyperFrames, cold (no frame cache) and
 * warm (each with its own primed cache). Goal: half HyperFrames' time.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { outputPath, probeOutput, stageComposition } from '../lib/compositions.js';
import { feature } from '../lib/framesmith.js';
import { hfRender } from '../lib/hyperframes.js';
import { BENCH_DIR } from '../lib/media.js';
import { median, round } from '../lib/measure.js';
import { perFrame, renderOnce } from './render.js';

export async function videoSection(ctx) {
  const out = ctx.section('video', 'Video composition (issue 5): 3 clips (1 full frame, 2 PiP 480×270) + audio bed, 3 s 1280×720');
  const dir = await stageComposition('video-3clip');
  const ours = await feature('render', 'render.js');
  if (ours.missing) out.skip('framesmith render', ours.missing);
  if (ours.via) out.note(`\`render\` imported from ${ours.via}.`);
  if (ctx.hf.missing) out.skip('HyperFrames render', ctx.hf.missing);
  out.note(
    `Median of ${ctx.repeats} run(s), interleaved; sources are 1080p30 H.264 trims. Cold: no frame cache on either side (FRAMESMITH_CACHE_DIR=off; HYPERFRAMES_EXTRACT_CACHE_DIR=off). Warm: each with its own fresh cache directory, primed by one untimed render.`,
  );

  const tmp = path.join(BENCH_DIR, 'tmp');
  const ourCache = path.join(tmp, `video-fs-cache-${process.pid}`);
  const hfCache = path.join(tmp, `video-hf-cache-${process.pid}`);
  rmSync(ourCache, { recursive: true, force: true });
  rmSync(hfCache, { recursive: true, force: true });
  const oursRender = (cacheDir) => withEnv({ FRAMESMITH_CACHE_DIR: cacheDir }, () => renderOnce(ours.fn, dir, 'video-3clip.mp4', {}));
  const hfOnce = async (cacheDir) => {
    const output = outputPath('video-3clip-hyperframes.mp4');
    const r = await hfRender(ctx.hf, dir, { output, extraEnv: { HYPERFRAMES_EXTRACT_CACHE_DIR: cacheDir } });
    r.check = await probeOutput(output);
    if (!r.check.audio) throw new Error('output has no audio stream');
    return r;
  };

  const runs = { prime: [], oursCold: [], oursWarm: [], hfCold: [], hfWarm: [] };
  const attempt = async (key, what, fn) => {
    try {
      runs[key].push(await fn());
    } catch (error) {
      out.error(what, error);
    }
  };
  if (!ours.missing) await attempt('prime', 'framesmith priming render', () => oursRender(ourCache));
  if (!ctx.hf.missing) await attempt('prime', 'HyperFrames priming render', () => hfOnce(hfCache));
  for (let i = 0; i < ctx.repeats; i++) {
    if (!ours.missing) {
      await attempt('oursCold', 'framesmith render (cold)', () => oursRender('off'));
      await attempt('oursWarm', 'framesmith render (warm)', () => oursRender(ourCache));
    }
    if (!ctx.hf.missing) {
      await attempt('hfCold', 'HyperFrames render (cold)', () => hfOnce('off'));
      await attempt('hfWarm', 'HyperFrames render (warm)', () => hfOnce(hfCache));
    }
  }

  const oursMs = (key) => (runs[key].length ? round(median(runs[key].map((r) => r.ms))) : null);
  const hfMs = (key) => (runs[key].length ? round(median(runs[key].map((r) => r.totalMs ?? r.wallMs))) : null);
  for (const key of ['oursCold', 'oursWarm']) {
    const last = runs[key].at(-1);
    if (!last) continue;
    out.figure(key, oursMs(key), { runs: runs[key].map((r) => round(r.ms)), result: last.summary, check: last.check });
    if (!last.check.audio) out.error(`framesmith ${key}`, new Error('output has no audio stream'));
    out.note(
      `framesmith ${key === 'oursCold' ? 'cold' : 'warm'}: ${last.summary.frames} frames, ${last.summary.captureMode}, ${last.summary.workers} worker(s); ms per frame by stage: ${perFrame(last.summary.timings, last.summary.frames)}.`,
    );
  }
  for (const key of ['hfCold', 'hfWarm']) {
    const last = runs[key].at(-1);
    if (!last) continue;
    out.figure(key, hfMs(key), { runs: runs[key].map((r) => r.totalMs), wallRuns: runs[key].map((r) => r.wallMs), last });
    out.note(
      `HyperFrames ${key === 'hfCold' ? 'cold' : 'warm'}: ${last.captureMode}, ${last.workers} worker(s); stages (s): ${Object.entries(
        last.stagesMs,
      )
        .map(([k, v]) => `${k} ${v / 1000}`)
        .join(', ')}; process wall ${round(last.wallMs / 1000, 2)} s.`,
    );
  }
  out.row({ case: 'framesmith render, cold', ms: oursMs('oursCold'), ref: ['HyperFrames cold', hfMs('hfCold')], goal: 0.5 });
  out.row({ case: 'framesmith render, warm cache', ms: oursMs('oursWarm'), ref: ['HyperFrames warm', hfMs('hfWarm')], goal: 0.5 });
  out.row({ case: 'HyperFrames render, cold', ms: hfMs('hfCold') });
  out.row({ case: 'HyperFrames render, warm cache', ms: hfMs('hfWarm') });
  rmSync(ourCache, { recursive: true, force: true });
  rmSync(hfCache, { recursive: true, force: true });
}

/** Runs `fn` with environment variables set, restoring them afterwards (our cache reads its env per call). */
async function withEnv(vars, fn) {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
