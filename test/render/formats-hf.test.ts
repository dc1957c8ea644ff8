/**
 * HyperFrames' directory formats (issue 19, item 2), checked as HyperFrames 0.8.170 writes them:
 *
 * - `--format png-sequence`: `frame_000001.png`… (from 1, six digits), one per frame, RGBA with the
 *   transparent stage kept, each frame identified by its colour; the sound beside them as audio.m4a.
 * - `--format hls`: master.m3u8 (one video variant, the audio as a rendition), video.m3u8 /
 *   audio.m3u8 (VOD), H.264 and AAC MPEG-TS segments of `--hls-segment-seconds`, each video segment
 *   starting on its only keyframe; the GOP fixed exactly for 30000/1001 too.
 * - the output guard: a render replaces its own earlier HLS directory, refuses a foreign one (the
 *   user's file kept); the planned path and bad segment lengths are refused with `invalid_option`.
 */
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageHls } from '../../src/encode/hls.js';
import { hfFrameName, startVideoEncoder } from '../../src/encode/video.js';
import { runFfprobe, startFfmpeg } from '../../src/media/tools.js';
import { render, RenderError } from '../../src/render.js';
import { defaultOutputPath } from '../../src/render/options.js';
import { SEQUENCE_MARKER } from '../../src/render/output-guard.js';
import { decodeMono, findBursts, makeBeepFile } from '../helpers/audio-media.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { runCli } from '../helpers/render-cli.js';
import { decodeFrames, makeProject, pixel } from '../helpers/render-pixels.js';

const FPS = 10;
const SECONDS = 3;
const FRAMES = FPS * SECONDS;
const BEEP_AT = 1.5;

/**
 * 320x180, transparent stage, 3 s at 10 fps: a 40x40 box whose red is 8 × the frame number (its
 * identity in the pixels), set by a `window.__timelines` timeline; a beep at 1.5 s when `audio`.
 */
function composition(audio: boolean): string {
  return `<!doctype html><html><head><meta charset="utf-8"><style>
html, body { margin: 0; background: transparent; }
#root { position: relative; width: 320px; height: 180px; }
#box { position: absolute; left: 20px; top: 20px; width: 40px; height: 40px; background: #000; }
</style></head><body>
<div id="root" data-composition-id="main" data-width="320" data-height="180" data-fps="${FPS}" data-duration="${SECONDS}">
<div id="box"></div>
${audio ? `<audio id="beep" src="beep.wav" data-start="0" data-duration="${SECONDS}" data-track-index="1"></audio>` : ''}
</div>
<script>
let now = 0;
const box = document.getElementById('box');
const tl = {
  duration: () => ${SECONDS}, time: () => now, totalDuration: () => ${SECONDS}, progress: () => now / ${SECONDS},
  seek(t) { now = t; box.style.background = 'rgb(' + Math.round(t * ${FPS}) * 8 + ',0,0)'; return tl; },
  pause: () => tl, play: () => tl, isActive: () => false,
};
window.__timelines = window.__timelines || {};
window.__timelines.main = tl;
</script></body></html>`;
}

let project: string;
let silent: string;

beforeAll(async () => {
  project = await makeProject({ 'index.html': composition(true) }, 'fs-formats-hf-');
  await makeBeepFile(project, 'beep.wav', { duration: SECONDS, beeps: [{ at: BEEP_AT, length: 0.2 }] });
  silent = await makeProject({ 'index.html': composition(false) }, 'fs-formats-hf-silent-');
});

afterAll(async () => {
  for (const dir of [project, silent]) await rm(dir, { recursive: true, force: true });
});

/** ffprobe's frames of `file`'s first video stream: key flag and presentation time. */
async function videoFrames(file: string): Promise<Array<{ key: boolean; pts: number }>> {
  const { stdout } = await runFfprobe([
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'frame=key_frame,pts_time',
    '-of',
    'csv=p=0',
    file,
  ]);
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [key, pts] = l.split(',');
      return { key: key === '1', pts: Number(pts) };
    });
}

