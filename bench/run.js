#!/usr/bin/env node
/**
 * `npm run bench` (builds first) or `node bench/run.js [extract] [cache] [render] [video] [subcomp] [sources] [chunks] [chunkcost] [decode] [plan]`.
 * Measures framesmith side by side with the physical floor and HyperFrames in one run, writes
 * .bench/results.json and prints markdown tables for BENCHMARKS.md. BENCH_REPEATS=N sets the runs
 * per timed case (median reported; default 3 for extraction, 1–2 for renders).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hyperframes } from './lib/hyperframes.js';
import { machineInfo } from './lib/machine.js';
import { BENCH_DIR } from './lib/media.js';
import { repeats } from './lib/measure.js';
import { Report } from './lib/report.js';
import { extractSection } from './sections/extract.js';
import { cacheSection } from './sections/cache.js';
import { renderSection } from './sections/render.js';
import { videoSection } from './sections/video.js';
import { subcompSection } from './sections/subcomp.js';
import { sourcesSection } from './sections/sources.js';
import { chunksSection } from './sections/chunks.js';
import { chunkCostSection } from './sections/chunkcost.js';
import { decodeSection } from './sections/decode.js';
import { planSection } from './sections/plan.js';
import { captureSection } from './sections/capture.js';
import { incrementalSection } from './sections/incremental.js';

const SECTIONS = {
  extract: extractSection,
  cache: cacheSection,
  render: renderSection,
  video: videoSection,
  subcomp: subcompSection,
  sources: sourcesSection,
  chunks: chunksSection,
  chunkcost: chunkCostSection,
  decode: decodeSection,
  plan: planSection,
  capture: captureSection,
  incremental: incrementalSection,
};

const asked = process.argv.slice(2);
const unknown = asked.filter((name) => !(name in SECTIONS));
if (unknown.length) {
  process.stderr.write(`bench: unknown section(s) ${unknown.join(', ')}; choose from ${Object.keys(SECTIONS).join(', ')}\n`);
  process.exit(2);
}
const chosen = asked.length ? asked : Object.keys(SECTIONS);

mkdirSync(BENCH_DIR, { recursive: true });
// Our frame cache is opt-in per case (the cache and video sections set it); everything else runs cold.
process.env.FRAMESMITH_CACHE_DIR = 'off';
const report = new Report(await machineInfo());
const hf = hyperframes();
if (hf.missing) process.stderr.write(`bench: ${hf.missing}; HyperFrames figures will be skipped\n`);

for (const name of chosen) {
  const ctx = {
    hf,
    repeats: repeats(
      { extract: 3, cache: 3, render: 2, video: 1, subcomp: 2, sources: 3, chunks: 2, chunkcost: 1, decode: 1, plan: 3, capture: 1 }[name],
    ),
    section: (key, title) => report.section(key, title),
  };
  try {
    await SECTIONS[name](ctx);
  } catch (error) {
    report.section(`${name}-failed`, `${name}: failed`).error(name, error);
    process.stderr.write(`${error.stack ?? error}\n`);
  }
}
rmSync(path.join(BENCH_DIR, 'tmp'), { recursive: true, force: true });

report.machine.loadEnd = os.loadavg().map((x) => Math.round(x * 100) / 100);
if (!hf.missing) report.machine.hyperframes = hf.version;
const file = path.join(BENCH_DIR, 'results.json');
writeFileSync(file, `${JSON.stringify(report.toJSON(), null, 2)}\n`);
process.stdout.write(`${report.markdown()}\n`);
process.stderr.write(`bench: wrote ${file}\n`);
