/**
 * `dynamicRange: 'hdr'` (CLI --hdr): mp4 becomes H.265 Main 10, BT.2020, HLG — PQ when a video source
 * is PQ — with HDR10 mastering and light-level metadata, checked by ffprobe; the page's SDR white is
 * placed at BT.2408 reference white (75% HLG, 58% PQ signal), checked on the raw 10-bit luma. Other
 * formats stay SDR with an `hdr_unsupported` warning; planned renders refuse it.
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render, type RenderResult } from '../../src/render.js';
import { runFfmpeg, runFfprobe } from '../../src/media/tools.js';
import { makeIndexedVideo } from '../helpers/frame-media.js';
import { makeProject, page, probeVideo } from '../helpers/render-pixels.js';

let project: string;
let hlg: RenderResult;

const STYLE = '#white { position: absolute; left: 0; top: 0; width: 160px; height: 180px; background: #fff; }';

/** The 10-bit luma code value at (x, y) of the first frame of a 10-bit 4:2:0 file. */
async function luma10(file: string, x: number, y: number, width: number): Promise<number> {
  const raw = `${file}.yuv`;
  await runFfmpeg(['-y', '-i', file, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'yuv420p10le', raw]);
  return (await readFile(raw)).readUInt16LE((y * width + x) * 2);
}

/** The side data types of the first video frame (HDR10 metadata travels there). */
async function frameSideData(file: string): Promise<string> {
  const { stdout } = await runFfprobe([
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-read_intervals',
    '%+#1',
    '-show_frames',
    '-show_entries',
    'frame=side_data_list',
    '-of',
    'flat',
    file,
  ]);
  return stdout;
}

beforeAll(async () => {
  project = await makeProject({ 'index.html': page({ duration: 0.1, style: STYLE, body: '<div id="white"></div>' }) });
  hlg = await render(project, { output: path.join(project, 'hlg.mp4'), dynamicRange: 'hdr', workers: 1, cache: false });
}, 120_000);

afterAll(async () => {
  if (project) await rm(project, { recursive: true, force: true });
});

describe('hdr', () => {
  it('encodes mp4 as H.265 Main 10, BT.2020 and HLG, with HDR10 metadata', async () => {
    expect(hlg.warnings).toEqual([]);
    const file = path.join(project, 'hlg.mp4');
    expect(await probeVideo(file)).toMatchObject({
      codec_name: 'hevc',
      pix_fmt: 'yuv420p10le',
      color_space: 'bt2020nc',
      color_primaries: 'bt2020',
      color_transfer: 'arib-std-b67',
      color_range: 'tv',
      nb_read_frames: '3',
    });
    const { stdout } = await runFfprobe([
      '-v',
      'error',
      '-select_streams',
      'v:0',
      '-show_entries',
      'stream=profile,codec_tag_string',
      '-of',
      'flat',
      file,
    ]);
    expect(stdout).toContain('profile="Main 10"');
    expect(stdout).toContain('codec_tag_string="hvc1"');
    const side = await frameSideData(file);
    expect(side).toContain('Mastering display metadata');
    expect(side).toContain('Content light level metadata');
  });

  it('places SDR white at HLG reference white (75%) and black at 0', async () => {
    const file = path.join(project, 'hlg.mp4');
    // 10-bit limited range: code = 64 + 876 × signal.
    expect(Math.abs((await luma10(file, 40, 90, 320)) - (64 + 876 * 0.75))).toBeLessThanOrEqual(4);
    expect(Math.abs((await luma10(file, 280, 90, 320)) - 64)).toBeLessThanOrEqual(2);
  });

  it('uses PQ when a video source is PQ, warning that the page shows it tone-mapped', async () => {
    const dir = await makeProject({
      'index.html': page({
        duration: 0.1,
        style: `${STYLE} video { position: absolute; left: 200px; top: 0; width: 80px; height: 48px; }`,
        body: '<div id="white"></div><video id="pq" src="pq.mp4" muted data-start="0" data-duration="1"></video>',
      }),
    });
    try {
      await makeIndexedVideo(path.join(dir, 'pq.mp4'), {
        width: 160,
        height: 96,
        fps: 30,
        frames: 10,
        codec: 'h264',
        pixFmt: 'yuv420p10le',
        hdr: 'pq',
      });
      const result = await render(dir, { output: path.join(dir, 'pq-out.mp4'), dynamicRange: 'hdr', workers: 1, cache: false });
      const file = path.join(dir, 'pq-out.mp4');
      expect(await probeVideo(file)).toMatchObject({ codec_name: 'hevc', color_transfer: 'smpte2084', color_primaries: 'bt2020' });
      // PQ of 203 cd/m² is 58% signal.
      expect(Math.abs((await luma10(file, 40, 90, 320)) - (64 + 876 * 0.5811))).toBeLessThanOrEqual(4);
      expect(result.warnings).toEqual([
        expect.objectContaining({ code: 'hdr_unsupported', element: expect.stringContaining('pq'), file: path.join(dir, 'pq.mp4') }),
      ]);
      expect(result.warnings[0]!.message).toMatch(/pq\.mp4 is HDR \(PQ\); the page shows its frames tone-mapped to SDR/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('writes other formats SDR, with a warning naming what carries HDR', async () => {
    const warned: string[] = [];
    const result = await render(project, {
      output: path.join(project, 'sdr.webm'),
      dynamicRange: 'hdr',
      workers: 1,
      cache: false,
      onWarning: (w) => warned.push(w.code),
    });
    expect(warned).toEqual(['hdr_unsupported']);
    expect(result.warnings[0]!.message).toMatch(
      /`dynamicRange: 'hdr'`: webm output is written SDR \(BT\.709\); HDR output .* is mp4 only: render with `format` mp4 for HDR/,
    );
    expect(await probeVideo(path.join(project, 'sdr.webm'))).toMatchObject({ codec_name: 'vp9', color_primaries: 'bt709' });
  });

  it('is refused by planned renders, before anything is written', async () => {
    const output = path.join(project, 'planned.mp4');
    const error = await render(project, { output, dynamicRange: 'hdr', chunkFrames: 2 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'invalid_option' });
    expect((error as Error).message).toMatch(/`dynamicRange: 'hdr'` is not supported by planned renders/);
    await expect(readFile(output)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
