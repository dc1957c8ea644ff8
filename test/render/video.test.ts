/**
 * Video clips end to end through render(): every output frame's video region is decoded and the
 * source frame number it shows is read from its pixels (test/helpers/frame-media.ts), then compared
 * with what a player shows at that moment: the last source frame whose timestamp is <= the media time
 * of the clip's slot, held at the last frame when the media ends, wrapped when looping, and nothing
 * (the root's blue background) outside the clip's window.
 *
 * One 320x180 composition (1.6 s at 30 fps) holds eight 80x45 clips, one per case, rendered with the
 * frames extracted by ffmpeg and with the frames decoded in the page (`videoDecode: 'page'`).
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render, type RenderResult } from '../../src/render.js';
import { liveChildCount } from '../../src/media/process.js';
import { expectedSourceFrame, makeIndexedVideo, readFrameIndexFromRaw, type IndexedVideo } from '../helpers/frame-media.js';
import { decodeFrames, makeProject, page, type DecodedVideo } from '../helpers/render-pixels.js';
import { streamCodecs } from '../helpers/audio-media.js';

const FPS = 30;
const DURATION = 1.6;
const FRAMES = DURATION * FPS;
const W = 80;
const H = 45;

interface Clip {
  id: string;
  file: 'src30' | 'src24' | 'vfr' | 'short';
  start: number;
  /** undefined: open-ended (to the end of its media). */
  duration?: number;
  mediaStart?: number;
  rate?: number;
  loop?: boolean;
  col: number;
  row: number;
}

const CLIPS: Clip[] = [
  { id: 'trim', file: 'src30', start: 0.2, duration: 1.0, mediaStart: 0.37, col: 0, row: 0 },
  { id: 'rate', file: 'src30', start: 0, duration: 1.2, mediaStart: 0.1, rate: 1.5, col: 1, row: 0 },
  { id: 'fps24', file: 'src24', start: 0, duration: 1.5, mediaStart: 0.21, col: 2, row: 0 },
  { id: 'vfr', file: 'vfr', start: 0, duration: 1.5, mediaStart: 0.05, col: 3, row: 0 },
  { id: 'loop', file: 'short', start: 0, duration: 1.5, loop: true, col: 0, row: 1 },
  { id: 'held', file: 'short', start: 0.1, duration: 1.4, col: 1, row: 1 },
  { id: 'trim2', file: 'src30', start: 0, duration: 0.8, mediaStart: 1.03, col: 2, row: 1 },
  { id: 'open', file: 'short', start: 0.8, mediaStart: 0.1, col: 3, row: 1 },
];

/** Nominal media lengths, seconds (frames / rate; the VFR pattern averages 2 ticks of 1/60 s). */
const LENGTH: Record<Clip['file'], number> = { src30: 2, src24: 2, vfr: 2, short: 0.5 };

let project: string;
let media: Record<Clip['file'], IndexedVideo>;
/**
 * Rendered by the bundled headless shell (beginframe capture) on both decode paths and, when installed,
 * Debian's chromium (screenshots).
 */
const BROWSERS: Array<{ name: string; mode: string; browser?: string; videoDecode: 'ffmpeg' | 'page' }> = [
  { name: 'beginframe', mode: 'beginframe', videoDecode: 'ffmpeg' },
  { name: 'beginframe, decoded in the page', mode: 'beginframe', videoDecode: 'page' },
  ...(existsSync('/usr/bin/chromium')
    ? [{ name: 'screenshot', mode: 'screenshot', browser: '/usr/bin/chromium', videoDecode: 'ffmpeg' as const }]
    : []),
];
const results: Record<string, { result: RenderResult; video: DecodedVideo }> = {};

/** What clip `c` shows on output frame k: a source frame number, or 'none'. */
function expected(c: Clip, k: number): number | 'none' {
  const src = media[c.file];
  const t = k / FPS;
  const mediaStart = c.mediaStart ?? 0;
  const rate = c.rate ?? 1;
  const mediaLength = LENGTH[c.file];
  const end = c.duration !== undefined ? c.start + c.duration : c.start + (mediaLength - mediaStart) / rate;
  if (t < c.start - 1e-6 || t >= end - 1e-6) return 'none';
  let slot = Math.floor((t - c.start) * FPS + 1e-6);
  // A loop repeats the slots that fall before the media ends: [mediaStart, mediaLength).
  if (c.loop) slot %= Math.ceil(((mediaLength - mediaStart) * FPS) / rate - 1e-6);
  return expectedSourceFrame(src.pts, mediaStart + (slot * rate) / FPS);
}

function region(c: Clip) {
  return { x: c.col * W, y: c.row * H, w: W, h: H };
}

