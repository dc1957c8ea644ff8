/**
 * Planned renders in this process (plan → chunks → assemble, `chunkFrames`), checked by their pixels,
 * on the composition of test/helpers/planned.ts (45 frames: a clip, a moving box, a beep at 0.5 s).
 * The mp4 in chunks of 7 frames (the last one 3): six joins, none on a multiple of the encoder's GOP.
 * The other formats in chunks of 16 (16, 16, 13; the GIF's 23 frames 16 + 7): joins where the
 * encoders' own state restarts, at a third of the chunks' cost (a chunk's start — plan opened, page
 * loaded, encoder started — costs more than its frames). Every format is assembled without
 * re-encoding (GIF aside), and each output frame must be the one due.
 */
import { readdir, rm, truncate } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render } from '../../src/render.js';
import type { RenderResult } from '../../src/render/types.js';
import { RenderError } from '../../src/render/errors.js';
import { renderChunk } from '../../src/render/chunk.js';
import { SEQUENCE_MARKER } from '../../src/render/output-guard.js';
import { openPlan } from '../../src/plan/read.js';
import { PlanError } from '../../src/plan/errors.js';
import { getTools } from '../../src/media/tools.js';
import { FRAMESMITH_VERSION } from '../../src/version.js';
import { decodeMono, findBursts } from '../helpers/audio-media.js';
import { readFramePts } from '../helpers/frame-media.js';
import { FRAMES, makePlannedProject, setBackground, wrongFrames } from '../helpers/planned.js';
import { decodeFrames, makeProject, probeVideo } from '../helpers/render-pixels.js';

let project: string;
/** Frames per chunk of the formats other than mp4 (see the module comment). */
const OTHER_CHUNKS = 16;

/** The versions a chunk on this machine compares a plan with. */
async function thisMachine(): Promise<{ framesmith: string; ffmpeg: string }> {
  return { framesmith: FRAMESMITH_VERSION, ffmpeg: (await getTools()).version };
}

beforeAll(async () => {
  project = await makePlannedProject('fs-chunked-');
}, 120_000);

afterAll(async () => {
  if (project) await rm(project, { recursive: true, force: true });
});

describe('a render in chunks of 7 frames', () => {
  let storage: string;
  /** The mp4 in chunks of 7 into `storage`: checked by the first test, its plan reused by the second. */
  let chunkedMp4: RenderResult;
  const chunked = () => path.join(project, 'chunked.mp4');
  beforeAll(async () => {
    storage = await makeProject({}, 'fs-storage-');
    chunkedMp4 = await render(project, { output: chunked(), chunkFrames: 7, workers: 2, storage });
  }, 180_000);
  afterAll(async () => {
    if (storage) await rm(storage, { recursive: true, force: true });
  });

  it('mp4: every frame the one due across six joins, timestamps exactly k/30, the beep on time — as the streaming render', async () => {
    expect(chunkedMp4.chunks?.map((c) => c.count)).toEqual([7, 7, 7, 7, 7, 7, 3]);
    const streamed = path.join(project, 'streamed.mp4');
    await render(project, { output: streamed, workers: 1 });
    for (const file of [chunked(), streamed]) {
      const video = await decodeFrames(file, { width: 320, height: 180 });
      expect(video.frames.length).toBe(FRAMES);
      expect(wrongFrames(video, 'rgb24')).toEqual([]);
      const pts = await readFramePts(file);
      expect(pts.map((t, k) => Math.abs(t - k / 30) < 1e-6 || `frame ${k} at ${t}`).filter((x) => x !== true)).toEqual([]);
      const bursts = findBursts(await decodeMono(file));
      expect(bursts).toHaveLength(1);
      expect(Math.abs(bursts[0]!.start - 0.5)).toBeLessThan(0.005);
      const info = await probeVideo(file);
      expect(info).toMatchObject({ codec_name: 'h264', pix_fmt: 'yuv420p', color_space: 'bt709', nb_read_frames: String(FRAMES) });
    }
  }, 180_000);

  it('the planner extracts nothing; the chunks decode the clip once between them, sharing it through the storage', async () => {
    // Counted: no extraction process ran while planning, and the plan holds the source, not frames.
    expect(chunkedMp4.stages['video-frames']).toMatchObject({ videos: 1, passes: 0, framesExtracted: 0 });
    const planDir = path.join(storage, 'plans', chunkedMp4.plan!.hash);
    const planFiles = await readdir(planDir, { recursive: true });
    expect(planFiles.filter((f) => /\.(jpe?g|png)$/.test(f))).toEqual([]);
    expect(planFiles.filter((f) => f.startsWith('sources/') || f.startsWith('sources\\'))).toHaveLength(1);
    // The clip's 45 slots are one window: seven chunks (two at a time) needed it, one decoded it.
    const stats = chunkedMp4.chunks!.map((c) => c.videoFrames!);
    expect(stats.map((v) => v.windows)).toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect(stats.reduce((n, v) => n + v.decoded, 0)).toBe(1);
    expect(stats.reduce((n, v) => n + v.passes, 0)).toBe(1);
    const shared = await readdir(path.join(storage, 'frames'), { recursive: true });
    expect(shared.filter((f) => f.endsWith('manifest.json'))).toHaveLength(1);
    expect(shared.filter((f) => /^\.claims[/\\][^/\\]+[/\\]/.test(f))).toEqual([]);
  });

  it('the same content plans to the same hash: a second render (other chunk size) reuses the plan', async () => {
    const first = chunkedMp4;
    const second = await render(project, { output: path.join(project, 'again-2.mp4'), chunkFrames: 20, storage });
    expect(first.plan?.reused).toBe(false);
    expect(second.plan?.hash).toBe(first.plan?.hash);
    expect(second.plan?.reused).toBe(true);
    // Its frames were extracted by the first render's chunks: none decoded again.
    expect(second.chunks!.map((c) => c.videoFrames!.decoded)).toEqual([0, 0, 0]);
    // Nothing of either render is left in the storage but the plans.
    expect(await readdir(path.join(storage, 'renders'))).toEqual([]);
  }, 120_000);

  it('webm with alpha: the transparent stage stays transparent, AlphaMode kept, every frame the one due', async () => {
    await setBackground(project, 'transparent');
    try {
      const output = path.join(project, 'chunked.webm');
      const result = await render(project, { output, chunkFrames: OTHER_CHUNKS, workers: 2 });
      expect(result.chunks?.map((c) => c.count)).toEqual([16, 16, 13]);
      expect((await probeVideo(output)).tags_alpha_mode).toBe('1');
      const video = await decodeFrames(output, { width: 320, height: 180, alpha: true, inputArgs: ['-c:v', 'libvpx-vp9'] });
      expect(video.frames.length).toBe(FRAMES);
      expect(wrongFrames(video, 'rgba')).toEqual([]);
      // Right of the clip, above the box: nothing drawn.
      for (let k = 0; k < FRAMES; k++) expect(video.frames[k]![(60 * 320 + 300) * 4 + 3]).toBeLessThan(10);
      const bursts = findBursts(await decodeMono(output));
      expect(Math.abs(bursts[0]!.start - 0.5)).toBeLessThan(0.01);
    } finally {
      await setBackground(project, '#203040');
    }
  }, 120_000);

  it('mov (ProRes 4444) and a PNG sequence: every frame the one due', async () => {
    const mov = path.join(project, 'chunked.mov');
    const result = await render(project, { output: mov, chunkFrames: OTHER_CHUNKS, workers: 2 });
    expect(result.chunks?.map((c) => c.count)).toEqual([16, 16, 13]);
    const fromMov = await decodeFrames(mov, { width: 320, height: 180 });
    expect(fromMov.frames.length).toBe(FRAMES);
    expect(wrongFrames(fromMov, 'rgb24')).toEqual([]);
    expect((await readFramePts(mov)).every((t, k) => Math.abs(t - k / 30) < 1e-6)).toBe(true);

    const pngDir = path.join(project, 'frames');
    await render(project, { output: pngDir, format: 'png', chunkFrames: OTHER_CHUNKS, workers: 2 });
    const names = (await readdir(pngDir)).sort();
    expect(names).toEqual([SEQUENCE_MARKER, ...Array.from({ length: FRAMES }, (_, k) => `frame-${String(k).padStart(6, '0')}.png`)]);
    const fromPng = await decodeFrames(path.join(pngDir, 'frame-%06d.png'), { width: 320, height: 180 });
    expect(wrongFrames(fromPng, 'rgb24')).toEqual([]);
  }, 180_000);

  it('gif: one palette over all chunks, as many frames as a streaming GIF at 15 fps', async () => {
    const output = path.join(project, 'chunked.gif');
    const result = await render(project, { output, chunkFrames: OTHER_CHUNKS, workers: 2 });
    expect(result.frames).toBe(23);
    expect(result.chunks?.map((c) => c.count)).toEqual([16, 7]);
    const info = await probeVideo(output);
    expect(info).toMatchObject({ codec_name: 'gif', nb_read_frames: '23' });
  }, 120_000);
});

