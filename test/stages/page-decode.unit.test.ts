/**
 * The page-decode stage's pure parts (src/stages/page-decode.ts): which videos the page decodes, the
 * canvas size and colour space it decodes them with, and the media time it is told at each frame —
 * the extraction engine's slot times (trim, rate, hold, loop, the 1 ms tolerance).
 */
import { describe, expect, it } from 'vitest';
import type { MediaElement } from '../../src/composition/model.js';
import type { MediaInfo } from '../../src/media/probe.js';
import { AUTO_DECODES_IN_PAGE, decodeChoice, decodedVideo, mediaTargetAt, pageDecodeRefusal } from '../../src/stages/page-decode.js';
import type { PlacedVideo } from '../../src/stages/video-placement.js';
import { resolveRenderOptions } from '../../src/render/options.js';

const FPS = { num: 30, den: 1 };

function info(over: Partial<MediaInfo> = {}): MediaInfo {
  return {
    file: '/p/clip.mp4',
    duration: 2,
    streamStart: 0,
    width: 1920,
    height: 1080,
    rotation: 0,
    codec: 'h264',
    pixelFormat: 'yuv420p',
    hasAlpha: false,
    alphaNeedsLibvpx: false,
    colorTransfer: null,
    colorPrimaries: null,
    colorSpace: null,
    colorRange: null,
    displayMatrix: 'bt709',
    hdr: null,
    ...over,
  } as MediaInfo;
}

function placed(over: Partial<MediaElement> = {}, media: Partial<MediaInfo> = {}, window = { start: 0, end: 1 }): PlacedVideo {
  const element = { index: 0, label: 'video#v', src: '/p/clip.mp4', mediaStart: 0, playbackRate: 1, loop: false, ...over } as MediaElement;
  return { element, id: element.label, info: info(media), ...window };
}

const FULL = { width: 1920, height: 1080, fit: 'cover' };

describe('which videos the page decodes', () => {
  it('refuses what the browser cannot decode exactly', () => {
    expect(pageDecodeRefusal(info())).toBeNull();
    expect(pageDecodeRefusal(info({ codec: 'vp9', displayMatrix: 'smpte170m' }))).toBeNull();
    expect(pageDecodeRefusal(info({ codec: 'hevc' }))).toMatch(/hevc/);
    expect(pageDecodeRefusal(info({ codec: 'prores' }))).toMatch(/prores/);
    expect(pageDecodeRefusal(info({ hasAlpha: true }))).toMatch(/alpha/);
    expect(pageDecodeRefusal(info({ hdr: 'pq' }))).toMatch(/HDR/);
    expect(pageDecodeRefusal(info({ rotation: 90 }))).toMatch(/rotated/);
    expect(pageDecodeRefusal(info({ displayMatrix: 'bt2020nc' }))).toMatch(/bt2020nc/);
  });

  it('ffmpeg decodes everything; page what it can overlay; auto (when on) only what is drawn at least half its size', () => {
    const v = placed();
    expect(decodeChoice('ffmpeg', v, 'absolute', FULL).path).toBe('ffmpeg');
    expect(decodeChoice('page', v, 'absolute', FULL)).toEqual({ element: 'video#v', path: 'page' });
    expect(decodeChoice('page', v, 'fixed', FULL).path).toBe('page');
    expect(decodeChoice('page', v, 'static', FULL)).toMatchObject({ path: 'ffmpeg', reason: expect.stringMatching(/static/) });
    expect(decodeChoice('page', placed({}, { codec: 'hevc' }), 'absolute', FULL).path).toBe('ffmpeg');
    const pip = { width: 640, height: 360, fit: 'cover' };
    expect(decodeChoice('page', v, 'absolute', pip).path).toBe('page');
    expect(decodeChoice('auto', v, 'absolute', pip).path).toBe('ffmpeg');
    expect(decodeChoice('auto', v, 'absolute', { width: 960, height: 540, fit: 'cover' }).path).toBe(
      AUTO_DECODES_IN_PAGE ? 'page' : 'ffmpeg',
    );
  });
});