/** The region shows the root's blue background and no frame pattern. */
function isBackground(frame: Buffer, c: Clip): boolean {
  const r = region(c);
  let red = 0;
  let green = 0;
  let blue = 0;
  let n = 0;
  for (let y = r.y + 2; y < r.y + r.h - 2; y++) {
    for (let x = r.x + 2; x < r.x + r.w - 2; x++) {
      const o = (y * 320 + x) * 3;
      red += frame[o]!;
      green += frame[o + 1]!;
      blue += frame[o + 2]!;
      n++;
    }
  }
  return blue / n > 200 && red / n < 40 && green / n < 40;
}

beforeAll(async () => {
  project = await makeProject({});
  const dir = path.join(project, 'media');
  const [src30, src24, vfr, short] = await Promise.all([
    makeIndexedVideo(path.join(dir, 'src30.mp4'), { width: 160, height: 90, fps: 30, frames: 60, codec: 'h264' }),
    makeIndexedVideo(path.join(dir, 'src24.mp4'), { width: 160, height: 90, fps: 24, frames: 48, codec: 'h264' }),
    makeIndexedVideo(path.join(dir, 'vfr.mp4'), { width: 160, height: 90, fps: 30, frames: 60, codec: 'h264', vfr: 'pattern' }),
    makeIndexedVideo(path.join(dir, 'short.webm'), { width: 160, height: 90, fps: 30, frames: 15, codec: 'vp9' }),
  ]);
  media = { src30, src24, vfr, short };
  const ext = { src30: 'mp4', src24: 'mp4', vfr: 'mp4', short: 'webm' } as const;
  const body = CLIPS.map((c) => {
    const attrs = [
      `id="${c.id}"`,
      `src="media/${c.file}.${ext[c.file]}"`,
      `data-start="${c.start}"`,
      c.duration !== undefined ? `data-duration="${c.duration}"` : '',
      c.mediaStart !== undefined ? `data-media-start="${c.mediaStart}"` : '',
      c.rate !== undefined ? `data-playback-rate="${c.rate}"` : '',
      c.loop ? 'loop' : '',
      'muted',
      `style="left:${c.col * W}px;top:${c.row * H}px"`,
    ]
      .filter(Boolean)
      .join(' ');
    return `<video ${attrs}></video>`;
  }).join('\n');
  const { writeFile } = await import('node:fs/promises');
  await writeFile(
    path.join(project, 'index.html'),
    page({
      duration: DURATION,
      rootBackground: '#0000ff',
      style: `video { position: absolute; width: ${W}px; height: ${H}px; object-fit: fill; }`,
      body,
    }),
  );
  for (const { name, browser, videoDecode } of BROWSERS) {
    const output = path.join(project, 'out', `clips-${name.replace(/\W+/g, '-')}.mp4`);
    const result = await render(project, { output, quality: 'high', workers: 2, videoDecode, ...(browser ? { browser } : {}) });
    results[name] = { result, video: await decodeFrames(output, { width: 320, height: 180 }) };
  }
}, 180_000);

afterAll(async () => {
  if (project) await rm(project, { recursive: true, force: true });
});

describe.each(BROWSERS)('video clips in the render ($name)', ({ name, mode, videoDecode }) => {
  it('renders every frame with no audio stream (no clip is audible)', async () => {
    const { result, video } = results[name]!;
    expect(result.stages['video-frames']?.decode).toMatchObject({
      page: videoDecode === 'page' ? CLIPS.length : 0,
      ffmpeg: videoDecode === 'page' ? 0 : CLIPS.length,
    });
    expect(result.captureMode).toBe(mode);
    expect(result.frames).toBe(FRAMES);
    expect(video.frames.length).toBe(FRAMES);
    expect(await streamCodecs(result.output)).toEqual(['h264']);
    expect(liveChildCount()).toBe(0);
  });

  for (const clip of CLIPS) {
    it(`${clip.id}: every frame shows the expected source frame, and nothing outside its window`, () => {
      const wrong: string[] = [];
      let shown = 0;
      let hidden = 0;
      const { video } = results[name]!;
      for (let k = 0; k < FRAMES; k++) {
        const want = expected(clip, k);
        const frame = video.frames[k]!;
        if (want === 'none') {
          hidden++;
          if (!isBackground(frame, clip)) wrong.push(`frame ${k}: expected background`);
          continue;
        }
        shown++;
        let got: number | string;
        try {
          got = readFrameIndexFromRaw(frame, 320, 180, 'rgb24', region(clip));
        } catch (error) {
          got = (error as Error).message;
        }
        if (got !== want) wrong.push(`frame ${k}: got ${got}, expected ${want}`);
      }
      expect(wrong).toEqual([]);
      expect(shown).toBeGreaterThan(10);
      if (clip.start > 0 || clip.duration === undefined || clip.start + (clip.duration ?? 0) < DURATION) expect(hidden).toBeGreaterThan(0);
    });
  }
});
