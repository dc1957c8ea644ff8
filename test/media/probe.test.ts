import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { probeMedia, ProbeError } from '../../src/media/probe.js';
import { runFfmpeg } from '../../src/media/tools.js';
import { makeIndexedVideo } from '../helpers/frame-media.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fs-probe-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('probeMedia', () => {
  it('reads timing, rate, codec, audio of an H.264 MP4 starting at 1.4 s', async () => {
    const v = await makeIndexedVideo(path.join(dir, 'a.mp4'), {
      width: 160,
      height: 90,
      fps: '30000/1001',
      frames: 30,
      codec: 'h264',
      startTime: 1.4,
      audio: true,
    });
    const info = await probeMedia(v.path);
    expect(info).toMatchObject({
      width: 160,
      height: 90,
      rotation: 0,
      codec: 'h264',
      pixelFormat: 'yuv420p',
      hasAlpha: false,
      hasAudio: true,
      vfr: false,
      hdr: null,
    });
    expect(info.frameRate).toEqual({ num: 30000, den: 1001 });
    expect(info.streamStart).toBeCloseTo(1.4, 3);
    expect(info.duration).toBeCloseTo((30 * 1001) / 30000, 2);
  });

  it('detects VFR, WebM alpha (alpha_mode tag) and durations from Matroska tags', async () => {
    const vfr = await makeIndexedVideo(path.join(dir, 'vfr.mp4'), {
      width: 160,
      height: 90,
      fps: 30,
      frames: 30,
      codec: 'h264',
      vfr: 'pattern',
    });
    expect((await probeMedia(vfr.path)).vfr).toBe(true);
    const alpha = await makeIndexedVideo(path.join(dir, 'alpha.webm'), { width: 160, height: 90, fps: 30, frames: 15, codec: 'vp9-alpha' });
    const info = await probeMedia(alpha.path);
    expect(info).toMatchObject({ codec: 'vp9', hasAlpha: true, alphaNeedsLibvpx: true });
    expect(info.duration).toBeCloseTo(0.5, 2);
    const opaque = await makeIndexedVideo(path.join(dir, 'opaque.webm'), {
      width: 160,
      height: 90,
      fps: 30,
      frames: 15,
      codec: 'vp9-opaque',
    });
    expect(await probeMedia(opaque.path)).toMatchObject({ hasAlpha: false, alphaNeedsLibvpx: false });
  });

  it('reports PQ and HLG transfer as HDR', async () => {
    for (const [trc, hdr] of [
      ['smpte2084', 'pq'],
      ['arib-std-b67', 'hlg'],
    ] as const) {
      const file = path.join(dir, `${hdr}.mp4`);
      await runFfmpeg([
        '-y',
        '-loglevel',
        'error',
        '-f',
        'lavfi',
        '-i',
        'color=c=gray:s=64x64:d=0.2',
        '-c:v',
        'libx264',
        '-pix_fmt',
        'yuv420p10le',
        '-color_trc',
        trc,
        '-color_primaries',
        'bt2020',
        '-colorspace',
        'bt2020nc',
        file,
      ]);
      expect(await probeMedia(file)).toMatchObject({ hdr, colorTransfer: trc, colorPrimaries: 'bt2020' });
    }
  });

  it('is memoized per file identity and re-probes an edited file', async () => {
    const file = path.join(dir, 'memo.mp4');
    await makeIndexedVideo(file, { width: 160, height: 90, fps: 30, frames: 10, codec: 'h264' });
    const first = await probeMedia(file);
    // The same object back: the second call did not run ffprobe again.
    expect(await probeMedia(file)).toBe(first);
    expect(first.width).toBe(160);
    await makeIndexedVideo(file, { width: 320, height: 180, fps: 30, frames: 10, codec: 'h264' });
    await utimes(file, new Date(), new Date(Date.now() + 5000));
    expect((await probeMedia(file)).width).toBe(320);
  });

  it('typed errors: missing, not media, audio-only', async () => {
    await expect(probeMedia(path.join(dir, 'none.mp4'))).rejects.toMatchObject({ name: 'ProbeError', code: 'missing' });
    const text = path.join(dir, 'text.mp4');
    await writeFile(text, 'hello');
    await expect(probeMedia(text)).rejects.toMatchObject({ code: 'not_media' });
    const audio = path.join(dir, 'a.wav');
    await runFfmpeg(['-y', '-loglevel', 'error', '-f', 'lavfi', '-i', 'sine=duration=0.2', audio]);
    const error = await probeMedia(audio).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProbeError);
    expect((error as ProbeError).code).toBe('no_video');
  });
});