describe('the decoded video', () => {
  it('is decoded at the drawn size in the source aspect (native for none and scale-down), in the probed colour space', () => {
    expect(decodedVideo(placed(), { width: 960, height: 540, fit: 'fill' }, FPS)).toMatchObject({
      width: 960,
      height: 540,
      colorSpace: { matrix: 'bt709', primaries: 'bt709', transfer: 'bt709', fullRange: false },
    });
    expect(decodedVideo(placed(), { width: 400, height: 400, fit: 'contain' }, FPS)).toMatchObject({ width: 400, height: 225 });
    expect(decodedVideo(placed(), { width: 400, height: 400, fit: 'none' }, FPS)).toMatchObject({ width: 1920, height: 1080 });
    expect(decodedVideo(placed(), { width: 400, height: 400, fit: 'scale-down' }, FPS)).toMatchObject({ width: 1920, height: 1080 });
    expect(decodedVideo(placed(), { width: 0, height: 0, fit: 'fill' }, FPS)).toMatchObject({ width: 1920, height: 1080 });
    const sd = decodedVideo(placed({}, { displayMatrix: 'smpte170m', colorRange: 'pc', colorPrimaries: 'bt470bg' }), FULL, FPS)!;
    expect(sd.colorSpace).toEqual({ matrix: 'smpte170m', primaries: 'bt470bg', transfer: 'smpte170m', fullRange: true });
  });

  it('has no page form when the trim starts at or past the end of the media', () => {
    expect(decodedVideo(placed({ mediaStart: 2 }), FULL, FPS)).toBeNull();
  });
});

describe('the media time the page is told', () => {
  const target = (v: PlacedVideo, t: number) => mediaTargetAt(decodedVideo(v, FULL, FPS)!, t);
  const at = (seconds: number) => Math.round(seconds * 1e6);

  it('slot k of a clip is at streamStart + mediaStart + k × rate / fps + 1 ms; nothing off screen', () => {
    const v = placed({ mediaStart: 0.37, playbackRate: 1.5 }, { streamStart: 1.4 }, { start: 0.2, end: 1 });
    expect(target(v, 0.1)).toBeNull();
    expect(target(v, 0.2)).toBe(at(1.4 + 0.37 + 0.001));
    expect(target(v, 0.2 + 5 / 30)).toBe(at(1.4 + 0.37 + 0.001 + (5 * 1.5) / 30));
    // Within a slot the slot's time; the window is half-open.
    expect(target(v, 0.2 + 5.5 / 30)).toBe(at(1.4 + 0.37 + 0.001 + (5 * 1.5) / 30));
    expect(target(v, 1)).toBeNull();
  });

  it('holds the last slot before the media ends, or wraps when looping', () => {
    // 2 s of media from 1.5 s: 15 slots (0..14) show their own time.
    const held = placed({ mediaStart: 1.5 }, {}, { start: 0, end: 1 });
    expect(target(held, 14 / 30)).toBe(at(1.5 + 0.001 + 14 / 30));
    expect(target(held, 20 / 30)).toBe(at(1.5 + 0.001 + 14 / 30));
    const looped = placed({ mediaStart: 1.5, loop: true }, {}, { start: 0, end: 1 });
    expect(target(looped, 15 / 30)).toBe(at(1.5 + 0.001));
    expect(target(looped, 17 / 30)).toBe(at(1.5 + 0.001 + 2 / 30));
  });
});

describe('the videoDecode option', () => {
  it('resolves to auto by default, ffmpeg for planned renders, and refuses other values', () => {
    expect(resolveRenderOptions('/p', {}, {}).videoDecode).toBe('auto');
    expect(resolveRenderOptions('/p', { videoDecode: 'page' }, {}).videoDecode).toBe('page');
    expect(resolveRenderOptions('/p', { videoDecode: 'page', chunkFrames: 10 }, {}).videoDecode).toBe('ffmpeg');
    expect(() => resolveRenderOptions('/p', { videoDecode: 'gpu' as 'page' }, {})).toThrow(
      /`videoDecode` must be auto, page or ffmpeg \(got "gpu"\)/,
    );
  });
});
