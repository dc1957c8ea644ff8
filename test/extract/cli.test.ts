/**
 * `framesmith extract` as a user runs it (the built CLI in dist/, as `npm test` builds it): exit codes,
 * the single JSON document on stdout, and frames that are the right ones. Usage errors, which need no
 * process of their own, run in-process (test/helpers/cli-in-process.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { makeIndexedVideo, readImageSequenceIndices } from '../helpers/frame-media.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(root, 'bin/framesmith.js');
let dir: string;

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: dir, timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  if (!existsSync(path.join(root, 'dist/cli/extract-command.js'))) throw new Error('build first: npx tsc -p . (npm test does it)');
  dir = await mkdtemp(path.join(os.tmpdir(), 'fs-cli-'));
  await makeIndexedVideo(path.join(dir, 'clips', 'a.mp4'), { width: 160, height: 96, fps: 30, frames: 60, codec: 'h264' });
  await writeFile(
    path.join(dir, 'spec.json'),
    JSON.stringify({
      fps: 30,
      format: 'auto',
      videos: [
        { id: 'a', src: 'clips/a.mp4', mediaStart: 0.5, duration: 0.3, playbackRate: 1, loop: false, width: 80, height: 48 },
        { id: 'b', src: 'clips/a.mp4', mediaStart: 0.5, duration: 0.3, width: 80, height: 48 },
        { id: 'c', src: path.join(dir, 'clips', 'a.mp4'), mediaStart: 1.2 },
      ],
    }),
  );
  await writeFile(
    path.join(dir, 'bad-video.json'),
    JSON.stringify({
      fps: 30,
      videos: [
        { id: 'ok', src: 'clips/a.mp4', duration: 0.1 },
        { id: 'gone', src: 'clips/none.mp4' },
      ],
    }),
  );
  await writeFile(path.join(dir, 'broken.json'), '{ "fps": 30, ');
  await makeIndexedVideo(path.join(dir, 'clips', 'big.mp4'), { width: 1280, height: 720, fps: 30, frames: 240, codec: 'h264' });
  await writeFile(path.join(dir, 'big.json'), JSON.stringify({ fps: 30, format: 'png', videos: [{ id: 'big', src: 'clips/big.mp4' }] }));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('framesmith extract', () => {
  it('--json: one document, exit 0, deduped frames with the right pixels', async () => {
    const { code, stdout } = await cli(['extract', 'spec.json', '--out', 'frames', '--json']);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout);
    expect(doc.errors).toEqual([]);
    expect(doc.extracted.map((v: { videoId: string }) => v.videoId)).toEqual(['a', 'b', 'c']);
    const [a, b, c] = doc.extracted;
    expect(a).toMatchObject({ fps: 30, width: 80, height: 48, format: 'jpg' });
    expect(a.outputDir).toBe(path.join(dir, 'frames', path.basename(a.outputDir)));
    expect(b.frames).toEqual(a.frames);
    expect(a.frames[0]).toBe(path.join(a.outputDir, '000000.jpg'));
    expect(doc.metrics).toMatchObject({ uniqueExtractions: 2, dedupeHits: 1, cacheHits: 0, cacheMisses: 0, framesExtracted: 9 + 24 });
    expect(typeof doc.metrics.totalMs).toBe('number');
    expect(await readImageSequenceIndices(a.outputDir, 'jpg')).toEqual([15, 16, 17, 18, 19, 20, 21, 22, 23]);
    expect(c.frames).toHaveLength(24);
    expect(await readImageSequenceIndices(c.outputDir, 'jpg')).toEqual(Array.from({ length: 24 }, (_, k) => 36 + k));
  });

  it('a readable summary without --json; --no-cache and --cache-dir accepted', async () => {
    const plain = await cli(['extract', 'spec.json', '--out', 'frames2', '--no-cache', '--concurrency', '1']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/ok {4}a: 9 jpg frames at 80x48/);
    // One source: its two unique extractions are branches of one source pass.
    expect(plain.stdout).toMatch(/3 extracted, 0 failed; 1 ffmpeg passes \(1 source\), 1 shared/);
    expect((await cli(['extract', 'spec.json', '--out', 'frames3', '--cache-dir', 'cache'])).code).toBe(0);
  });

  it('exit 1 when a video fails, with the error in the JSON', async () => {
    const { code, stdout } = await cli(['extract', 'bad-video.json', '--out', 'frames4', '--json']);
    expect(code).toBe(1);
    const doc = JSON.parse(stdout);
    expect(doc.extracted.map((v: { videoId: string }) => v.videoId)).toEqual(['ok']);
    expect(doc.errors).toEqual([
      {
        videoId: 'gone',
        kind: 'source_missing',
        retryable: false,
        message: expect.stringContaining(path.join(dir, 'clips/none.mp4')),
        reason: expect.stringMatching(/^video file not found: /),
      },
    ]);
  });

  it.each([
    ['bad JSON', ['broken.json', '--out', 'x'], /not valid JSON/],
    ['missing spec', ['nope.json', '--out', 'x'], /cannot read spec file/],
    ['missing --out', ['spec.json'], /--out/],
    ['unknown option', ['spec.json', '--out', 'x', '--frobnicate'], /unknown option/],
    ['bad --concurrency', ['spec.json', '--out', 'x', '--concurrency', '0'], /--concurrency/],
  ])('exit 2 for usage errors: %s', async (_name, args, message) => {
    // In-process, so paths are given absolute (the child processes above run in `dir`).
    const absolute = (args as string[]).map((a) => (/^(x|\w+\.json)$/.test(a) ? path.join(dir, a) : a));
    const { code, stdout, stderr } = await runCliInProcess(['extract', ...absolute]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message as RegExp);
    expect(stdout).toBe('');
    expect(existsSync(path.join(dir, 'x'))).toBe(false);
  });

  it('Ctrl-C mid-pass ends ffmpeg, exits 130 and leaves no partial frames', async () => {
    const outDir = path.join(dir, 'frames-int');
    const child = spawn(process.execPath, [bin, 'extract', 'big.json', '--out', outDir, '--json'], { cwd: dir, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // Wait until the pass is writing into its partial directory, then interrupt.
    for (let i = 0; i < 600; i++) {
      const names = await readdir(outDir).catch(() => [] as string[]);
      if (names.some((n) => n.includes('.partial-'))) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(await readdir(outDir)).toEqual([]);
  });
});
