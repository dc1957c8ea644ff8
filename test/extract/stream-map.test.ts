/**
 * The video stream a pass decodes is the one the probe described (`MediaInfo.streamIndex`), by its
 * container index — not "the first video stream" (`0:v:0`), which is the cover art in a file whose
 * attached picture comes first (a file ffmpeg's own muxers do not write: they put cover art after the
 * video, so it is not made here). Here a file whose audio comes first (the video is stream 1) is
 * extracted frame-exact through source passes and classic passes, and the arguments name the index.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractVideos } from '../../src/extract/extract.js';
import { passArgs } from '../../src/extract/pass.js';
import { planVideo } from '../../src/extract/plan.js';
import { segmentArgs } from '../../src/extract/source-pass.js';
import { normalizeRequest } from '../../src/extract/validate.js';
import { probeMedia } from '../../src/media/probe.js';
import { runFfmpeg } from '../../src/media/tools.js';
import { expectedSourceFrame, makeIndexedVideo, readImageSequenceIndices, type IndexedVideo } from '../helpers/frame-media.js';

let dir: string;
let video: IndexedVideo;
let audioFirst: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fs-stream-map-'));
  video = await makeIndexedVideo(path.join(dir, 'v.mp4'), { width: 64, height: 36, fps: 10, frames: 20, codec: 'h264', gop: 5 });
  audioFirst = path.join(dir, 'audio-first.mp4');
  await runFfmpeg([
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    'sine=d=2',
    '-i',
    video.path,
    '-map',
    '0:a',
    '-map',
    '1:v',
    '-c:v',
    'copy',
    '-c:a',
    'aac',
    audioFirst,
  ]);
});

afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the stream decoded', () => {
  it('is the probed stream, by index: a file whose audio comes first extracts every frame exactly', async () => {
    const info = await probeMedia(audioFirst);
    expect(info.streamIndex).toBe(1);
    const request = normalizeRequest({ id: 'v', src: audioFirst, mediaStart: 0.35, duration: 1 }, dir);
    const { plan } = planVideo(request, info, { fps: { num: 10, den: 1 }, format: 'auto', jpegQuality: 3, colorTarget: 'sdr' });
    expect(passArgs(plan, dir).join(' ')).toContain('-map 0:1 ');
    const segment = { branches: [{ job: 0, first: 0, count: 1 }], seek: 0 } as unknown as Parameters<typeof segmentArgs>[1];
    expect(segmentArgs([{ plan, dir, videoId: 'v' }], segment).join(' ')).toContain('[0:1]split=1');
    expect(passArgs({ ...plan, streamIndex: null }, dir).join(' ')).toContain('-map 0:v:0 ');
    // Source passes (one decode for the source) and the classic pass per extraction.
    for (const sourcePasses of [true, false]) {
      const out = path.join(dir, `out-${sourcePasses}`);
      const result = await extractVideos([{ id: 'v', src: audioFirst, mediaStart: 0.35, duration: 1.5 }], {
        fps: '10',
        outDir: out,
        cache: false,
        sourcePasses,
      });
      expect(result.errors).toEqual([]);
      const seen = await readImageSequenceIndices(result.extracted[0]!.outputDir, result.extracted[0]!.format);
      expect(seen).toEqual(Array.from({ length: 15 }, (_, k) => expectedSourceFrame(video.pts, 0.35 + k / 10)));
    }
  });
});