describe('a plan is checked before a chunk renders it', () => {
  // One plan for both checks (plan only: a render of frames 0-0 leaves the plan in storage): the
  // version check reads it as made, then the damage check changes one of its files.
  let storage: string;
  let hash: string;
  beforeAll(async () => {
    storage = await makeProject({}, 'fs-storage-');
    const result = await render(project, { output: path.join(project, 'one.mp4'), frames: { first: 0, last: 0 }, storage });
    hash = result.plan!.hash;
  }, 120_000);
  afterAll(async () => {
    if (storage) await rm(storage, { recursive: true, force: true });
  });

  it('a plan made with another ffmpeg or framesmith is refused (plan_mismatch), naming the tool', async () => {
    const mine = await thisMachine();
    const error = await openPlan(storage, hash, { ...mine, ffmpeg: '4.4.2' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlanError);
    expect((error as PlanError).code).toBe('plan_mismatch');
    expect((error as PlanError).message).toMatch(/made with ffmpeg .* this machine has 4\.4\.2/);
    const other = await openPlan(storage, hash, { ...mine, framesmith: '0.0.0-other' }).catch((e: unknown) => e);
    expect((other as PlanError).code).toBe('plan_mismatch');
    expect((other as PlanError).message).toContain('framesmith');
  });

  it('a file of the plan changed after planning: the chunk refuses it (plan_corrupt), naming the file', async () => {
    const sources = path.join(storage, 'plans', hash, 'sources');
    const first = (await readdir(sources)).sort()[0]!;
    await truncate(path.join(sources, first), 10);
    const error = await renderChunk({ planHash: hash, renderId: 'r1', index: 0, first: 0, count: 1 }, { storage }).catch((e: unknown) => e);
    // The render directory is gone (the render ended): the chunk first says so…
    expect(error).toBeInstanceOf(RenderError);
    expect((error as RenderError).code).toBe('cancelled');
    // …and with the render waiting, the damaged file is found.
    const opened = await openPlan(storage, hash, await thisMachine()).catch((e: unknown) => e);
    expect(opened).toBeInstanceOf(PlanError);
    expect((opened as PlanError).code).toBe('plan_corrupt');
    expect((opened as PlanError).message).toContain(`sources/${first}`);
  });
});
