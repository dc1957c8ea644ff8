/**
 * Every extracted frame is the exact source frame a player shows at its slot's media time, read back
 * from the pixels: slot k of a clip shows the last source frame with media time <= mediaStart + k*rate/fps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { extractVideos } from '../../src/extract/extract.js';
import { parseRational } from '../../src/media/rational.js';
import { expectedSourceFrame, makeIndexedVideo, readImageSequenceIndices, type IndexedVideo } from '../helpers/frame-media.js';
import { cases, sources } from '../helpers/exact-cases.js';

let dir: string;
const media: Record<string, IndexedVideo> = {};
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fs-exact-'));
  await Promise.all(
    Object.entries(sources).map(async ([name, opts]) => {
      media[name] = await makeIndexedVideo(path.join(dir, `${name}.${opts.codec === 'h264' ? 'mp4' : 'webm'}`), opts);
    }),
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('exact frames', () => {
  it.each(cases)('$name', async (c) => {
    const v = media[c.src]!;
    const out = path.join(dir, 'out', c.name.replace(/[^a-z0-9]+/gi, '_'));
    const result = await extractVideos([{ id: 'v', src: v.path, mediaStart: c.mediaStart, duration: c.duration, playbackRate: c.rate }], {
      fps: c.fps,
      outDir: out,
      cache: false,
    });
    expect(result.errors).toEqual([]);
    const [video] = result.extracted;
    const fps = parseRational(c.fps)!;
    const slots = Math.ceil((c.duration * fps.num) / fps.den - 1e-6);
    expect(video!.slotCount).toBe(slots);
    expect(video!.frames).toHaveLength(slots);
    const seen = await readImageSequenceIndices(video!.outputDir, video!.format);
    const expected = Array.from({ length: slots }, (_, k) => expectedSourceFrame(v.pts, c.mediaStart + (k * c.rate * fps.den) / fps.num));
    expect(seen).toEqual(expected);
  });
});
