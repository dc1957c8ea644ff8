/**
 * `framesmith render` with HyperFrames' picture flags, as a user runs them: --resolution,
 * --video-frame-format, --hdr and --sdr render (exit 0, the file checked by ffprobe; the first as the
 * built CLI in a child process, the HDR one in-process), and a preset that does not fit, an unknown
 * one, or flags that exclude each other exit 2 with a message naming the flag and the fix, writing
 * nothing (in-process: cli-in-process.ts).
 */
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { runCli } from '../helpers/render-cli.js';
import { makeProject, page, probeVideo } from '../helpers/render-pixels.js';

let project: string;
let square: string;

beforeAll(async () => {
  const body = '<div style="position:absolute;left:10px;top:10px;width:40px;height:40px;background:#fff"></div>';
  project = await makeProject({ 'index.html': page({ duration: 0.1, body }) });
  square = await makeProject({ 'index.html': page({ duration: 0.1, width: 320, height: 240, body }) });
});

afterAll(async () => {
  for (const dir of [project, square]) if (dir) await rm(dir, { recursive: true, force: true });
});

describe('render --resolution / --video-frame-format / --hdr / --sdr', () => {
  it('renders at a preset with --resolution 1080p --video-frame-format png --sdr', async () => {
    const output = path.join(project, 'hd.mp4');
    const run = await runCli([
      'render',
      project,
      '-o',
      output,
      '--resolution',
      '1080p',
      '--video-frame-format',
      'png',
      '--sdr',
      '--json',
      '--no-cache',
    ]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ output, width: 1920, height: 1080, frames: 3 });
    expect(await probeVideo(output)).toMatchObject({ codec_name: 'h264', width: '1920', height: '1080', color_transfer: 'bt709' });
  });

  it('renders HDR mp4 with --hdr', async () => {
    const output = path.join(project, 'hdr.mp4');
    const run = await runCliInProcess(['render', project, '-o', output, '--hdr', '-q', '--no-cache']);
    expect(run.code).toBe(0);
    expect(await probeVideo(output)).toMatchObject({
      codec_name: 'hevc',
      pix_fmt: 'yuv420p10le',
      color_primaries: 'bt2020',
      color_transfer: 'arib-std-b67',
      width: '320',
      height: '180',
    });
  });

  const usage: Array<[string, () => string, string[], RegExp]> = [
    [
      'a preset of another aspect',
      () => square,
      ['--resolution', '4k'],
      /--resolution 4k \(landscape-4k, 3840x2160\) does not have the aspect of the composition .*index\.html is 320x240/,
    ],
    ['an unknown preset', () => project, ['--resolution', '720p'], /--resolution "720p" is not a preset: use one of landscape, portrait/],
    ['--resolution with --hdr', () => project, ['--resolution', '1080p', '--hdr'], /--resolution cannot be combined with --hdr/],
    ['--hdr with --sdr', () => project, ['--hdr', '--sdr'], /--hdr and --sdr exclude each other; pick one/],
    ['an unknown --video-frame-format', () => project, ['--video-frame-format', 'webp'], /--video-frame-format.*webp.*auto, jpg, png/],
    ['an unknown --video-decode', () => project, ['--video-decode', 'gpu'], /--video-decode.*gpu.*auto, page, ffmpeg/],
  ];
  for (const [what, dir, flags, message] of usage) {
    it(`exits 2 for ${what}, writing nothing`, async () => {
      const before = await readdir(dir());
      const output = path.join(dir(), 'refused.mp4');
      const run = await runCliInProcess(['render', dir(), '-o', output, ...flags, '--no-cache']);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(existsSync(output)).toBe(false);
      expect(await readdir(dir())).toEqual(before);
    });
  }
});
