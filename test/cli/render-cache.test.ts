/**
 * `framesmith render` and the frame cache, as a user runs it: the first render of a video composition
 * extracts and publishes its frames, the second is served from the cache (the result's
 * `stages["video-frames"]` says so), starts capturing without running ffprobe, and gives identical
 * frames; `--no-cache` extracts without touching
 * the cache; `--no-cache` with `--cache-dir` is a usage error.
 */
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeIndexedVideo, readFrameIndexFromRaw } from '../helpers/frame-media.js';
import { decodeFrames, hashFrames, makeProject, page } from '../helpers/render-pixels.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { runCli } from '../helpers/render-cli.js';

let project: string;
let cacheDir: string;

beforeAll(async () => {
  project = await makeProject(
    {
      'index.html': page({
        duration: 0.5,
        body: '<video id="v" src="clip.mp4" data-start="0" data-duration="0.5" muted style="position:absolute;left:0;top:0;width:160px;height:90px"></video>',
      }),
    },
    'fs-render-cache-',
  );
  await makeIndexedVideo(path.join(project, 'clip.mp4'), { width: 160, height: 90, fps: 30, frames: 30, codec: 'h264' });
  cacheDir = path.join(project, 'cache');
});
afterAll(async () => {
  await rm(project, { recursive: true, force: true });
});

async function renderJson(args: string[], output: string) {
  const run = await runCli(['render', project, '-o', output, '--json', '--quality', 'high', ...args]);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as { stages: Record<string, Record<string, number>>; probesBeforeCapture: number };
}

/** The source frame index each output frame shows in the video's box. */
async function shownIndices(file: string): Promise<number[]> {
  const video = await decodeFrames(file, { width: 320, height: 180 });
  return video.frames.map((frame) => readFrameIndexFromRaw(frame, 320, 180, 'rgb24', { x: 0, y: 0, w: 160, h: 90 }));
}

describe('render with the frame cache', () => {
  it('extracts on the first render, serves the second from the cache with identical frames', async () => {
    const first = await renderJson(['--cache-dir', cacheDir], path.join(project, 'first.mp4'));
    expect(first.stages['video-frames']).toMatchObject({ videos: 1, cacheHits: 0, cacheMisses: 1 });
    expect(first.probesBeforeCapture).toBeGreaterThan(0);
    const second = await renderJson(['--cache-dir', cacheDir], path.join(project, 'second.mp4'));
    expect(second.stages['video-frames']).toMatchObject({ videos: 1, cacheHits: 1, cacheMisses: 0, framesExtracted: 0 });
    // A new process, and no ffprobe before capture: the probes persist in the cache directory.
    expect(second.probesBeforeCapture).toBe(0);

    expect(await shownIndices(path.join(project, 'first.mp4'))).toEqual(Array.from({ length: 15 }, (_, i) => i));
    const [a, b] = await Promise.all(
      ['first.mp4', 'second.mp4'].map((f) => decodeFrames(path.join(project, f), { width: 320, height: 180 })),
    );
    expect(hashFrames(b!)).toEqual(hashFrames(a!));
  });

  it('--no-cache extracts without the cache; combined with --cache-dir it is a usage error', async () => {
    const other = path.join(project, 'untouched-cache');
    const uncached = await renderJson(['--no-cache'], path.join(project, 'uncached.mp4'));
    expect(uncached.stages['video-frames']).toMatchObject({ cacheHits: 0, cacheMisses: 0, uniqueExtractions: 1 });
    expect(await shownIndices(path.join(project, 'uncached.mp4'))).toEqual(Array.from({ length: 15 }, (_, i) => i));

    const both = await runCliInProcess(['render', project, '-o', path.join(project, 'x.mp4'), '--no-cache', '--cache-dir', other]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--no-cache and --cache-dir/);
    expect(await readdir(project)).not.toContain('x.mp4');
    expect(await readdir(project)).not.toContain('untouched-cache');
  });
});
