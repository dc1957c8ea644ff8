/**
 * readSegmentVideo (src/encode/segment-probe.ts) reads from an mp4/mov's boxes what the assembly asked
 * ffprobe for: the B-frame delay is ffprobe's first pts − dts (x264 with B-frames, without, the moov
 * before or after the media), the codec configuration is equal between segments of one setting and
 * differs between two settings, and a file it cannot read gives null (the caller falls back).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSegmentVideo } from '../../src/encode/segment-probe.js';
import { runFfprobe } from '../../src/media/tools.js';
import { ffmpegOnce } from '../helpers/media-store.js';

let dir: string;
const files: Record<string, string> = {};

/** 12 frames of testsrc2 at 64x64 through x264 with `params`, into `name`. */
function encode(name: string, params: string, extra: string[] = []): Promise<void> {
  files[name] = path.join(dir, name);
  return ffmpegOnce(
    [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=64x64:rate=30',
      '-frames:v',
      '12',
      '-c:v',
      'libx264',
      '-preset',
      'medium',
      '-x264-params',
      params,
      '-pix_fmt',
      'yuv420p',
      ...extra,
    ],
    files[name],
  );
}

async function ffprobeDelay(file: string): Promise<number> {
  const { stdout } = await runFfprobe([
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'packet=pts_time,dts_time',
    '-read_intervals',
    '%+#1',
    '-of',
    'json',
    file,
  ]);
  const packet = (JSON.parse(stdout) as { packets: Array<{ pts_time: string; dts_time: string }> }).packets[0]!;
  return Number(packet.pts_time) - Number(packet.dts_time);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'framesmith-segment-probe-'));
  await Promise.all([
    encode('bframes.mp4', 'bframes=3'),
    encode('bframes-faststart.mp4', 'bframes=3', ['-movflags', '+faststart']),
    encode('no-bframes.mp4', 'bframes=0:rc-lookahead=0'),
    encode('no-bframes-again.mov', 'bframes=0:rc-lookahead=0'),
  ]);
}, 60_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('readSegmentVideo', () => {
  it("gives ffprobe's delay, one configuration per setting, and null for what it cannot read", async () => {
    const read = Object.fromEntries(
      await Promise.all(Object.entries(files).map(async ([name, file]) => [name, await readSegmentVideo(file)] as const)),
    );
    for (const [name, file] of Object.entries(files)) {
      expect(read[name], name).not.toBeNull();
      expect(read[name]!.delay, name).toBeCloseTo(await ffprobeDelay(file), 6);
    }
    expect(read['bframes.mp4']!.delay).toBeGreaterThan(0);
    expect(read['no-bframes.mp4']!.delay).toBe(0);
    // avcC: starts with configurationVersion 1 and the High profile (100).
    expect(read['bframes.mp4']!.config.slice(0, 4)).toBe('0164');
    expect(read['bframes-faststart.mp4']!.config).toBe(read['bframes.mp4']!.config);
    expect(read['no-bframes-again.mov']!.config).toBe(read['no-bframes.mp4']!.config);
    expect(read['no-bframes.mp4']!.config).not.toBe(read['bframes.mp4']!.config);

    const junk = path.join(dir, 'junk.mp4');
    await writeFile(junk, Buffer.from('not an mp4 at all, only some text'));
    expect(await readSegmentVideo(junk)).toBeNull();
  }, 60_000);
});
