/**
 * muxAudio: a real encoded video plus a real mix, copied into MP4 (H.264 + AAC) and WebM (VP9 + Opus);
 * the audio in the result is the mix (its beep is where it was put) and both streams end together.
 */
import { access, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mixAudio } from '../../src/encode/audio.js';
import { streamEnd } from '../../src/encode/audio-output.js';
import { MuxError, MUX_LENGTH_TOLERANCE_S, muxAudio } from '../../src/encode/mux.js';
import { decodeMono, findBursts, makeBeepFile, makeVideo, streamCodecs } from '../helpers/audio-media.js';

const FRAMES = 46; // 1.5333… s at 30 fps: deliberately not a whole number of AAC frames or milliseconds.
const DURATION = FRAMES / 30;

let dir: string;
let beep: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'framesmith-mux-test-'));
  beep = await makeBeepFile(dir, 'beep.wav', { duration: 1, beeps: [{ at: 0.1, length: 0.1 }] });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

describe('muxAudio', () => {
  for (const [container, videoCodec, audioCodec] of [
    ['mp4', 'h264', 'aac'],
    ['webm', 'vp9', 'opus'],
  ] as const) {
    it(`${container}: ${videoCodec} + ${audioCodec}, streams copied, durations match`, async () => {
      const video = await makeVideo(dir, `v.${container}`, FRAMES, videoCodec);
      const audio = path.join(dir, `mix-${container}.${audioCodec === 'aac' ? 'm4a' : 'webm'}`);
      // Beep heard at 0.6 + 0.1 = 0.7.
      await mixAudio([{ id: 'audio#a', src: beep, start: 0.6, mediaStart: 0, playbackRate: 1, loop: false, volume: 1 }], {
        duration: DURATION,
        codec: audioCodec,
        outFile: audio,
      });
      const out = path.join(dir, `out.${container}`);
      const result = await muxAudio(video, audio, out, { container });

      expect(await streamCodecs(out)).toEqual([videoCodec, audioCodec]);
      expect(Math.abs(result.videoDuration - DURATION)).toBeLessThan(0.002);
      expect(Math.abs(result.audioDuration! - result.videoDuration)).toBeLessThanOrEqual(MUX_LENGTH_TOLERANCE_S);
      // Read back independently of the result object.
      expect(Math.abs((await streamEnd(out, 'a'))! - (await streamEnd(out, 'v'))!)).toBeLessThanOrEqual(MUX_LENGTH_TOLERANCE_S);
      const bursts = findBursts(await decodeMono(out));
      expect(bursts).toHaveLength(1);
      expect(Math.abs(bursts[0]!.start - 0.7)).toBeLessThan(1 / 30);
      // Inputs untouched, no temp left behind.
      expect(await exists(video)).toBe(true);
      expect((await readdir(dir)).filter((n) => n.endsWith('.partial'))).toEqual([]);
    });
  }

  it('with null audio moves the video into place', async () => {
    const video = await makeVideo(dir, 'solo.mp4', 10, 'h264');
    const out = path.join(dir, 'solo-out.mp4');
    const result = await muxAudio(video, null, out, { container: 'mp4' });
    expect(result.audioDuration).toBeNull();
    expect(Math.abs(result.videoDuration - 10 / 30)).toBeLessThan(0.002);
    expect(await streamCodecs(out)).toEqual(['h264']);
    expect(await exists(video)).toBe(false);
  });

  it('refuses audio mixed for another length, writing nothing', async () => {
    const video = await makeVideo(dir, 'long.mp4', FRAMES, 'h264');
    const audio = path.join(dir, 'short.m4a');
    await mixAudio([{ id: 'audio#a', src: beep, start: 0, mediaStart: 0, playbackRate: 1, loop: false, volume: 1 }], {
      duration: 1,
      codec: 'aac',
      outFile: audio,
    });
    const out = path.join(dir, 'mismatch.mp4');
    const error = await muxAudio(video, audio, out, { container: 'mp4' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MuxError);
    expect((error as MuxError).code).toBe('length_mismatch');
    expect((error as MuxError).message).toContain(audio);
    expect(await exists(out)).toBe(false);
    expect((await readdir(dir)).filter((n) => n.includes('mismatch'))).toEqual([]);
  });

  it('a missing input → source_missing naming it', async () => {
    const missing = path.join(dir, 'nope.mp4');
    const error = await muxAudio(missing, null, path.join(dir, 'x.mp4'), { container: 'mp4' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MuxError);
    expect((error as MuxError).code).toBe('source_missing');
    expect((error as MuxError).message).toContain(missing);
  });
});
