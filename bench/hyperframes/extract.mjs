#!/usr/bin/env node
/**
 * Runs HyperFrames' extractor (`extractAllVideoFrames` from @hyperframes/engine) on one of our
 * extraction spec files and prints one JSON line with its wall time. Run under Node 22 (HyperFrames
 * needs it) from .bench/hyperframes (see bench/setup-hyperframes.sh):
 *
 *   node22 bench/hyperframes/extract.mjs SPEC.json [--out DIR] [--memory]
 *
 * Spec: { "fps": 30, "format": "auto", "videos": [ { "id", "src", "mediaStart", "duration",
 * "playbackRate", "loop", "width", "height" } ] }; relative `src` resolves against the spec's directory.
 * Mapping: each video is on screen from composition time 0 to `duration` (HyperFrames' `start`/`end`),
 * with the same trim, rate and loop. HyperFrames has no display size: `width`/`height` are ignored and it
 * decodes at the source size. Its extraction cache is off (no `extractCacheDir`), like `cache: false`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { startRssSampler } from '../lib/rss-sampler.js';

const here = path.dirname(new URL(import.meta.url).pathname);
const root = path.resolve(here, '../..');
const args = process.argv.slice(2);
const specPath = path.resolve(args.find((a) => !a.startsWith('--')) ?? usage());
const outArg = args.indexOf('--out');
const wantMemory = args.includes('--memory');

function usage() {
  process.stderr.write('usage: extract.mjs SPEC.json [--out DIR] [--memory]\n');
  process.exit(2);
}

function sourceDuration(file) {
  const out = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file], { encoding: 'utf8' });
  return Number(out.trim());
}

const hfDir = process.env.HYPERFRAMES_DIR ?? path.join(root, '.bench/hyperframes');
// The engine's package exports only an `import` condition, so resolve its entry from package.json.
const engineDir = path.join(hfDir, 'node_modules/@hyperframes/engine');
const enginePkg = JSON.parse(readFileSync(path.join(engineDir, 'package.json'), 'utf8'));
const engine = await import(pathToFileURL(path.join(engineDir, enginePkg.exports['.'].import)).href);

const spec = JSON.parse(readFileSync(specPath, 'utf8'));
const baseDir = path.dirname(specPath);
const videos = spec.videos.map((v) => {
  const mediaStart = v.mediaStart ?? 0;
  const rate = v.playbackRate ?? 1;
  const duration = v.duration ?? (sourceDuration(path.resolve(baseDir, v.src)) - mediaStart) / rate;
  return { id: v.id, src: v.src, start: 0, end: duration, mediaStart, playbackRate: rate, loop: v.loop ?? false, hasAudio: false };
});

const outputDir = outArg >= 0 ? path.resolve(args[outArg + 1]) : mkdtempSync(path.join(root, '.bench/tmp-hf-extract-'));
const sampler = wantMemory ? startRssSampler() : null;
const start = performance.now();
const result = await engine.extractAllVideoFrames(videos, baseDir, { fps: spec.fps, outputDir, format: spec.format ?? 'auto' });
const wallMs = performance.now() - start;
const memory = sampler?.stop();
if (outArg < 0) rmSync(outputDir, { recursive: true, force: true });

process.stdout.write(
  `${JSON.stringify({
    ok: result.success && result.errors.length === 0,
    wallMs: Math.round(wallMs * 10) / 10,
    engineMs: result.durationMs,
    frames: result.totalFramesExtracted,
    perVideo: result.extracted.map((e) => ({ id: e.videoId, frames: e.totalFrames, width: e.metadata?.width, height: e.metadata?.height })),
    errors: result.errors,
    phaseBreakdown: result.phaseBreakdown,
    ...(memory ? { memory } : {}),
  })}\n`,
);
