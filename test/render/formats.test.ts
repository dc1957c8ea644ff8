/**
 * Output formats, checked by probing and decoding the output: MP4 (H.264, yuv420p, BT.709 tags, an odd
 * size padded to even), WebM (VP9) with alpha when the stage is transparent and without when it is
 * opaque, a PNG sequence (RGBA, exact size, numbered from 0), MOV (ProRes 4444 with alpha), GIF (frame
 * count, delays, palette), rate control (--crf, --video-bitrate) and a frame range.
 */
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render } from '../../src/render.js';
import { runFfprobe } from '../../src/media/tools.js';
import { decodeMono, findBursts, makeBeepFile } from '../helpers/audio-media.js';
import { writeFile } from 'node:fs/promises';
import { pngFrameName } from '../../src/encode/video.js';
import { SEQUENCE_MARKER } from '../../src/render/output-guard.js';
import { decodeFrames, leftEdge, makeProject, pixel, probeVideo } from '../helpers/render-pixels.js';

const transparentPage = (width: number, height: number) => `<!doctype html><html><head><style>
html, body { margin: 0; background: transparent; }
#root { position: relative; width: ${width}px; height: ${height}px; }
#box { position: absolute; left: 20px; top: 20px; width: 40px; height: 40px; background: #f00; animation: m 1s linear both; }
@keyframes m { to { transform: translateX(200px); } }
</style></head><body><div id="root" data-composition-id="t" data-width="${width}" data-height="${height}" data-fps="10" data-duration="1">
<div id="box"></div></div></body></html>`;

let transparent: string;
let opaque: string;
let odd: string;

beforeAll(async () => {
  transparent = await makeProject({ 'index.html': transparentPage(320, 180) });
  opaque = await makeProject({ 'index.html': transparentPage(320, 180).replace('background: transparent', 'background: #00f') });
  odd = await makeProject({ 'index.html': transparentPage(321, 181).replace('background: transparent', 'background: #00f') });
});

afterAll(async () => {
  for (const dir of [transparent, opaque, odd]) await rm(dir, { recursive: true, force: true });
});

