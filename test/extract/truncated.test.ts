/**
 * A source cut short (a faststart MP4 whose header promises 60 frames but whose media data was cut):
 * the engine serves the frames that decode and reports the shortfall (uncached, cold and warm cache);
 * a render holds the last decoded frame with a `media_truncated` warning naming the element, the file
 * and the output frames repeated, exit 0; under --strict it fails (exit 1, code strict), writing
 * nothing. The source is never touched. Frames are checked by the index their pixels show.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { extractVideos } from '../../src/extract/extract.js';
import { runFfmpeg, runFfprobe } from '../../src/media/tools.js';
import { truncationWarning } from '../../src/stages/video-truncation.js';
import { makeIndexedVideo, readImageSequenceIndices, readVideoFrameIndices } from '../helpers/frame-media.js';
import { page } from '../helpers/render-pixels.js';
import { CLI, runCli } from '../helpers/render-cli.js';

let dir: string;
let clip: string;
let clipBytes: Buffer;
/** Frames ffmpeg decodes from the cut file (read independently of the engine). */
let decoded: number;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fs-truncated-'));
  const whole = await makeIndexedVideo(path.join(dir, 'whole.mp4'), { width: 160, height: 96, fps: 30, frames: 60, codec: 'h264' });
  // faststart: the moov (the header listing all 60 frames) comes first, so cutting the tail keeps it.
  const fast = path.join(dir, 'fast.mp4');
  await runFfmpeg(['-y', '-loglevel', 'error', '-i', whole.path, '-c', 'copy', '-movflags', '+faststart', fast]);
  const bytes = await readFile(fast);
  clip = path.join(dir, 'clip.mp4');
  clipBytes = bytes.subarray(0, Math.floor(bytes.length * 0.7));
  await writeFile(clip, clipBytes);
  const { stdout } = await runFfmpeg(['-v', 'quiet', '-i', clip, '-map', '0:v:0', '-f', 'framemd5', '-'], { timeoutMs: 60_000 });
  decoded = stdout.split('\n').filter((line) => line !== '' && !line.startsWith('#')).length;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The source is still exactly what the user had. */
async function expectSourceUntouched(): Promise<void> {
  expect((await readFile(clip)).equals(clipBytes)).toBe(true);
}

describe('a truncated source in the engine', () => {
  it('the header still promises 60 frames (2 s): the cut is in the media data', async () => {
    const { stdout } = await runFfprobe(
      ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=nb_frames,duration', '-of', 'csv=p=0', clip],
      { timeoutMs: 30_000 },
    );
    expect(stdout.trim()).toBe('2.000000,60');
  });

  it('uncached: serves the frames that decode, exact, and reports the shortfall instead of failing', async () => {
    const result = await extractVideos([{ id: 'v', src: clip }], { fps: 30, outDir: path.join(dir, 'out'), cache: false });
    expect(result.errors).toEqual([]);
    const [video] = result.extracted;
    expect(decoded).toBeGreaterThan(20);
    expect(decoded).toBeLessThan(50);
    expect(video!.frames).toHaveLength(decoded);
    expect(video!.truncated).toEqual({ promised: 60, decoded });
    expect(await readImageSequenceIndices(video!.outputDir, 'jpg')).toEqual(Array.from({ length: decoded }, (_, k) => k));
    await expectSourceUntouched();
  });

  it('cached: the cold run and the warm hit report the same shortfall', async () => {
    const cache = path.join(dir, 'cache');
    const request = [{ id: 'v', src: clip, mediaStart: 0.5 }];
    const cold = await extractVideos(request, { fps: 30, outDir: path.join(dir, 'unused'), cache });
    expect(cold.errors).toEqual([]);
    // From 0.5 s: 45 slots promised, the first 15 source frames skipped.
    expect(cold.extracted[0]!.truncated).toEqual({ promised: 45, decoded: decoded - 15 });
    await cold.release();
    const warm = await extractVideos(request, { fps: 30, outDir: path.join(dir, 'unused'), cache });
    expect(warm.metrics).toMatchObject({ cacheHits: 1, passes: 0 });
    expect(warm.extracted[0]!.truncated).toEqual({ promised: 45, decoded: decoded - 15 });
    expect(await readImageSequenceIndices(warm.extracted[0]!.outputDir, 'jpg')).toEqual(
      Array.from({ length: decoded - 15 }, (_, k) => 15 + k),
    );
    await warm.release();
  });

  it('a window that starts past the cut has no frame to hold: an error naming the file', async () => {
    const result = await extractVideos([{ id: 'late', src: clip, mediaStart: 1.9 }], {
      fps: 30,
      outDir: path.join(dir, 'out-late'),
      cache: false,
    });
    expect(result.extracted).toEqual([]);
    expect(result.errors).toHaveLength(1);
    // ffmpeg either fails reading past the cut or writes nothing, depending on where the seek lands.
    expect(['ffmpeg_failed', 'zero_output']).toContain(result.errors[0]!.kind);
    expect(result.errors[0]!.message).toContain(clip);
    expect(result.errors[0]!.message).toMatch(/damaged/);
    expect(await readdir(path.join(dir, 'out-late')).catch(() => [])).toEqual([]);
    await expectSourceUntouched();
  });
});

