/**
 * Output formats, checked by probing and decoding the output: MP4 (H.264, yuv420p, BT.709 tags, an odd
 * size padded to even), WebM (VP9) with alpha when the stage is transparent and without when it is
 * opaque, and a PNG sequence (RGBA, exact size, numbered from 0).
 */
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render } from '../../src/render.js';
import { pngFrameName } from '../../src/encode/video.js';
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
    expect(names).toEqual(Array.from({ length: 10 }, (_, i) => pngFrameName(i)));
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
      codec_name: 'h264', pix_fmt: 'yuv420p', width: '322', height: '182', nb_read_frames: '10',
      color_space: 'bt709', color_primaries: 'bt709', color_transfer: 'bt709', color_range: 'tv',
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
});
