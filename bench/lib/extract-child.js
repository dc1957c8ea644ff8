#!/usr/bin/env node
/**
 * One extraction in a fresh process, for peak-memory figures: `node bench/lib/extract-child.js SPEC OUTDIR`
 * prints one JSON line { ms, frames, bytesWritten, memory: { selfMaxRssMiB, childMaxRssMiB } }.
 */
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { extractSpec, feature } from './framesmith.js';
import { startRssSampler } from './rss-sampler.js';

const [specPath, outDir] = process.argv.slice(2);
const { fn: extractVideos, missing } = await feature('extractVideos');
if (missing) {
  process.stderr.write(`${missing}\n`);
  process.exit(3);
}
const sampler = startRssSampler();
const start = performance.now();
const result = await extractSpec(extractVideos, specPath, outDir);
const ms = performance.now() - start;
const memory = sampler.stop();
rmSync(outDir, { recursive: true, force: true });
process.stdout.write(
  `${JSON.stringify({ ms: Math.round(ms), frames: result.metrics.framesExtracted, bytesWritten: result.metrics.bytesWritten, memory })}\n`,
);
