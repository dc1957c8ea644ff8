/**
 * Extraction spec files (the JSON both our extractor and the HyperFrames adapter read), written to
 * .bench/specs/<name>.json with `src` relative to that directory.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BENCH_DIR } from './media.js';

export const SPEC_DIR = path.join(BENCH_DIR, 'specs');

/** Writes `{ fps, format, videos }` (videos' `src` absolute paths made relative); returns the file path. */
export function writeSpec(name, { fps = 30, format = 'auto', videos }) {
  mkdirSync(SPEC_DIR, { recursive: true });
  const file = path.join(SPEC_DIR, `${name}.json`);
  const rel = videos.map((v) => ({ ...v, src: path.relative(SPEC_DIR, v.src) }));
  writeFileSync(file, `${JSON.stringify({ fps, format, videos: rel }, null, 2)}\n`);
  return file;
}

/** Slots a clip of `duration` seconds fills at `fps`: ceil(duration * fps). */
export function slots(duration, fps = 30) {
  return Math.ceil(duration * fps - 1e-9);
}
