/**
 * One plan phase in a fresh process, for the `plan` section: `node bench/lib/plan-child.js <composition
 * dir> <storage dir>` plans the render of the composition into the storage (dist/internal.js:
 * `planRender`, nothing rendered) and prints one JSON line: the plan phase's wall time (ms), its own
 * timings, the CPU time of this process during it (ms, user + system: the browser's is not included),
 * the extraction processes it started, the plan's size and its video-frames report.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './media.js';

const [dir, storage] = process.argv.slice(2);
// BENCH_DIST: a copy of dist/ beside it (a build of its own, untouched by a rebuild during the run).
const fs = await import(pathToFileURL(path.join(process.env.BENCH_DIST ?? path.join(ROOT, 'dist'), 'internal.js')).href);
const options = fs.resolveRenderOptions(dir, { output: path.join(storage, 'unused.mp4'), storage, chunkFrames: 240 });
const cpu = process.cpuUsage();
const passes = fs.passStats.runs;
const started = performance.now();
const planned = await fs.planRender(options, storage);
const ms = performance.now() - started;
const used = process.cpuUsage(cpu);
process.stdout.write(
  `${JSON.stringify({
    ms,
    cpuMs: (used.user + used.system) / 1000,
    timings: planned.timings,
    passes: fs.passStats.runs - passes,
    bytes: planned.frozen.bytes,
    files: planned.frozen.plan.files.length,
    videos: planned.result.stages['video-frames'],
  })}\n`,
);
process.exit(0);
