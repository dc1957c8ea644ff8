/**
 * Bad inputs give typed per-video errors (kind, retryable, a message naming the file), other videos still
 * succeed, and failed or cancelled passes leave nothing behind in the output directory.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { extractVideos } from '../../src/extract/extract.js';
import { ExtractOptionsError } from '../../src/extract/errors.js';
import { liveChildCount } from '../../src/media/process.js';
import { runFfmpeg } from '../../src/media/tools.js';
import { makeIndexedVideo, readImageSequenceIndices, type IndexedVideo } from '../helpers/frame-media.js';

let dir: string;
let good: IndexedVideo;
let truncated: string;
let big: IndexedVideo;
const files: Record<string, string> = {};

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fs-errors-'));
  [good, big] = await Promise.all([
    makeIndexedVideo(path.join(dir, 'good.mp4'), { width: 160, height: 96, fps: 30, frames: 60, codec: 'h264' }),
    makeIndexedVideo(path.join(dir, 'big.mp4'), { width: 1280, height: 720, fps: 30, frames: 150, codec: 'h264' }),
  ]);
  // A WebM cut in half (an interrupted download): it probes as 3 s long but decodes only the first part.
  const whole = await makeIndexedVideo(path.join(dir, 'whole.webm'), { width: 160, height: 96, fps: 30, frames: 90, codec: 'vp9' });
  truncated = path.join(dir, 'truncated.webm');
  await runFfmpeg(['-y', '-loglevel', 'error', '-i', whole.path, '-c', 'copy', truncated]);
  await truncate(truncated, Math.floor((await stat(truncated)).size / 2));
  files.text = path.join(dir, 'notes.mp4');
  await writeFile(files.text, 'this is not a video\n');
  files.audio = path.join(dir, 'tone.m4a');
  await runFfmpeg(['-y', '-loglevel', 'error', '-f', 'lavfi', '-i', 'sine=duration=1', files.audio]);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function entries(d: string): Promise<string[]> {
  try {
    return await readdir(d);
  } catch {
    return [];
  }
}

describe('bad inputs', () => {
  it('each failure is typed, names the file, and does not stop the good video', async () => {
    const outDir = path.join(dir, 'out-mixed');
    const result = await extractVideos(
      [
        { id: 'missing', src: 'nowhere/clip.mp4' },
        { id: 'text', src: files.text! },
        { id: 'audio', src: files.audio! },
        { id: 'truncated', src: truncated },
        { id: 'late', src: good.path, mediaStart: 2.5 },
        { id: 'rate', src: good.path, playbackRate: 7 },
        { id: 'size', src: good.path, width: 12.5 },
        { id: 'ok', src: good.path, mediaStart: 0.5, duration: 0.2 },
      ],
      { fps: 30, outDir, baseDir: dir },
    );
    const byId = Object.fromEntries(result.errors.map((e) => [e.videoId, e]));
    expect(byId.missing).toMatchObject({ kind: 'source_missing', retryable: false });
    expect(byId.missing!.message).toContain(path.join(dir, 'nowhere/clip.mp4'));
    expect(byId.text).toMatchObject({ kind: 'invalid_media', retryable: false });
    expect(byId.text!.message).toContain('notes.mp4');
    expect(byId.audio).toMatchObject({ kind: 'invalid_media' });
    expect(byId.audio!.message).toMatch(/tone\.m4a is audio-only/);
    expect(byId.late).toMatchObject({ kind: 'media_start_out_of_range' });
    expect(byId.late!.message).toMatch(/mediaStart 2\.5s is at or past the end of .*good\.mp4 \(2\.000s long\)/);
    expect(byId.rate).toMatchObject({ kind: 'invalid_request' });
    expect(byId.rate!.message).toMatch(/video "rate": playbackRate must be between 0\.1 and 5/);
    expect(byId.size!.message).toMatch(/video "size": width must be a positive integer/);
    expect(result.errors).toHaveLength(6);
    // A truncated file is not a failure: the frames that decode are served, the shortfall reported.
    expect(result.extracted.map((v) => v.videoId)).toEqual(['truncated', 'ok']);
    const [cut, ok] = result.extracted;
    expect(cut!.truncated).toEqual({ promised: 90, decoded: cut!.frames.length });
    expect(cut!.frames.length).toBeLessThan(60);
    expect(await readImageSequenceIndices(ok!.outputDir, 'jpg')).toEqual([15, 16, 17, 18, 19, 20]);
    // Only the served videos' directories exist: no partial directory was left behind.
    expect((await entries(outDir)).sort()).toEqual([path.basename(cut!.outputDir), path.basename(ok!.outputDir)].sort());
  });

  it('a shared failure is reported for every video, followers naming the leader', async () => {
    const outDir = path.join(dir, 'out-shared');
    // From 2.5 s of a file that really ends near 1.5 s: nothing decodes.
    const result = await extractVideos(
      ['a', 'b', 'c'].map((id) => ({ id, src: truncated, mediaStart: 2.5 })),
      { fps: 30, outDir },
    );
    expect(result.metrics.uniqueExtractions).toBe(1);
    expect(result.metrics.dedupeHits).toBe(2);
    expect(result.errors.map((e) => e.videoId)).toEqual(['a', 'b', 'c']);
    expect(result.errors[0]!.message).not.toContain('shared extraction');
    expect(result.errors[1]!.message).toContain('[shared extraction, leader a]');
    expect(['ffmpeg_failed', 'zero_output']).toContain(result.errors[2]!.kind);
    expect(await entries(outDir)).toEqual([]);
  });

  it('bad options throw ExtractOptionsError', async () => {
    await expect(extractVideos([], { fps: 'fast', outDir: dir })).rejects.toBeInstanceOf(ExtractOptionsError);
    await expect(extractVideos([], { fps: 30, outDir: dir, jpegQuality: 40 })).rejects.toThrow(/jpegQuality/);
  });
});

describe('cancellation', () => {
  it('aborting mid-pass ends ffmpeg, reports cancelled (retryable) and leaves no frames', async () => {
    const outDir = path.join(dir, 'out-cancel');
    await mkdir(outDir, { recursive: true });
    const controller = new AbortController();
    let sawProgress = false;
    const result = await extractVideos([{ id: 'big', src: big.path }], {
      fps: 30,
      outDir,
      format: 'png',
      signal: controller.signal,
      concurrency: 1,
      onProgress: ({ done }) => {
        if (done > 0 && !sawProgress) {
          sawProgress = true;
          controller.abort();
        }
      },
    });
    expect(sawProgress).toBe(true);
    expect(result.extracted).toEqual([]);
    expect(result.errors).toEqual([expect.objectContaining({ videoId: 'big', kind: 'cancelled', retryable: true })]);
    expect(await entries(outDir)).toEqual([]);
    expect(liveChildCount()).toBe(0);
  });

  it('a pass over its timeout is ended: ffmpeg_timeout, retryable, nothing left', async () => {
    const outDir = path.join(dir, 'out-timeout');
    const result = await extractVideos([{ id: 'slow', src: big.path }], { fps: 30, outDir, format: 'png', timeoutMs: 200 });
    expect(result.errors).toEqual([expect.objectContaining({ videoId: 'slow', kind: 'ffmpeg_timeout', retryable: true })]);
    expect(result.errors[0]!.message).toContain('big.mp4');
    expect(await entries(outDir)).toEqual([]);
  });

  it('an already-aborted signal starts no pass', async () => {
    const outDir = path.join(dir, 'out-precancel');
    const result = await extractVideos(
      [
        { id: 'x', src: good.path },
        { id: 'y', src: good.path },
      ],
      { fps: 30, outDir, signal: AbortSignal.abort() },
    );
    expect(result.errors.map((e) => e.kind)).toEqual(['cancelled', 'cancelled']);
    expect(result.errors[1]!.message).toContain('[shared extraction, leader x]');
    expect(await entries(outDir)).toEqual([]);
  });
});
