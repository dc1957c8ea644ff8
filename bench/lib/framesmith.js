/**
 * framesmith as the bench sees it: the built package's internal entry (dist/internal.js: every module's exports), loaded once; sections ask for the
 * feature they measure and skip with a note when it is not built yet.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './media.js';

let loaded;

/** The dist module, or `{ missing: reason }` when dist is not built. */
export async function framesmith() {
  if (loaded) return loaded;
  const entry = path.join(ROOT, 'dist/internal.js');
  if (!existsSync(entry)) {
    loaded = { missing: 'dist/internal.js missing: run `npm run build` (npm run bench does)' };
    return loaded;
  }
  try {
    loaded = await import(pathToFileURL(entry).href);
  } catch (error) {
    loaded = { missing: `dist/internal.js failed to load: ${error.message}` };
  }
  return loaded;
}

/**
 * The export `name` if it is a function, else a note saying what is missing. `fallback` (a dist-relative
 * module) is tried when the public entry does not export it yet; `via` then says where it came from.
 */
export async function feature(name, fallback) {
  const fs = await framesmith();
  if (fs.missing) return { missing: fs.missing };
  if (typeof fs[name] === 'function') return { fn: fs[name], module: fs };
  const missing = `\`${name}\` is not exported from dist/internal.js yet`;
  if (!fallback || !existsSync(path.join(ROOT, 'dist', fallback))) return { missing };
  try {
    const mod = await import(pathToFileURL(path.join(ROOT, 'dist', fallback)).href);
    if (typeof mod[name] === 'function') return { fn: mod[name], module: mod, via: `dist/${fallback} (${missing})` };
  } catch (error) {
    return { missing: `${missing}; dist/${fallback} failed to load: ${error.message}` };
  }
  return { missing };
}

/** Reads a spec file into `extractVideos` arguments (relative `src` against the spec's directory). */
export function readSpec(specPath) {
  const spec = JSON.parse(readFileSync(specPath, 'utf8'));
  return { spec, baseDir: path.dirname(path.resolve(specPath)) };
}

/**
 * Runs `extractVideos` on a spec and checks the result: every video extracted, no errors. Extra options
 * (cache, concurrency) override the defaults (`cache: false`).
 */
export async function extractSpec(extractVideos, specPath, outDir, extra = {}) {
  const { spec, baseDir } = readSpec(specPath);
  const result = await extractVideos(spec.videos, {
    fps: spec.fps,
    format: spec.format ?? 'auto',
    outDir,
    baseDir,
    cache: false,
    ...extra,
  });
  if (result.errors.length > 0) throw new Error(`extractVideos reported errors: ${JSON.stringify(result.errors)}`);
  if (result.extracted.length !== spec.videos.length)
    throw new Error(`extractVideos returned ${result.extracted.length} of ${spec.videos.length} videos`);
  return result;
}
