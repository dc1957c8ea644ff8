/**
 * Repeated frames are not sent to the encoder (src/encode/frame-stream.ts): frames equal to the one
 * before are left out of the timestamped stream and the `fps` filter puts them back. The output must be
 * the very encode of every frame sent: each format's output is decoded and compared, frame by frame,
 * with the same encoder fed every frame through image2pipe (the way frames were sent before), at 30 and
 * 30000/1001 fps, with holds in the middle and at the end, and an odd size (padded).
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVideoEncoder, type VideoEncoderOptions } from '../../src/encode/video.js';
import { encoderArgs } from '../../src/encode/video-args.js';
import { fillRepeats } from '../../src/encode/frame-stream.js';
import { runFfmpeg, startFfmpeg } from '../../src/media/tools.js';
import type { Rational } from '../../src/media/rational.js';
import { makeProject } from '../helpers/render-pixels.js';

let dir: string;
beforeAll(async () => {
  dir = await makeProject({}, 'fs-repeated-frames-');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `count` distinct images (testsrc2 with noise, so every frame differs) of one format. */
async function sourceImages(format: 'png' | 'jpeg', width: number, height: number, count: number, alpha: boolean): Promise<Buffer[]> {
  const pattern = path.join(dir, `src-${format}-${width}x${height}-${alpha ? 'a' : 'o'}-%03d.${format === 'png' ? 'png' : 'jpg'}`);
  const pix = alpha ? ',format=rgba,colorchannelmixer=aa=0.6' : '';
  await runFfmpeg([
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${width}x${height}:rate=30,noise=alls=60:allf=t${pix}`,
    '-frames:v',
    String(count),
    '-start_number',
    '0',
    ...(format === 'jpeg' ? ['-q:v', '3'] : []),
    pattern,
  ]);
  return Promise.all(Array.from({ length: count }, (_, i) => readFile(pattern.replace('%03d', String(i).padStart(3, '0')))));
}

/** Frame k shows image `plan[k]`: holds are runs of one index. */
const PLAN = [0, 1, 2, 3, 3, 3, 3, 3, 3, 3, 4, 5, 5, 6, 7, 7, 7, 7, 7];

/** MD5 of each decoded frame of `file`, in order (rgb24 or rgba). */
async function frameHashes(file: string, alpha: boolean): Promise<string[]> {
  // libvpx-vp9 decodes WebM's alpha (ffmpeg's own vp9 decoder drops it).
  const { stdout } = await runFfmpeg([
    '-v',
    'error',
    ...(alpha && file.endsWith('.webm') ? ['-c:v', 'libvpx-vp9'] : []),
    '-i',
    file,
    '-pix_fmt',
    alpha ? 'rgba' : 'rgb24',
    '-fps_mode',
    'passthrough',
    '-f',
    'framemd5',
    '-',
  ]);
  return stdout
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(',').at(-1)!.trim());
}

/** The same encode, every frame sent through image2pipe (the arguments of `encoderArgs` with that input and no fill). */
async function referenceEncode(options: VideoEncoderOptions, frames: Buffer[]): Promise<void> {
  const args = encoderArgs(options);
  const at = args.indexOf('pipe:0');
  const input = [
    '-f',
    'image2pipe',
    '-framerate',
    `${options.fps.num}/${options.fps.den}`,
    '-c:v',
    options.frameFormat === 'jpeg' ? 'mjpeg' : 'png',
    '-i',
    'pipe:0',
  ];
  const rest = args.slice(at + 1).map((a) => a.replace(`,${fillRepeats(options.fps)}`, ''));
  const proc = await startFfmpeg(['-y', ...input, ...rest], { stdin: 'pipe', stdout: 'ignore' });
  for (const f of frames) proc.stdin!.write(f);
  proc.stdin!.end();
  await proc.done;
}

interface Case {
  format: 'mp4' | 'webm' | 'mov';
  frameFormat: 'png' | 'jpeg';
  fps: Rational;
  width: number;
  height: number;
  alpha: boolean;
}

const CASES: Case[] = [
  { format: 'mp4', frameFormat: 'jpeg', fps: { num: 30, den: 1 }, width: 64, height: 48, alpha: false },
  { format: 'mp4', frameFormat: 'png', fps: { num: 30000, den: 1001 }, width: 63, height: 47, alpha: false },
  { format: 'webm', frameFormat: 'png', fps: { num: 25, den: 1 }, width: 64, height: 48, alpha: true },
  { format: 'mov', frameFormat: 'png', fps: { num: 24000, den: 1001 }, width: 64, height: 48, alpha: true },
];

describe('repeated frames', () => {
  for (const c of CASES) {
    it(`${c.format} from ${c.frameFormat} at ${c.fps.num}/${c.fps.den}${c.alpha ? ' with alpha' : ''}, ${c.width}x${c.height}: the same frames as sending every one`, async () => {
      const images = await sourceImages(c.frameFormat, c.width, c.height, 8, c.alpha);
      // Holds both as the same Buffer (a reused capture) and as equal bytes in another Buffer.
      const frames = PLAN.map((i, k) => (k % 2 ? Buffer.from(images[i]!) : images[i]!));
      const name = `${c.format}-${c.frameFormat}-${c.fps.num}`;
      const options: VideoEncoderOptions = {
        format: c.format,
        output: path.join(dir, `${name}.${c.format}`),
        width: c.width,
        height: c.height,
        fps: c.fps,
        frameFormat: c.frameFormat,
        alpha: c.alpha,
        quality: 'draft',
      };
      const encoder = await startVideoEncoder(options);
      for (const f of frames) await encoder.write(f);
      await encoder.finish();
      expect(encoder.framesWritten).toBe(PLAN.length);
      expect((encoder as unknown as { framesRepeated: number }).framesRepeated).toBe(PLAN.length - 8 - 1); // all but the 8 images and the last frame, sent again
      const reference = path.join(dir, `${name}-ref.${c.format}`);
      await referenceEncode({ ...options, output: reference }, frames);
      const [got, want] = await Promise.all([frameHashes(options.output, c.alpha), frameHashes(reference, c.alpha)]);
      expect(want).toHaveLength(PLAN.length);
      expect(got).toEqual(want);
    });
  }
});