describe('output formats', () => {
  it('webm of a transparent stage: VP9 with an alpha channel, transparent where nothing is drawn', async () => {
    const output = path.join(transparent, 'out.webm');
    const result = await render(transparent, { output, workers: 1 });
    expect(result.format).toBe('webm');
    const info = await probeVideo(output);
    expect(info).toMatchObject({ codec_name: 'vp9', width: '320', height: '180', nb_read_frames: '10', tags_alpha_mode: '1' });
    // ffmpeg's native VP9 decoder drops alpha; libvpx keeps it.
    const video = await decodeFrames(output, { width: 320, height: 180, alpha: true, inputArgs: ['-c:v', 'libvpx-vp9'] });
    expect(video.frames).toHaveLength(10);
    const corner = pixel(video, 0, 300, 160);
    expect(corner[3]).toBeLessThan(10);
    const box = pixel(video, 0, 40, 40);
    expect(box[3]).toBeGreaterThan(245);
    expect(box[0]).toBeGreaterThan(200);
    // Frame 5 (0.5 s): the box moved 100 px.
    expect(pixel(video, 5, 140, 40)[3]).toBeGreaterThan(245);
    expect(pixel(video, 5, 40, 40)[3]).toBeLessThan(10);
  });

  it('webm of an opaque stage: VP9 yuv420p without alpha', async () => {
    const output = path.join(opaque, 'out.webm');
    await render(opaque, { output, workers: 1, quality: 'draft' });
    const info = await probeVideo(output);
    expect(info).toMatchObject({ codec_name: 'vp9', pix_fmt: 'yuv420p', nb_read_frames: '10' });
    expect(info.tags_alpha_mode).toBeUndefined();
  });

  it('png sequence: one RGBA PNG per frame, numbered from 0, exact size, alpha kept', async () => {
    const output = path.join(transparent, 'frames');
    const result = await render(transparent, { output, format: 'png', workers: 2 });
    expect(result.output).toBe(output);
    const names = (await readdir(output)).sort();
    // The frames, and the marker that lets a later render replace this directory.
    expect(names).toEqual([SEQUENCE_MARKER, ...Array.from({ length: 10 }, (_, i) => pngFrameName(i))]);
    const frame3 = await decodeFrames(path.join(output, pngFrameName(3)), { width: 320, height: 180, alpha: true });
    expect(frame3.frames).toHaveLength(1);
    expect(pixel(frame3, 0, 300, 160)).toEqual([0, 0, 0, 0]);
    expect(pixel(frame3, 0, 20 + 60 + 5, 40)).toEqual([255, 0, 0, 255]);
    expect(leftEdge(frame3, 0, 40, [255, 0, 0], 10)).toBe(80);
  });

  it('mp4 of an odd size (321x181): padded to 322x182, H.264 yuv420p with BT.709 tags, content unscaled', async () => {
    const output = path.join(odd, 'out.mp4');
    const result = await render(odd, { output, workers: 1 });
    expect(result.width).toBe(321);
    const info = await probeVideo(output);
    expect(info).toMatchObject({
      codec_name: 'h264',
      pix_fmt: 'yuv420p',
      width: '322',
      height: '182',
      nb_read_frames: '10',
      color_space: 'bt709',
      color_primaries: 'bt709',
      color_transfer: 'bt709',
      color_range: 'tv',
    });
    const video = await decodeFrames(output, { width: 322, height: 182 });
    // The box starts at x=20 on frame 0 (not scaled), the background is blue, the padding column repeats it.
    expect(leftEdge(video, 0, 40, [255, 0, 0], 40)).toBe(20);
    const bg = pixel(video, 0, 300, 160);
    expect(bg[2]).toBeGreaterThan(230);
    expect(bg[0]).toBeLessThan(20);
    expect(pixel(video, 0, 321, 100)[2]).toBeGreaterThan(230);
    expect(pixel(video, 0, 320, 100)[2]).toBeGreaterThan(230);
    expect(pixel(video, 0, 100, 181)[2]).toBeGreaterThan(230);
  });

  it('mov: ProRes 4444 with alpha, read back with alpha (transparent where nothing is drawn)', async () => {
    const output = path.join(transparent, 'out.mov');
    const result = await render(transparent, { output, workers: 1 });
    expect(result.format).toBe('mov');
    const info = await probeVideo(output);
    expect(info).toMatchObject({ codec_name: 'prores', width: '320', height: '180', nb_read_frames: '10', color_space: 'bt709' });
    expect(info.pix_fmt).toMatch(/^yuva444p1[02]le$/);
    const video = await decodeFrames(output, { width: 320, height: 180, alpha: true, inputArgs: [] });
    expect(video.frames).toHaveLength(10);
    expect(pixel(video, 0, 300, 160)[3]).toBe(0);
    expect(pixel(video, 0, 40, 40)[3]).toBe(255);
    expect(pixel(video, 5, 140, 40)[3]).toBe(255);
    expect(pixel(video, 5, 40, 40)[3]).toBe(0);
  });

  it('gif: at most 15 fps by default, one palette, frame count and delays match the duration', async () => {
    const output = path.join(opaque, 'out.gif');
    // A 30 fps composition: the GIF takes 15 fps (1 s → 15 frames of 1/15 s, delays of 6 or 7 cs).
    await writeFile(
      path.join(opaque, 'index30.html'),
      transparentPage(320, 180).replace('background: transparent', 'background: #00f').replace('data-fps="10"', 'data-fps="30"'),
    );
    const result = await render(path.join(opaque, 'index30.html'), { output, workers: 2 });
    expect(result).toMatchObject({ format: 'gif', frames: 15, fps: '15' });
    const { stdout } = await runFfprobe([
      '-v',
      'error',
      '-select_streams',
      'v:0',
      '-show_entries',
      'packet=pts_time,duration_time',
      '-of',
      'csv=p=0',
      output,
    ]);
    const frames = stdout
      .trim()
      .split('\n')
      .map((l) => l.split(',').map(Number));
    expect(frames).toHaveLength(15);
    const total = frames.reduce((sum, [, d]) => sum + d!, 0);
    expect(Math.abs(total - 1)).toBeLessThanOrEqual(0.02);
    for (const [, d] of frames) expect([0.06, 0.07]).toContain(Number(d!.toFixed(2)));
    // The box moved 200 px in 1 s: on frame 5 (1/3 s) its left edge is near 20 + 66.7.
    const video = await decodeFrames(output, { width: 320, height: 180 });
    expect(Math.abs(leftEdge(video, 5, 40, [255, 0, 0], 60) - 87)).toBeLessThanOrEqual(2);
    expect(pixel(video, 0, 300, 160)[2]).toBeGreaterThan(200);
  });

  it('gif: a wide composition is scaled to 640 px by default, or to --gif-width', async () => {
    const wide = await makeProject({ 'index.html': transparentPage(1280, 720).replace('background: transparent', 'background: #00f') });
    try {
      await render(wide, { output: path.join(wide, 'a.gif'), workers: 1, fps: 5 });
      expect(await probeVideo(path.join(wide, 'a.gif'))).toMatchObject({ width: '640', height: '360', nb_read_frames: '5' });
      await render(wide, { output: path.join(wide, 'b.gif'), workers: 1, fps: 5, gifWidth: 320 });
      expect(await probeVideo(path.join(wide, 'b.gif'))).toMatchObject({ width: '320', height: '180' });
    } finally {
      await rm(wide, { recursive: true, force: true });
    }
  });

  it("--crf and --video-bitrate set the encoder's rate control", async () => {
    const sizes: number[] = [];
    for (const opts of [{ crf: 10 }, { crf: 45 }, { videoBitrate: '50k' }]) {
      const output = path.join(opaque, `rc-${Object.values(opts)[0]}.mp4`);
      await render(opaque, { output, workers: 1, ...opts });
      const { stdout } = await runFfprobe(['-v', 'error', '-show_entries', 'format=size', '-of', 'csv=p=0', output]);
      sizes.push(Number(stdout.trim()));
    }
    // A lower CRF keeps more: a bigger file; a tiny bitrate keeps little.
    expect(sizes[0]!).toBeGreaterThan(sizes[1]!);
    expect(sizes[0]!).toBeGreaterThan(sizes[2]!);
  });

  it('a frame range renders frames a..b: the first shows frame a, the audio starts at a / fps', async () => {
    const dir = await makeProject({
      'index.html': transparentPage(320, 180)
        .replace('background: transparent', 'background: #00f')
        .replace('<div id="box"></div>', '<div id="box"></div><audio src="beep.wav" data-start="0"></audio>'),
    });
    try {
      await makeBeepFile(dir, 'beep.wav', { duration: 1, beeps: [{ at: 0.6, length: 0.1 }] });
      const output = path.join(dir, 'range.mp4');
      const result = await render(dir, { output, workers: 2, frames: { first: 4, last: 8 } });
      expect(result).toMatchObject({ frames: 5, firstFrame: 4 });
      const video = await decodeFrames(output, { width: 320, height: 180 });
      expect(video.frames).toHaveLength(5);
      // Output frame 0 is composition frame 4 (0.4 s): the box is 80 px right of 20.
      expect(Math.abs(leftEdge(video, 0, 40, [255, 0, 0], 40) - 100)).toBeLessThanOrEqual(1);
      // The beep at 0.6 s of the composition sounds 0.2 s into the range.
      const bursts = findBursts(await decodeMono(output));
      expect(bursts).toHaveLength(1);
      expect(Math.abs(bursts[0]!.start - 0.2)).toBeLessThan(0.034);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