describe('the warning', () => {
  const base = { label: 'video#v', file: '/p/clip.mp4', fps: { num: 30, den: 1 }, loop: false };

  it('names the output frames that hold the last decoded frame, offset by the clip start', () => {
    const w = truncationWarning({ ...base, start: 1, end: 3, truncated: { promised: 60, decoded: 40 } });
    expect(w).toMatchObject({ code: 'media_truncated', element: 'video#v', file: '/p/clip.mp4' });
    expect(w!.message).toBe(
      'video#v: /p/clip.mp4 ends early — 40 of the 60 frames its header promises decode (a truncated or damaged file); output frames 70–89 repeat its last decoded frame: re-export or re-download it',
    );
    // A clip that leaves the screen before the missing frames would show: nothing to say.
    expect(truncationWarning({ ...base, start: 0, end: 1, truncated: { promised: 60, decoded: 40 } })).toBeNull();
    expect(truncationWarning({ ...base, start: 0, end: 2, truncated: { promised: 60, decoded: 59 } })!.message).toContain(
      'output frame 59 repeats',
    );
    expect(truncationWarning({ ...base, loop: true, start: 0, end: 4, truncated: { promised: 60, decoded: 40 } })!.message).toContain(
      'the loop restarts after 40 frames instead of 60',
    );
  });
});

describe('a truncated source in a render (the CLI)', () => {
  let project: string;

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error('build first: npm run build');
    project = path.join(dir, 'project');
    await mkdir(project, { recursive: true });
    await copyFile(clip, path.join(project, 'clip.mp4'));
    await writeFile(
      path.join(project, 'index.html'),
      page({
        width: 160,
        height: 96,
        duration: 2,
        style: 'video { position: absolute; left: 0; top: 0; width: 160px; height: 96px; }',
        body: '<video id="v" src="clip.mp4" muted data-start="0" data-duration="2"></video>',
      }),
    );
  });

  it('exit 0: the clip holds its last decoded frame, and the warning names the element, the file and the frames', async () => {
    const output = path.join(dir, 'out-render', 'video.mp4');
    const run = await runCli(['render', project, '-o', output, '--no-cache', '--workers', '1', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const file = path.join(project, 'clip.mp4');
    const doc = JSON.parse(run.stdout) as { warnings: Array<{ code: string; element?: string; file?: string; message: string }> };
    expect(doc.warnings).toEqual([
      {
        code: 'media_truncated',
        element: 'video#v',
        file,
        message: `video#v: ${file} ends early — ${decoded} of the 60 frames its header promises decode (a truncated or damaged file); output frames ${decoded}–59 repeat its last decoded frame: re-export or re-download it`,
      },
    ]);
    const shown: number[] = [];
    await readVideoFrameIndices(output, (index) => shown.push(index));
    expect(shown).toEqual(Array.from({ length: 60 }, (_, k) => Math.min(k, decoded - 1)));
    expect((await readFile(file)).equals(clipBytes)).toBe(true);
  });

  it('--strict: exit 1, code strict, the message names the file; no output is written', async () => {
    const outDir = path.join(dir, 'out-strict');
    await mkdir(outDir, { recursive: true });
    const run = await runCli([
      'render',
      project,
      '-o',
      path.join(outDir, 'video.mp4'),
      '--no-cache',
      '--workers',
      '1',
      '--strict',
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(1);
    const doc = JSON.parse(run.stdout);
    expect(doc.error).toMatchObject({ code: 'strict' });
    expect(doc.error.message).toContain(`${path.join(project, 'clip.mp4')} ends early`);
    expect(doc.error.message).toContain('--strict');
    expect(await readdir(outDir)).toEqual([]);
    expect((await readFile(path.join(project, 'clip.mp4'))).equals(clipBytes)).toBe(true);
  });
});
