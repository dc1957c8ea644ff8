/**
 * Bench compositions live in bench/compositions/<name>/ as HTML only. Before rendering, a composition is
 * staged into .bench/work/<name>/: its files copied and the media named in its media.json hard-linked
 * from .bench/media (generated on demand), so both renderers serve the same self-contained directory.
 */
import { cpSync, existsSync, linkSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { BENCH_DIR, ROOT, media } from './media.js';
import { run } from './measure.js';

export async function stageComposition(name) {
  const from = path.join(ROOT, 'bench/compositions', name);
  const to = path.join(BENCH_DIR, 'work', name);
  rmSync(to, { recursive: true, force: true });
  mkdirSync(path.dirname(to), { recursive: true });
  cpSync(from, to, { recursive: true });
  const list = path.join(from, 'media.json');
  if (existsSync(list)) {
    for (const [rel, name] of Object.entries(JSON.parse(readFileSync(list, 'utf8')))) {
      const target = path.join(to, rel);
      mkdirSync(path.dirname(target), { recursive: true });
      linkSync(await media(name), target);
    }
  }
  return to;
}

/** Frame count, size and streams of a rendered file (ffprobe), to check a render produced what it should. */
export async function probeOutput(file) {
  const r = await run('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'stream=codec_type,codec_name,width,height,nb_frames',
    '-of',
    'json',
    file,
  ]);
  if (r.code !== 0) return { error: r.stderr.trim() };
  const streams = JSON.parse(r.stdout).streams ?? [];
  const video = streams.find((s) => s.codec_type === 'video');
  return {
    frames: video ? Number(video.nb_frames) : 0,
    width: video?.width,
    height: video?.height,
    audio: streams.some((s) => s.codec_type === 'audio'),
  };
}

/** Output directory for renders of this run. */
export function outputPath(file) {
  const dir = path.join(BENCH_DIR, 'out');
  mkdirSync(dir, { recursive: true });
  return path.join(dir, file);
}
