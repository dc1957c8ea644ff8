/**
 * Issue 22, item 1: the plan phase of a planned render, which extracts nothing any more (the chunks
 * extract the frames their ranges show). On bench/compositions/plan-60s-1080p (60 s, 1920×1080, three
 * 1080p videos): each repeat a fresh process (bench/lib/plan-child.js) planning into a new storage
 * directory — parse, probes, browser and page (the size and where each video is drawn), the recipes,
 * the frozen plan with the three sources copied in:
 *
 * - cold: no cache directory, so every probe runs and every source is hashed (SHA-256, its identity);
 * - warm: a cache directory from an earlier run (probes and source hashes remembered), a new storage
 *   (the sources copied in);
 * - edit: as warm, into a storage holding the plan before an edit of the title (a new plan, whose
 *   sources are linked from the earlier one): the iterate-and-render-again case.
 *
 * The goal is ≤ 1 s. Reported: wall time of `planRender` in the child (engine), the child's own CPU
 * time during it (the browser's not counted), the extraction processes it started (must be 0).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stageComposition } from '../lib/compositions.js';
import { median, round, run } from '../lib/measure.js';
import { BENCH_DIR, ROOT } from '../lib/media.js';

const CHILD = path.join(ROOT, 'bench/lib/plan-child.js');

export async function planSection(ctx) {
  const out = ctx.section(
    'plan',
    'Plan phase without extraction (issue 22): 60 s 1080p, three 1080p videos (bench/compositions/plan-60s-1080p)',
  );
  const dir = await stageComposition('plan-60s-1080p');
  const cacheDir = path.join(BENCH_DIR, 'tmp', 'plan-cache');
  rmSync(cacheDir, { recursive: true, force: true });
  out.note(
    `Median of ${ctx.repeats} run(s), each a fresh process planning into a new storage directory; wall = planRender in that process (browser start included), CPU = that process's user + system during it (the browser's not counted).`,
  );
  const html = path.join(dir, 'index.html');
  const original = readFileSync(html, 'utf8');
  let edits = 0;
  const once = async (name, cache) => {
    const storage = path.join(BENCH_DIR, 'tmp', `plan-storage-${name === 'edit' ? 'kept' : name}`);
    if (name === 'edit') writeFileSync(html, original.replace('a light planner', `a light planner, take ${++edits}`));
    else rmSync(storage, { recursive: true, force: true });
    mkdirSync(storage, { recursive: true });
    // /usr/bin/time: the CPU of the whole process tree (Node's start and imports, the browser, ffprobe).
    const r = await run('/usr/bin/time', ['-f', 'TREE_CPU %U %S', process.execPath, CHILD, dir, storage], {
      env: { ...process.env, FRAMESMITH_CACHE_DIR: cache },
    });
    if (name !== 'edit' && name !== 'kept') rmSync(storage, { recursive: true, force: true });
    if (r.code !== 0) throw new Error(`${name}: exit ${r.code}: ${r.stderr.slice(-600)}`);
    const tree = /TREE_CPU ([\d.]+) ([\d.]+)/.exec(r.stderr);
    return { ...JSON.parse(r.stdout.trim().split('\n').at(-1)), treeCpuMs: tree ? (Number(tree[1]) + Number(tree[2])) * 1000 : null };
  };
  const cases = { cold: 'off', warm: cacheDir, edit: cacheDir };
  // The warm cache directory and the kept storage are filled once first (not counted).
  rmSync(path.join(BENCH_DIR, 'tmp', 'plan-storage-kept'), { recursive: true, force: true });
  await once('kept', cacheDir);
  for (const [name, cache] of Object.entries(cases)) {
    const runs = [];
    for (let i = 0; i < ctx.repeats; i++) {
      try {
        runs.push(await once(name, cache));
      } catch (error) {
        out.error(`plan ${name}`, error);
      }
    }
    if (runs.length === 0) continue;
    const last = runs.at(-1);
    out.figure(`${name}`, round(median(runs.map((r) => r.ms))), { runs, cpuMs: round(median(runs.map((r) => r.cpuMs))) });
    out.row({
      case: `plan phase, ${{ cold: 'cold (sources hashed, every probe run)', warm: 'warm cache directory (probes and source hashes remembered)', edit: 'after an edit (warm, sources linked from the plan before it)' }[name]}: parse ${last.timings.parse} ms, load ${last.timings.load} ms, freeze ${last.timings.plan} ms; ${last.passes} extraction processes; plan ${round(last.bytes / 1e6)} MB with its sources`,
      ms: round(median(runs.map((r) => r.ms))),
      ref: ['goal', 1000],
    });
    out.row({
      case: `plan phase, ${name}: CPU of the planning process during planRender (user + system, browser not counted)`,
      ms: round(median(runs.map((r) => r.cpuMs))),
    });
    out.row({
      case: `plan phase, ${name}: CPU of the whole process tree (Node start and imports, browser, ffprobe; user + system)`,
      ms: round(median(runs.map((r) => r.treeCpuMs))),
    });
  }
  writeFileSync(html, original);
  rmSync(path.join(BENCH_DIR, 'tmp', 'plan-storage-kept'), { recursive: true, force: true });
}
