/**
 * Bench media, generated with ffmpeg lavfi sources into .bench/media and reused between runs by name
 * (a file is only written when missing; written under a temporary name and renamed into place).
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { run } from './measure.js';

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
export const BENCH_DIR = path.join(ROOT, '.bench');
export const MEDIA_DIR = path.join(BENCH_DIR, 'media');

const X264 = ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20', '-pix_fmt', 'yuv420p', '-g', '60', '-movflags', '+faststart'];

/** name -> ffmpeg arguments (input and encoding; output path appended). */
const RECIPES = {
  // 1080p30 H.264 with a 2 s GOP, like a typical camera or editor export.
  'a-1080p-10s.mp4': ['-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30:duration=10', ...X264],
  'b-1080p-10s.mp4': ['-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30:duration=10', '-vf', 'hue=h=120', ...X264],
  'c-1080p-10s.mp4': ['-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30:duration=10', '-vf', 'hflip,hue=h=240', ...X264],
  'a-1080p-30s.mp4': ['-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30:duration=30', ...X264],
  // Three distinct 60 s sources for the plan of a 60 s composition (bench/compositions/plan-60s-1080p).
  'a-1080p-60s.mp4': ['-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30:duration=60', ...X264],
  'b-1080p-60s.mp4': ['-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30:duration=60', '-vf', 'hue=h=120', ...X264],
  'c-1080p-60s.mp4': ['-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30:duration=60', '-vf', 'hflip,hue=h=240', ...X264],
  // VFR: a 60 fps source keeping 3 of every 6 frames -> durations 1/60, 1/60, 4/60 s (30 fps average).
  'vfr-1080p-10s.mp4': [
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=1920x1080:rate=60:duration=10',
    '-vf',
    "select='lt(mod(n\\,6)\\,3)'",
    '-fps_mode',
    'vfr',
    ...X264,
  ],
  // Audio bed for the video composition.
  'bed-10s.m4a': ['-f', 'lavfi', '-i', 'sine=frequency=220:sample_rate=48000:duration=10', '-c:a', 'aac', '-b:a', '128k'],
  'bed-30s.m4a': ['-f', 'lavfi', '-i', 'sine=frequency=220:sample_rate=48000:duration=30', '-c:a', 'aac', '-b:a', '128k'],
};

/** Absolute path of bench media `name`, generating it first if missing. */
export async function media(name) {
  const recipe = RECIPES[name];
  if (!recipe) throw new Error(`bench: no recipe for media "${name}" (known: ${Object.keys(RECIPES).join(', ')})`);
  mkdirSync(MEDIA_DIR, { recursive: true });
  const out = path.join(MEDIA_DIR, name);
  if (existsSync(out)) return out;
  const tmp = path.join(MEDIA_DIR, `.tmp-${process.pid}-${name}`);
  process.stderr.write(`bench: generating ${name}\n`);
  const result = await run('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', ...recipe, tmp]);
  if (result.code !== 0) {
    rmSync(tmp, { force: true });
    throw new Error(`bench: generating ${name} failed (exit ${result.code}): ${result.stderr.trim()}`);
  }
  renameSync(tmp, out);
  return out;
}

/** Generates every listed media file (sequentially: the machine has 2 cores). */
export async function ensureMedia(names) {
  const paths = {};
  for (const name of names) paths[name] = await media(name);
  return paths;
}
