/**
 * Finding ffmpeg: a missing or too-old binary is a typed error that says what to install, and through
 * the CLI every video reports `ffmpeg_unavailable` with exit 1. The "old ffmpeg" is a real executable
 * (a shell script printing a 4.4 version line), the only way to have one on a machine with 5.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFfmpegVersion } from '../../src/media/tools.js';
import { makeIndexedVideo } from '../helpers/frame-media.js';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/framesmith.js');
let dir: string;

function extract(env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, 'extract', path.join(dir, 'spec.json'), '--out', path.join(dir, 'out'), '--json', '--no-cache'],
      { env: { ...process.env, ...env }, timeout: 60_000 },
      (error, stdout) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout });
      },
    );
  });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fs-tools-'));
  // Real media (made with the system's ffmpeg): only the binary the CLI is pointed at is wrong.
  await makeIndexedVideo(path.join(dir, 'a.mp4'), { width: 160, height: 96, fps: 30, frames: 10, codec: 'h264' });
  await writeFile(
    path.join(dir, 'spec.json'),
    JSON.stringify({
      fps: 30,
      videos: [
        { id: 'a', src: 'a.mp4' },
        { id: 'b', src: 'a.mp4', mediaStart: 0.1 },
      ],
    }),
  );
  const old = path.join(dir, 'old-ffmpeg');
  await writeFile(old, '#!/bin/sh\necho "ffmpeg version 4.4.2-0ubuntu0.22.04.1 Copyright (c) 2000-2021 the FFmpeg developers"\n');
  await chmod(old, 0o755);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ffmpeg and ffprobe discovery', () => {
  it('parses release, n-prefixed and snapshot version lines', () => {
    expect(parseFfmpegVersion('ffmpeg version 5.1.9-0+deb12u1 Copyright (c) 2000-2025')).toMatchObject({
      major: 5,
      minor: 1,
      version: '5.1.9-0+deb12u1',
    });
    expect(parseFfmpegVersion('ffprobe version n6.0 Copyright')).toMatchObject({ major: 6, minor: 0 });
    expect(parseFfmpegVersion('ffmpeg version N-112233-gabcdef Copyright')).toBeNull();
  });

  it('a missing ffmpeg: every video fails with ffmpeg_unavailable and the fix, exit 1', async () => {
    const run = await extract({ FRAMESMITH_FFMPEG: path.join(dir, 'no-such-ffmpeg') });
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout);
    expect(result.extracted).toEqual([]);
    expect(result.errors.map((e: { videoId: string; kind: string }) => [e.videoId, e.kind])).toEqual([
      ['a', 'ffmpeg_unavailable'],
      ['b', 'ffmpeg_unavailable'],
    ]);
    expect(result.errors[0].message).toMatch(/ffmpeg was not found .*no-such-ffmpeg.*apt-get install ffmpeg/);
  });

  it('an ffmpeg older than 5.1 is refused with its version and the fix', async () => {
    const run = await extract({ FRAMESMITH_FFMPEG: path.join(dir, 'old-ffmpeg') });
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout);
    expect(result.errors[0]).toMatchObject({ videoId: 'a', kind: 'ffmpeg_unavailable' });
    expect(result.errors[0].message).toMatch(/ffmpeg 4\.4\.2\S* is too old \(need >= 5\.1\).*apt-get install ffmpeg/);
  });
});
