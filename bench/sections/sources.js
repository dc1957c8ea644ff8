/**
 * Issue 11: one decode per source. Whole processes as a user runs them — our CLI
 * (`bin/framesmith.js extract SPEC --json --no-cache`) and HyperFrames' extractor (its adapter process)
 * — side by side, with our engine's own time (`metrics.totalMs`) and the classic one pass per recipe
 * (`--no-source-passes`, a fresh process as well) as the before:
 *
 * - the same-source layout: one 1080p30 source, recipes 0–8 s at 1920×1080, 2–8 s at 640×360 and
 *   3.5–8.5 s at 480×270 (JPEG), against HyperFrames and against its decode floor (the union, 0–8.5 s,
 *   decoded once);
 * - one native 1080p clip (150 frames);
 * - the three-different-sources layout (1080p main + two 480×270 PiPs, 150 frames each);
 * - a warm run of a 4-video spec in a fresh process (cache primed): `metrics.totalMs` and `probes`;
 * - peak memory of the same-source layout as its windows grow (2 / 10 / 30 s unions);
 * - source frames decoded (`metrics.framesDecoded`, keyframe preroll included) against the union of the
 *   windows: the same-source layout, and the four recipes of test/extract/source-pass.test.ts (native,
 *   a trim, rate 0.75 off the grid, a loop) on the 1080p file (issue 21 item 5: was 303 for 300).
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { decodeFloor } from '../lib/floor.js';
import { feature } from '../lib/framesmith.js';
import { hfExtract } from '../lib/hyperframes.js';
import { BENCH_DIR, ROOT, media } from '../lib/media.js';
import { lastJsonLine, median, round, run } from '../lib/measure.js';
import { writeSpec } from '../lib/specs.js';

const BIN = path.join(ROOT, 'bin/framesmith.js');

export async function sourcesSection(ctx) {
  const out = ctx.section(
    'sources',
    'One decode per source (issue 11): source passes, whole processes, vs HyperFrames and the decode floor',
  );
  const a = await media('a-1080p-10s.mp4');
  const b = await media('b-1080p-10s.mp4');
  const c = await media('c-1080p-10s.mp4');
  const long = await media('a-1080p-30s.mp4');
  const specs = {
    sameSource: writeSpec('same-source', {
      videos: [
        { id: 'full', src: a, mediaStart: 0, duration: 8, width: 1920, height: 1080 },
        { id: 'mid', src: a, mediaStart: 2, duration: 6, width: 640, height: 360 },
        { id: 'small', src: a, mediaStart: 3.5, duration: 5, width: 480, height: 270 },
      ],
    }),
    // The four recipes of test/extract/source-pass.test.ts; the loop's one cycle runs to the file's end.
    fourRecipes: writeSpec('same-source-four', {
      videos: [
        { id: 'full', src: a, mediaStart: 0, duration: 6 },
        { id: 'pip', src: a, mediaStart: 2, duration: 4, width: 640, height: 360 },
        { id: 'slow', src: a, mediaStart: 3.517, duration: 3, playbackRate: 0.75, width: 320, height: 180 },
        { id: 'loop', src: a, mediaStart: 6.1, duration: 4, loop: true, width: 640, height: 360 },
      ],
    }),
    one: writeSpec('one-native', { videos: [{ id: 'a', src: a, mediaStart: 2, duration: 5 }] }),
    threeSources: writeSpec('three-sources', {
      videos: [
        { id: 'main', src: a, mediaStart: 2, duration: 5, width: 1920, height: 1080 },
        { id: 'pip1', src: b, mediaStart: 2, duration: 5, width: 480, height: 270 },
        { id: 'pip2', src: c, mediaStart: 2, duration: 5, width: 480, height: 270 },
      ],
    }),
    warm4: writeSpec('warm-four', {
      videos: [
        { id: 'a', src: a, mediaStart: 0.5, duration: 2 },
        { id: 'b', src: b, mediaStart: 1, duration: 2, width: 640, height: 360 },
        { id: 'c', src: c, mediaStart: 0, duration: 3 },
        { id: 'd', src: a, mediaStart: 6, duration: 1.5, playbackRate: 1.5 },
      ],
    }),
  };
  out.note(
    `Median of ${ctx.repeats} runs, interleaved case by case (floor, ours, classic, HyperFrames). Process figures are wall time from spawn to exit; "engine" is the run's own metrics.totalMs.`,
  );

  const ours = await feature('extractVideos');
  if (ours.missing) {
    out.skip('framesmith', ours.missing);
    return;
  }
  if (ctx.hf.missing) out.skip('HyperFrames', ctx.hf.missing);
  const tmp = path.join(BENCH_DIR, 'tmp');
  let seq = 0;
  const cliOnce = async (spec, extra = []) => {
    const dir = path.join(tmp, `src-cli-${process.pid}-${seq++}`);
    const r = await run(process.execPath, [BIN, 'extract', spec, '--out', dir, '--json', ...extra]);
    rmSync(dir, { recursive: true, force: true });
    const doc = lastJsonLine(r.stdout) ?? JSON.parse(r.stdout || 'null');
    if (r.code !== 0 || !doc) throw new Error(`extract failed (exit ${r.code}): ${r.stderr.slice(-400)}`);
    return { ms: r.ms, engine: doc.metrics.totalMs, metrics: doc.metrics };
  };
  // The engine before source passes, in a fresh process too (probes cold, like ours).
  const classicOnce = (spec) => cliOnce(spec, ['--no-cache', '--no-source-passes']);
  const runs = {};
  const push = (key, value) => {
    runs[key] = [...(runs[key] ?? []), value];
  };
  for (let i = 0; i < ctx.repeats; i++) {
    push('floor.union', await decodeFloor({ src: a, mediaStart: 0, frames: 255 }));
    for (const name of ['sameSource', 'one', 'threeSources']) {
      const r = await cliOnce(specs[name], ['--no-cache']);
      push(`ours.${name}`, r.ms);
      push(`engine.${name}`, r.engine);
      if (i === 0) out.figure(`ours.${name}.metrics`, r.metrics);
      const classic = await classicOnce(specs[name]);
      push(`classic.${name}`, classic.ms);
      push(`classicEngine.${name}`, classic.engine);
      if (i === 0) out.figure(`classic.${name}.metrics`, classic.metrics);
      if (!ctx.hf.missing) {
        try {
          const h = await hfExtract(ctx.hf, specs[name]);
          push(`hf.${name}`, h.processMs ?? h.wallMs);
          push(`hfCall.${name}`, h.wallMs);
        } catch (error) {
          out.error(`HyperFrames ${name}`, error);
        }
      }
    }
  }
  // Frames decoded against the union: a count, the same in every run (one run each).
  const four = await cliOnce(specs.fourRecipes, ['--no-cache']);
  out.figure('ours.fourRecipes.metrics', four.metrics);
  const sameDecoded = (await cliOnce(specs.sameSource, ['--no-cache'])).metrics.framesDecoded;
  // Warm: one priming run, then fresh processes against the same cache.
  const cacheDir = path.join(tmp, `src-warm-cache-${process.pid}`);
  rmSync(cacheDir, { recursive: true, force: true });
  await cliOnce(specs.warm4, ['--cache-dir', cacheDir]);
  for (let i = 0; i < Math.max(5, ctx.repeats); i++) {
    const r = await cliOnce(specs.warm4, ['--cache-dir', cacheDir]);
    push('warm.engine', r.engine);
    push('warm.process', r.ms);
    push('warm.probes', r.metrics.probes);
  }
  rmSync(cacheDir, { recursive: true, force: true });

  const m = Object.fromEntries(
    Object.entries(runs).map(([key, list]) => {
      const value = round(median(list));
      out.figure(key, value, { runs: list.map((x) => round(x)) });
      return [key, value];
    }),
  );
  out.row({ case: 'decode floor: the same-source union decoded once (0–8.5 s, 255 frames of 1080p)', ms: m['floor.union'] });
  out.row({
    case: 'framesmith, same-source layout (3 recipes), CLI process',
    ms: m['ours.sameSource'],
    ref: ['HyperFrames', m['hf.sameSource']],
    goal: 0.5,
  });
  out.row({ case: 'framesmith, same-source layout, engine', ms: m['engine.sameSource'], ref: ['union floor', m['floor.union']] });
  out.row({
    case: 'framesmith, same-source layout, source passes vs one pass per recipe (before), CLI processes',
    ms: m['ours.sameSource'],
    ref: ['before', m['classic.sameSource']],
  });
  const versusUnion = (decoded, union) =>
    decoded == null ? 'pending' : `${decoded} decoded for a union of ${union} (${decoded - union >= 0 ? '+' : ''}${decoded - union})`;
  out.row({
    case: 'framesmith, same-source layout: source frames decoded (keyframe preroll included) vs the union of the windows (0–8.5 s)',
    text: versusUnion(sameDecoded, 255),
  });
  out.row({
    case: 'framesmith, four recipes of one source (source-pass test layout on the 1080p file): frames decoded vs the union (0–10 s)',
    text: `${versusUnion(four.metrics.framesDecoded, 300)}; goal ≤ 300`,
  });
  out.row({ case: 'framesmith, one native 1080p clip, CLI process', ms: m['ours.one'], ref: ['HyperFrames', m['hf.one']], goal: 0.6 });
  out.row({
    case: 'framesmith, one native clip, source pass vs one pass (before), CLI processes',
    ms: m['ours.one'],
    ref: ['before', m['classic.one']],
  });
  out.row({
    case: 'framesmith, three-sources layout, CLI process',
    ms: m['ours.threeSources'],
    ref: ['HyperFrames', m['hf.threeSources']],
  });
  out.row({
    case: 'framesmith, three-sources layout, source passes vs one pass per recipe (before), CLI processes',
    ms: m['ours.threeSources'],
    ref: ['before', m['classic.threeSources']],
    goal: 1.05,
  });
  out.row({
    case: 'framesmith, three-sources layout, the same, engine times',
    ms: m['engine.threeSources'],
    ref: ['before', m['classicEngine.threeSources']],
  });
  out.row({ case: 'HyperFrames, same-source layout (process)', ms: m['hf.sameSource'] });
  out.row({ case: 'HyperFrames, one native clip (process)', ms: m['hf.one'] });
  out.row({ case: `warm 4-video spec, fresh process: metrics.totalMs (${m['warm.probes']} ffprobe)`, ms: m['warm.engine'], limitMs: 50 });
  out.row({ case: 'warm 4-video spec, fresh process: whole process', ms: m['warm.process'] });

  for (const seconds of [2, 10, 30]) {
    const spec = writeSpec(`union-${seconds}s`, {
      videos: [
        { id: 'full', src: long, mediaStart: 0, duration: seconds, width: 1920, height: 1080 },
        { id: 'mid', src: long, mediaStart: seconds / 4, duration: seconds * 0.75, width: 640, height: 360 },
        { id: 'small', src: long, mediaStart: seconds / 2, duration: seconds / 2, width: 480, height: 270 },
      ],
    });
    const dir = path.join(tmp, `src-memory-${seconds}-${process.pid}`);
    const r = await run(process.execPath, [path.join(ROOT, 'bench/lib/extract-child.js'), spec, dir]);
    const json = lastJsonLine(r.stdout);
    if (r.code !== 0 || !json) {
      out.error(`memory ${seconds} s`, new Error(r.stderr.trim() || `exit ${r.code}`));
      continue;
    }
    out.figure(`memory.${seconds}s`, json);
    out.row({
      case: `peak memory, same-source union of ${seconds} s (3 recipes, ${json.frames} frames)`,
      text: `node ${json.memory.selfMaxRssMiB} MiB, ffmpeg ${json.memory.childMaxRssMiB.ffmpeg ?? '?'} MiB`,
    });
  }
}
