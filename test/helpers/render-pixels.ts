/**
 * Reading rendered output back by its pixels: decode with ffmpeg to raw RGB(A), find coloured boxes,
 * hash frames. Test compositions are small (320x180, ~1 s), so a whole decode fits in memory here.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runFfprobe, startFfmpeg } from '../../src/media/tools.js';

export interface DecodedVideo {
  width: number;
  height: number;
  channels: 3 | 4;
  frames: Buffer[];
}

/** Decodes every frame of `file` (a video, or a PNG sequence pattern) to rgb24 or rgba. */
export async function decodeFrames(
  file: string,
  options: { alpha?: boolean; width: number; height: number; inputArgs?: string[] },
): Promise<DecodedVideo> {
  const channels = options.alpha ? 4 : 3;
  const proc = await startFfmpeg(
    [
      ...(options.inputArgs ?? []),
      '-i',
      file,
      '-f',
      'rawvideo',
      '-pix_fmt',
      options.alpha ? 'rgba' : 'rgb24',
      '-vsync',
      'passthrough',
      'pipe:1',
    ],
    { stdout: 'pipe' },
  );
  const chunks: Buffer[] = [];
  proc.stdout!.on('data', (c: Buffer) => chunks.push(c));
  await proc.done;
  const all = Buffer.concat(chunks);
  const size = options.width * options.height * channels;
  const frames: Buffer[] = [];
  for (let offset = 0; offset + size <= all.length; offset += size) frames.push(all.subarray(offset, offset + size));
  if (all.length % size !== 0)
    throw new Error(`decoded ${all.length} bytes, not a multiple of a ${options.width}x${options.height}x${channels} frame`);
  return { width: options.width, height: options.height, channels, frames };
}

export function pixel(video: DecodedVideo, frame: number, x: number, y: number): number[] {
  const buf = video.frames[frame]!;
  const at = (y * video.width + x) * video.channels;
  return Array.from(buf.subarray(at, at + video.channels));
}

/**
 * The x of the left edge of the first run of pixels on row `y` close to `rgb` (each channel within
 * `tolerance`), or -1. A run must be at least 4 px long, so chroma fringes are not mistaken for it.
 */
export function leftEdge(video: DecodedVideo, frame: number, y: number, rgb: [number, number, number], tolerance = 90): number {
  let run = 0;
  for (let x = 0; x < video.width; x++) {
    const p = pixel(video, frame, x, y);
    const close = Math.abs(p[0]! - rgb[0]) <= tolerance && Math.abs(p[1]! - rgb[1]) <= tolerance && Math.abs(p[2]! - rgb[2]) <= tolerance;
    run = close ? run + 1 : 0;
    if (run === 4) return x - 3;
  }
  return -1;
}

export function hashFrames(video: DecodedVideo): string[] {
  return video.frames.map((f) => createHash('sha256').update(f).digest('hex'));
}

/** ffprobe's view of the first video stream, with frames counted by decoding. */
export async function probeVideo(file: string): Promise<Record<string, string>> {
  const { stdout } = await runFfprobe([
    '-v',
    'error',
    '-count_frames',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=codec_name,pix_fmt,width,height,nb_read_frames,color_space,color_primaries,color_transfer,color_range,r_frame_rate:stream_tags:format=format_name',
    '-of',
    'flat=s=_',
    file,
  ]);
  const info: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const m = /^(?:streams_stream_0_|format_)(.+?)="?(.*?)"?$/.exec(line.trim());
    if (m) info[m[1]!.toLowerCase()] = m[2]!;
  }
  return info;
}

/** Writes `files` (name → content) into a fresh temp directory and returns it. */
export async function makeProject(files: Record<string, string>, prefix = 'fs-render-test-'): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
  return dir;
}

/** A 320x180 page with the root `#root` and the given body markup, style and script. */
export function page(options: {
  body: string;
  style?: string;
  script?: string;
  duration?: number | string;
  fps?: number;
  width?: number;
  height?: number;
  head?: string;
  rootBackground?: string;
}): string {
  const { width = 320, height = 180, duration = 1, fps = 30 } = options;
  return `<!doctype html><html><head><meta charset="utf-8">${options.head ?? ''}<style>
html, body { margin: 0; }
#root { position: relative; width: ${width}px; height: ${height}px; overflow: hidden; background: ${options.rootBackground ?? '#000'}; }
${options.style ?? ''}
</style></head><body>
<div id="root" data-composition-id="main" data-width="${width}" data-height="${height}" data-fps="${fps}" data-duration="${duration}">
${options.body}
</div>
${options.script ? `<script>${options.script}</script>` : ''}
</body></html>`;
}
