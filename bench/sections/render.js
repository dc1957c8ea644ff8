/**
 * Issue 4: the renderer (`render` from dist) on the 3 s 640×360 CSS-only composition: ms per frame by
 * stage, BeginFrame (bundled headless shell) vs screenshot (Debian's /usr/bin/chromium), 1 vs 2 workers,
 * and the same composition rendered by HyperFrames (`hyperframes render`).
 */
import { existsSync } from 'node:fs';
import { outputPath, probeOutput, stageComposition } from '../lib/compositions.js';
import { feature } from '../lib/framesmith.js';
import { hfRender } from '../lib/hyperframes.js';
import { median, round } from '../lib/measure.js';

const SYSTEM_CHROMIUM = '/usr/bin/chromium';

export async function renderSection(ctx) {
  const out = ctx.section('render', 'Rendering (issue 4): 3 s 640×360 CSS-only composition (bench/compositions/css-3s)');
  const dir = await stageComposition('css-3s');
  const ours = await feature('render', 'render.js');
  if (ours.missing) out.skip('framesmith render', ours.missing);
  if (ours.via) out.note(`\`render\` imported from ${ours.via}.`);
  if (ctx.hf.missing) out.skip('HyperFrames render', ctx.hf.missing);
  out.note(
    `Each figure: median of ${ctx.repeats} run(s); ours is the wall time of the \`render()\` call (browser launch included), HyperFrames' is its own "rendered in" total (its CLI process wall time is in results.json). Both at their default quality (ours: standard, x264 medium CRF 18; HyperFrames: "looks", CRF 16).`,
  );

  const cases = {
    default: {},
    screenshot: { browser: SYSTEM_CHROMIUM },
    shellScreenshot: { captureMode: 'screenshot' },
    workers1: { workers: 1 },
    workers2: { workers: 2 },
  };
  if (!existsSync(SYSTEM_CHROMIUM)) {
    delete cases.screenshot;
    out.skip('screenshot mode', `${SYSTEM_CHROMIUM} not installed (apt-get install chromium)`);
  }

  const res = {};
  const hfRuns = [];
  for (let i = 0; i < ctx.repeats; i++) {
    if (!ours.missing) {
      for (const [name, options] of Object.entries(cases)) {
        try {
          const r = await renderOnce(ours.fn, dir, `css-3s-${name}.mp4`, options);
          res[name] = [...(res[name] ?? []), r];
        } catch (error) {
          out.error(`framesmith render ${name}`, error);
          delete cases[name];
        }
      }
    }
    if (!ctx.hf.missing) {
      try {
        const output = outputPath('css-3s-hyperframes.mp4');
        const r = await hfRender(ctx.hf, dir, { output });
        r.check = await probeOutput(output);
        hfRuns.push(r);
      } catch (error) {
        out.error('HyperFrames render', error);
      }
    }
  }

  const pick = (name) => {
    const runs = res[name];
    if (!runs?.length) return null;
    const ms = round(median(runs.map((r) => r.ms)));
    const last = runs.at(-1);
    out.figure(`ours.${name}`, ms, { runs: runs.map((r) => round(r.ms)), result: last.summary, check: last.check });
    out.note(
      `framesmith ${name} (${last.summary.captureMode}, ${last.summary.workers} worker(s), ${last.summary.frames} frames), ms per frame: ${perFrame(last.summary.timings, last.summary.frames)}.`,
    );
    return { ms, last };
  };
  const d = pick('default');
  const s = pick('screenshot');
  const ss = pick('shellScreenshot');
  const w1 = pick('workers1');
  const w2 = pick('workers2');
  let hfMs = null;
  if (hfRuns.length) {
    hfMs = round(median(hfRuns.map((r) => r.totalMs ?? r.wallMs)));
    out.figure('hf.total', hfMs, { runs: hfRuns.map((r) => r.totalMs), wallRuns: hfRuns.map((r) => r.wallMs), last: hfRuns.at(-1) });
  }

  out.note(
    'Stage timings (ms per frame): parse, browser, load, capture, finalize, total are wall clock; seek, hooks, screenshot are summed over workers; encode is time capture waited on the encoder plus its flush.',
  );
  const label = (r) => (r ? `${r.last.summary.captureMode}, ${r.last.summary.workers} worker(s)` : '');
  out.row({ case: `framesmith, default (${label(d)})`, ms: d?.ms, ref: ['HyperFrames', hfMs], goal: 0.5 });
  out.row({ case: `framesmith, ms per frame (default)`, ms: d ? round(d.ms / d.last.summary.frames) : null });
  out.row({ case: `framesmith, system Chromium (${label(s)})`, ms: s?.ms, ref: ['default', d?.ms] });
  out.row({ case: `framesmith, headless shell forced to screenshots (${label(ss)})`, ms: ss?.ms, ref: ['default', d?.ms] });
  out.row({ case: `framesmith, workers: 1 (${label(w1)})`, ms: w1?.ms });
  out.row({ case: `framesmith, workers: 2 (${label(w2)})`, ms: w2?.ms, ref: ['1 worker', w1?.ms] });
  const hfLast = hfRuns.at(-1);
  out.row({ case: `HyperFrames render (${hfLast ? `${hfLast.captureMode}, ${hfLast.workers} worker(s)` : ''})`, ms: hfMs });
  if (hfLast)
    out.note(
      `HyperFrames stages (s): ${Object.entries(hfLast.stagesMs)
        .map(([k, v]) => `${k} ${v / 1000}`)
        .join(', ')}; process wall ${round(hfLast.wallMs / 1000, 2)} s.`,
    );
}

/** One `render()` call; returns its wall time, the result summary and an ffprobe check of the output. */
export async function renderOnce(render, dir, file, options) {
  const output = outputPath(file);
  const start = performance.now();
  const result = await render(dir, { output, ...options });
  const ms = performance.now() - start;
  const check = await probeOutput(result.output ?? output);
  if (check.frames !== result.frames)
    throw new Error(`render wrote ${check.frames} frames, reported ${result.frames} (${JSON.stringify(check)})`);
  const { frames, timings, captureMode, workers, width, height } = result;
  return { ms, summary: { frames, timings, captureMode, workers, width, height }, check };
}

/** "capture 12.3, encode 4.5, …" (ms per frame for each stage timing). */
export function perFrame(timings, frames) {
  return Object.entries(timings ?? {})
    .map(([k, v]) => `${k} ${round(v / frames, 1)}`)
    .join(', ');
}
