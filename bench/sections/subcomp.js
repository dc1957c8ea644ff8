/**
 * Issue 9: a 1080p composition of three sub-compositions from files (bench/compositions/subcomp-1080p),
 * 3 s at 30 fps, rendered by framesmith's CLI and by HyperFrames' CLI as a user runs them (whole
 * process wall time), with framesmith's own total beside it, and checked to show the same frames
 * (PSNR between the two outputs, every frame).
 */
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { psnr } from '../lib/compare.js';
import { outputPath, probeOutput, stageComposition } from '../lib/compositions.js';
import { hfRender } from '../lib/hyperframes.js';
import { median, round, run } from '../lib/measure.js';
import { ROOT } from '../lib/media.js';

export async function subcompSection(ctx) {
  const out = ctx.section(
    'subcomp',
    'Sub-compositions (issue 9): 1080p, three data-composition-src scenes, 3 s at 30 fps (bench/compositions/subcomp-1080p)',
  );
  const dir = await stageComposition('subcomp-1080p');
  // The composition loads GSAP from its own folder, as a HyperFrames project would.
  copyFileSync(path.join(path.dirname(createRequire(import.meta.url).resolve('gsap')), 'gsap.min.js'), path.join(dir, 'gsap.min.js'));
  out.note(
    `Each figure: median of ${ctx.repeats} run(s), whole process wall time of the CLI (\`node bin/framesmith.js render … -q --json\`; \`hyperframes render\`), frame cache off for both.`,
  );

  const ours = [];
  const oursOutput = outputPath('subcomp-1080p.mp4');
  const hfRuns = [];
  const hfOutput = outputPath('subcomp-1080p-hyperframes.mp4');
  for (let i = 0; i < ctx.repeats; i++) {
    const r = await run(process.execPath, [
      path.join(ROOT, 'bin/framesmith.js'),
      'render',
      dir,
      '-o',
      oursOutput,
      '-q',
      '--json',
      '--no-cache',
    ]);
    if (r.code !== 0) {
      out.error('framesmith render', new Error(r.stderr.slice(-800)));
      break;
    }
    ours.push({ wallMs: r.ms, result: JSON.parse(r.stdout) });
    if (!ctx.hf.missing) {
      try {
        hfRuns.push(await hfRender(ctx.hf, dir, { output: hfOutput }));
      } catch (error) {
        out.error('HyperFrames render', error);
      }
    }
  }
  if (ctx.hf.missing) out.skip('HyperFrames render', ctx.hf.missing);

  const oursMs = ours.length ? round(median(ours.map((r) => r.wallMs))) : null;
  const oursEngine = ours.length ? round(median(ours.map((r) => r.result.timings.total))) : null;
  const hfMs = hfRuns.length ? round(median(hfRuns.map((r) => r.wallMs))) : null;
  if (ours.length)
    out.figure('ours.wall', oursMs, {
      runs: ours.map((r) => round(r.wallMs)),
      engine: oursEngine,
      check: await probeOutput(oursOutput),
      warnings: ours.at(-1).result.warnings,
    });
  if (hfRuns.length)
    out.figure('hf.wall', hfMs, {
      runs: hfRuns.map((r) => r.wallMs),
      total: hfRuns.map((r) => r.totalMs),
      check: await probeOutput(hfOutput),
    });
  if (ours.length && hfRuns.length) {
    const same = await psnr(hfOutput, oursOutput);
    out.figure('psnr', same.min, same);
    out.note(
      same.error
        ? `Frame comparison failed: ${same.error}`
        : `Same frames: PSNR of framesmith's output against HyperFrames', ${same.frames} frames: average ${same.average} dB, lowest ${same.min} dB (frame ${same.minFrame}); the bar is 30 dB on every frame — ${same.min >= 30 ? 'met' : 'NOT met'}.`,
    );
  }
  out.row({ case: 'framesmith render (CLI process)', ms: oursMs, ref: ['HyperFrames', hfMs] });
  out.row({ case: 'framesmith, engine total (`timings.total`)', ms: oursEngine, ref: ['HyperFrames', hfMs] });
  out.row({ case: 'HyperFrames render (CLI process)', ms: hfMs });
}
