/**
 * Issue 5: a video composition (bench/compositions/video-3clip: one full-frame clip, two 480×270 PiPs,
 * an audio bed, 3 s at 1280×720) rendered by framesmith and by HyperFrames. Goal: half its time.
 */
import { outputPath, probeOutput, stageComposition } from '../lib/compositions.js';
import { feature } from '../lib/framesmith.js';
import { hfRender } from '../lib/hyperframes.js';
import { median, round } from '../lib/measure.js';
import { perFrame, renderOnce } from './render.js';

export async function videoSection(ctx) {
  const out = ctx.section('video', 'Video composition (issue 5): 3 clips (1 full frame, 2 PiP 480×270) + audio bed, 3 s 1280×720');
  const dir = await stageComposition('video-3clip');
  const ours = await feature('render', 'render.js');
  if (ours.missing) out.skip('framesmith render', ours.missing);
  if (ours.via) out.note(`\`render\` imported from ${ours.via}.`);
  if (ctx.hf.missing) out.skip('HyperFrames render', ctx.hf.missing);
  out.note(`Median of ${ctx.repeats} run(s), interleaved; sources are 1080p30 H.264 trims; both with cold frame extraction (our \`render()\` has no cache option here; HyperFrames with HYPERFRAMES_EXTRACT_CACHE_DIR=off).`);

  const oursRuns = [];
  const hfRuns = [];
  for (let i = 0; i < ctx.repeats; i++) {
    if (!ours.missing) {
      try { oursRuns.push(await renderOnce(ours.fn, dir, 'video-3clip.mp4', {})); } catch (error) { out.error('framesmith render', error); }
    }
    if (!ctx.hf.missing) {
      try {
        const output = outputPath('video-3clip-hyperframes.mp4');
        const r = await hfRender(ctx.hf, dir, { output });
        r.check = await probeOutput(output);
        if (!r.check.audio) out.error('HyperFrames render', new Error('output has no audio stream'));
        hfRuns.push(r);
      } catch (error) { out.error('HyperFrames render', error); }
    }
  }
  const oursMs = oursRuns.length ? round(median(oursRuns.map((r) => r.ms))) : null;
  const hfMs = hfRuns.length ? round(median(hfRuns.map((r) => r.totalMs ?? r.wallMs))) : null;
  if (oursRuns.length) {
    const last = oursRuns.at(-1);
    out.figure('ours', oursMs, { runs: oursRuns.map((r) => round(r.ms)), result: last.summary, check: last.check });
    if (!last.check.audio) out.error('framesmith render', new Error('output has no audio stream'));
    out.note(`framesmith: ${last.summary.frames} frames, ${last.summary.captureMode}, ${last.summary.workers} worker(s); ms per frame by stage: ${perFrame(last.summary.timings, last.summary.frames)}.`);
  }
  if (hfRuns.length) {
    const last = hfRuns.at(-1);
    out.figure('hf', hfMs, { runs: hfRuns.map((r) => r.totalMs), wallRuns: hfRuns.map((r) => r.wallMs), last });
    out.note(`HyperFrames: ${last.captureMode}, ${last.workers} worker(s); stages (s): ${Object.entries(last.stagesMs).map(([k, v]) => `${k} ${v / 1000}`).join(', ')}; process wall ${round(last.wallMs / 1000, 2)} s.`);
  }
  out.row({ case: 'framesmith render', ms: oursMs, ref: ['HyperFrames', hfMs], goal: 0.5 });
  out.row({ case: 'HyperFrames render', ms: hfMs });
}