/** The `#EXTINF` durations of a media playlist, and whether it is a finished VOD playlist. */
function mediaPlaylist(text: string): { durations: number[]; segments: string[]; vod: boolean } {
  const lines = text.split('\n');
  return {
    durations: lines.filter((l) => l.startsWith('#EXTINF:')).map((l) => Number(/^#EXTINF:([\d.]+)/.exec(l)![1])),
    segments: lines.filter((l) => l.endsWith('.ts')),
    vod: lines.includes('#EXT-X-PLAYLIST-TYPE:VOD') && lines.includes('#EXT-X-ENDLIST'),
  };
}

/** The codec names of `file`'s streams, comma-separated (MPEG-TS lists each stream once, not per program). */
async function codecOf(file: string): Promise<string> {
  const { stdout } = await runFfprobe(['-v', 'error', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', file]);
  return [
    ...new Set(
      stdout
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean),
    ),
  ].join(',');
}

/** The container's duration of `file`, seconds. */
async function durationOf(file: string): Promise<number> {
  const { stdout } = await runFfprobe(['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file]);
  return Number(stdout.trim());
}

describe('--format png-sequence', () => {
  it('CLI: frame_000001.png… one RGBA PNG per frame, each frame by its colour, the sound beside them as audio.m4a', async () => {
    const output = path.join(project, 'out', 'seq');
    const run = await runCli(['render', project, '--format', 'png-sequence', '-o', output, '--workers', '1', '--quiet']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const names = (await readdir(output)).sort();
    const frames = Array.from({ length: FRAMES }, (_, i) => hfFrameName(i));
    expect(frames[0]).toBe('frame_000001.png');
    expect(frames.at(-1)).toBe('frame_000030.png');
    expect(names).toEqual([SEQUENCE_MARKER, 'audio.m4a', ...frames].sort());
    for (const k of [0, 1, 15, FRAMES - 1]) {
      const image = await decodeFrames(path.join(output, hfFrameName(k)), { width: 320, height: 180, alpha: true });
      expect(image.frames).toHaveLength(1);
      // Frame k (file k + 1) shows red 8k; outside the box the stage is transparent.
      expect(pixel(image, 0, 40, 40)).toEqual([8 * k, 0, 0, 255]);
      expect(pixel(image, 0, 300, 160)).toEqual([0, 0, 0, 0]);
    }
    const { stdout } = await runFfprobe([
      '-v',
      'error',
      '-show_entries',
      'stream=codec_name,pix_fmt',
      '-of',
      'csv=p=0',
      path.join(output, hfFrameName(0)),
    ]);
    expect(stdout.trim()).toBe('png,rgba');
    // audio.m4a: AAC, as long as the frames, the beep where it was authored.
    expect(await codecOf(path.join(output, 'audio.m4a'))).toBe('aac');
    expect(await durationOf(path.join(output, 'audio.m4a'))).toBeCloseTo(SECONDS, 3);
    const bursts = findBursts(await decodeMono(path.join(output, 'audio.m4a')));
    expect(bursts).toHaveLength(1);
    expect(bursts[0]!.start).toBeCloseTo(BEEP_AT, 1);
  });

  it('without sound: frames only, numbered from 1 whatever --frames range was rendered', async () => {
    const output = path.join(silent, 'out', 'frames');
    const result = await render(silent, { output, format: 'png-sequence', workers: 1, frames: { first: 5, last: 7 } });
    expect(result.format).toBe('png-sequence');
    expect((await readdir(output)).sort()).toEqual([SEQUENCE_MARKER, 'frame_000001.png', 'frame_000002.png', 'frame_000003.png']);
    // The first file is composition frame 5.
    const first = await decodeFrames(path.join(output, 'frame_000001.png'), { width: 320, height: 180, alpha: true });
    expect(pixel(first, 0, 40, 40)).toEqual([40, 0, 0, 255]);
  });

  it('default output: a directory renders/<name>_<YYYY-MM-DD_HH-MM-SS>, as HyperFrames names it (hls too)', () => {
    const now = new Date(2026, 11, 6, 9, 5, 7);
    expect(defaultOutputPath('/p/promo', 'png-sequence', '/work', now)).toBe(path.join('/work', 'renders', 'promo_2026-12-06_09-05-07'));
    expect(defaultOutputPath('/p/promo', 'hls', '/work', now)).toBe(path.join('/work', 'renders', 'promo_2026-12-06_09-05-07'));
  });
});

describe('--format hls', () => {
  let hlsDir: string;

  beforeAll(async () => {
    hlsDir = path.join(project, 'out', 'hls');
  });

  it('CLI: master, video and audio playlists (VOD), H.264 and AAC segments of 1 s, each starting on its only keyframe', async () => {
    // In-process (the browser the file's renders keep): the png-sequence test spawns the bin.
    const run = await runCliInProcess([
      'render',
      project,
      '--format',
      'hls',
      '--hls-segment-seconds',
      '1',
      '-o',
      hlsDir,
      '--workers',
      '1',
      '--quality',
      'draft',
      '--quiet',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const names = (await readdir(hlsDir)).sort();
    const video = ['video_00000.ts', 'video_00001.ts', 'video_00002.ts'];
    expect(names.filter((n) => n.startsWith('video'))).toEqual(['video.m3u8', ...video]);
    expect(names).toContain('master.m3u8');
    expect(names).toContain('audio.m3u8');
    expect(names).toContain(SEQUENCE_MARKER);
    expect(names.every((n) => /^(?:(?:master|video|audio)\.m3u8|(?:video|audio)_\d{5}\.ts|\.framesmith-sequence)$/.test(n))).toBe(true);

    const master = await readFile(path.join(hlsDir, 'master.m3u8'), 'utf8');
    expect(master).toMatch(/#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="group_aud".*URI="audio\.m3u8"/);
    // One variant, the video, with its size and the audio group; no audio-only variant.
    expect(master.match(/#EXT-X-STREAM-INF:/g)).toHaveLength(1);
    expect(master).toMatch(/#EXT-X-STREAM-INF:BANDWIDTH=\d+,RESOLUTION=320x180,AUDIO="group_aud"\nvideo\.m3u8/);

    const playlist = mediaPlaylist(await readFile(path.join(hlsDir, 'video.m3u8'), 'utf8'));
    expect(playlist.vod).toBe(true);
    expect(playlist.segments).toEqual(video);
    expect(playlist.durations).toEqual([1, 1, 1]);
    for (const [i, segment] of video.entries()) {
      expect(await codecOf(path.join(hlsDir, segment))).toBe('h264');
      const frames = await videoFrames(path.join(hlsDir, segment));
      expect(frames).toHaveLength(FPS);
      expect(frames[0]!.key).toBe(true);
      expect(frames.filter((f) => f.key)).toHaveLength(1);
      // Each segment holds its own second: its first frame is frame 10i.
      expect(frames[0]!.pts - (await videoFrames(path.join(hlsDir, video[0]!)))[0]!.pts).toBeCloseTo(i, 3);
    }

    const audio = mediaPlaylist(await readFile(path.join(hlsDir, 'audio.m3u8'), 'utf8'));
    expect(audio.vod).toBe(true);
    expect(audio.durations.reduce((a, b) => a + b, 0)).toBeCloseTo(SECONDS, 1);
    for (const segment of audio.segments) expect(await codecOf(path.join(hlsDir, segment))).toBe('aac');
    // The beep is where it was authored.
    const bursts = findBursts(await decodeMono(path.join(hlsDir, 'audio.m3u8')));
    expect(bursts).toHaveLength(1);
    expect(bursts[0]!.start).toBeCloseTo(BEEP_AT, 1);
  });

  it('a render replaces its own earlier HLS directory (default 4 s segments: one here), refuses a foreign one', async () => {
    const result = await render(project, { output: hlsDir, format: 'hls', workers: 1, quality: 'draft' });
    expect(result.format).toBe('hls');
    const names = (await readdir(hlsDir)).sort();
    expect(names.filter((n) => n.startsWith('video'))).toEqual(['video.m3u8', 'video_00000.ts']);
    expect(mediaPlaylist(await readFile(path.join(hlsDir, 'video.m3u8'), 'utf8')).durations).toEqual([3]);

    const foreign = path.join(project, 'out', 'mine');
    await render(silent, { output: foreign, format: 'hls', workers: 1, quality: 'draft' });
    await writeFile(path.join(foreign, 'notes.txt'), 'mine');
    const error = await render(silent, { output: foreign, format: 'hls', workers: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RenderError);
    expect((error as RenderError).code).toBe('output_refused');
    expect((error as RenderError).message).toContain(`-o ${foreign} holds files framesmith did not write (notes.txt)`);
    expect(await readFile(path.join(foreign, 'notes.txt'), 'utf8')).toBe('mine');
    // Without sound: the video playlist only.
    expect((await readdir(foreign)).sort()).toEqual([SEQUENCE_MARKER, 'master.m3u8', 'notes.txt', 'video.m3u8', 'video_00000.ts']);
  });

  it('the fixed GOP at 30000/1001 fps, 2 s segments: keyframes exactly at frames 0, 60, 120 and segments of 2.002 s', async () => {
    const dir = await makeProject({}, 'fs-formats-hf-gop-');
    try {
      const mp4 = path.join(dir, 'in.mp4');
      const fps = { num: 30000, den: 1001 };
      const encoder = await startVideoEncoder({
        format: 'mp4',
        output: mp4,
        width: 64,
        height: 64,
        fps,
        quality: 'draft',
        keyframeSeconds: 2,
      });
      // 150 frames of changing content as PNGs (scene cuts everywhere: none may become a keyframe), one write each.
      const source = await startFfmpeg([
        '-v',
        'error',
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=64x64:rate=30000/1001,noise=alls=100:allf=t',
        '-frames:v',
        '150',
        '-start_number',
        '0',
        path.join(dir, 'src-%03d.png'),
      ]);
      await source.done;
      for (let i = 0; i < 150; i++) await encoder.write(await readFile(path.join(dir, `src-${String(i).padStart(3, '0')}.png`)));
      await encoder.finish();
      const keys = (await videoFrames(mp4)).flatMap((f, i) => (f.key ? [i] : []));
      expect(keys).toEqual([0, 60, 120]);
      const out = path.join(dir, 'hls');
      await packageHls(mp4, out, { segmentSeconds: 2 });
      const playlist = mediaPlaylist(await readFile(path.join(out, 'video.m3u8'), 'utf8'));
      expect(playlist.durations).toEqual([2.002, 2.002, 1.001]);
      for (const segment of playlist.segments) expect((await videoFrames(path.join(out, segment)))[0]!.key).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refused with invalid_option before any work: chunks (--chunk-frames), --hdr, a segment length outside 1–60', async () => {
    const output = path.join(silent, 'out', 'refused');
    // The library names options (the CLI shows their flags: below, and test/cli/option-flags.test.ts).
    const cases: Array<[Parameters<typeof render>[1], string, string]> = [
      [
        { format: 'hls', chunkFrames: 10 },
        'format',
        '`format` hls cannot be rendered in chunks (`chunkFrames`): render it in one process without `chunkFrames`',
      ],
      [{ format: 'png-sequence', chunkFrames: 10 }, 'format', '`format` png-sequence cannot be rendered in chunks (`chunkFrames`)'],
      [
        { format: 'hls', dynamicRange: 'hdr' },
        'dynamicRange',
        "`dynamicRange: 'hdr'` cannot be combined with `format` hls: HLS output is SDR only",
      ],
      [
        { format: 'hls', hlsSegmentSeconds: 0 },
        'hlsSegmentSeconds',
        '`hlsSegmentSeconds` must be a whole number of seconds from 1 to 60, got 0',
      ],
      [
        { format: 'mp4', hlsSegmentSeconds: 1.5 },
        'hlsSegmentSeconds',
        '`hlsSegmentSeconds` must be a whole number of seconds from 1 to 60, got 1.5',
      ],
    ];
    for (const [options, option, message] of cases) {
      const error = await render(silent, { ...options, output }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RenderError);
      expect((error as RenderError).code).toBe('invalid_option');
      expect((error as RenderError).fields.option).toBe(option);
      expect((error as RenderError).message).toContain(message);
    }
    await expect(readdir(output)).rejects.toMatchObject({ code: 'ENOENT' });
    const run = await runCliInProcess(['render', silent, '--format', 'hls', '--hls-segment-seconds', '61', '-o', output]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--hls-segment-seconds');
    expect(run.stderr).toContain('1 to 60');
    await expect(readdir(output)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
