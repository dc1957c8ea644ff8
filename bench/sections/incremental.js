/**
 * Issue 22 item 4: re-render only what changed. Three equal scenes of 2 s (1280x720, 30 fps, 180
 * frames; each a title, a paragraph and a box moving with a CSS animation), rendered planned in chunks
 * of 30 (two chunks a scene) by whole CLI processes (`bin/framesmith.js render --json`, one browser),
 * with a cache directory of their own:
 *
 * - clean: `--no-incremental` on an empty cache (the reference: no fingerprints, nothing stored);
 * - cold: incremental on an empty cache (every frame fingerprinted before its screenshot, every segment stored);
 * - edited: the title of scene 2 changed, incremental (scenes 1 and 3 checked frame by frame and reused);
 * - unchanged: the same again (assembled from the record of the edited render: no plan, no browser).
 *
 * Wall: the whole process (Node start included). CPU: the whole process tree, user + system
 * (`/usr/bin/time`: Node, Chromium, ffmpeg). Goals: edited ÷ cold ≤ 0.40, unchanged ÷ cold ≤ 0.10.
 * One run per case unless BENCH_REPEATS says otherwise (medians).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { median, round, run } from '../lib/measure.js';
import { ROOT } from '../lib/media.js';

const BIN = path.join(ROOT, 'bin/framesmith.js');
const CHUNK = 30;

function html(title2, seconds = 2) {
  const scene = (n, title, start) => `<section class="scene" id="s${n}" data-start="${start}" data-duration="${seconds}">
<h1>${title}</h1><p>Scene ${n} of three: a paragraph of text that wraps over a few lines, as a slide would have it, with some words in <b>bold</b>.</p>
<div class="box"></div></section>`;
  return `<!doctype html><html><head><style>
html,body{margin:0}
#root{position:relative;width:1280px;height:720px;overflow:hidden;background:linear-gradient(135deg,#102030,#304050);color:#fff;font-family:sans-serif}
.scene{position:absolute;inset:0;padding:60px}
h1{font-size:72px;margin:0 0 24px}
p{font-size:32px;max-width:900px;line-height:1.3}
.box{position:absolute;left:60px;bottom:60px;width:80px;height:80px;border-radius:12px;background:#e04040;animation:move ${seconds}s ease-in-out forwards}
@keyframes move{to{left:1140px;transform:rotate(180deg)}}
</style></head><body>
<div id="root" data-composition-id="main" data-width="1280" data-height="720" data-fps="30" data-duration="${3 * seconds}">
${scene(1, 'The first scene', 0)}
${scene(2, title2, seconds)}
${scene(3, 'The third scene', 2 * seconds)}
</div></body></html>`;
}

export async function incrementalSection(ctx) {
  const out = ctx.section('incremental', 'Incremental re-render (issue 22 item 4): 3 scenes x 2 s, 1280x720, chunks of 30, one browser');
  // Not in run.js's table of repeats: one run unless BENCH_REPEATS asks for more (it is heavy).
  const repeats = ctx.repeats ?? 1;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'framesmith-incremental-'));
  const project = path.join(tmp, 'project');
  const load = () =>
    os
      .loadavg()
      .map((x) => round(x, 2))
      .join(' / ');
  out.note(`Load average at the start ${load()}; ${repeats} run(s) per case, medians.`);
  const once = async (cache, extra) => {
    const r = await run(
      '/usr/bin/time',
      [
        '-f',
        'TREE_CPU %U %S',
        process.execPath,
        BIN,
        'render',
        project,
        '-o',
        path.join(tmp, 'out.mp4'),
        '--chunk-frames',
        String(CHUNK),
        '--workers',
        '1',
        '--cache-dir',
        cache,
        '--json',
        ...extra,
      ],
      { env: { ...process.env, FRAMESMITH_CACHE_DIR: 'off' } },
    );
    if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr.slice(-600)}`);
    const tree = /TREE_CPU ([\d.]+) ([\d.]+)/.exec(r.stderr);
    const result = JSON.parse(r.stdout.slice(r.stdout.indexOf('{')));
    return { ms: r.ms, cpuMs: tree ? (Number(tree[1]) + Number(tree[2])) * 1000 : null, result };
  };
  const cases = { clean: [], cold: [], edited: [], unchanged: [] };
  // The same with 5 s scenes, as many runs (BENCH_INCREMENTAL_LONG=0 skips it): how much of the ratio
  // is the fixed cost of a render (Node, the plan's browser, assembly) rather than the frames.
  const long = process.env.BENCH_INCREMENTAL_LONG !== '0' ? { cold: [], edited: [], unchanged: [] } : null;
  try {
    for (let i = 0; long && i < repeats; i++) {
      const cache = path.join(tmp, `cache-long-${i}`);
      mkdirSync(project, { recursive: true });
      writeFileSync(path.join(project, 'index.html'), html('The second scene', 5));
      long.cold.push(await once(cache, []));
      writeFileSync(path.join(project, 'index.html'), html(`The second scene, take ${i + 2}`, 5));
      long.edited.push(await once(cache, []));
      long.unchanged.push(await once(cache, []));
    }
    for (let i = 0; i < repeats; i++) {
      const cache = path.join(tmp, `cache-${i}`);
      mkdirSync(project, { recursive: true });
      writeFileSync(path.join(project, 'index.html'), html('The second scene'));
      cases.clean.push(await once(path.join(tmp, `clean-cache-${i}`), ['--no-incremental']));
      cases.cold.push(await once(cache, []));
      writeFileSync(path.join(project, 'index.html'), html(`The second scene, take ${i + 2}`));
      cases.edited.push(await once(cache, []));
      cases.unchanged.push(await once(cache, []));
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const wall = (name) => round(median(cases[name].map((r) => r.ms)));
  const cpu = (name) => round(median(cases[name].map((r) => r.cpuMs ?? 0)));
  const cold = wall('cold');
  const fingerprint = cases.cold.at(-1).result.chunks.flatMap((c) => (c.incremental ? [c.incremental.pageMs] : []));
  const frames = cases.cold.at(-1).result.frames;
  out.figure('fingerprintMsPerFrame', round(fingerprint.reduce((a, b) => a + b, 0) / frames, 2));
  const describe = {
    clean: 'clean (--no-incremental, empty cache)',
    cold: 'cold (incremental, empty cache: every frame fingerprinted, segments stored)',
    edited: 'scene 2 title edited',
    unchanged: 'unchanged (assembled from the record: no browser)',
  };
  for (const name of Object.keys(cases)) {
    const last = cases[name].at(-1).result;
    const inc = last.incremental ? `; reused ${last.incremental.reusedChunks} of ${last.chunks.length} chunks` : '';
    out.row({
      case: `${describe[name]}: wall of the whole process${inc}; CPU of its tree ${cpu(name)} ms`,
      ms: wall(name),
      ...(name === 'edited' ? { ref: ['cold', cold], goal: 0.4 } : name === 'unchanged' ? { ref: ['cold', cold], goal: 0.1 } : {}),
      ...(name === 'cold' ? { ref: ['clean', wall('clean')] } : {}),
    });
  }
  if (long) {
    const label = { cold: 'cold', edited: 'scene 2 title edited', unchanged: 'unchanged (from the record)' };
    const longWall = (name) => round(median(long[name].map((r) => r.ms)));
    for (const name of ['cold', 'edited', 'unchanged']) {
      const r = long[name].at(-1);
      out.row({
        case: `5 s scenes (450 frames), ${label[name]}: wall of the whole process; reused ${r.result.incremental.reusedChunks} of ${r.result.chunks.length} chunks; CPU of its tree ${round(median(long[name].map((x) => x.cpuMs ?? 0)))} ms`,
        ms: longWall(name),
        ...(name === 'cold' ? {} : { ref: ['5 s cold', longWall('cold')], goal: name === 'edited' ? 0.4 : 0.1 }),
      });
    }
  }
  out.note(
    `Fingerprint in the page: ${round(fingerprint.reduce((a, b) => a + b, 0) / frames, 2)} ms a frame on average (cold run, ${frames} frames; CDP round trip not counted).`,
  );
  out.note(`Load average at the end ${load()}.`);
}
