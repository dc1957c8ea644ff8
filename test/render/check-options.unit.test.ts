/**
 * `checkRenderOptions` on its own (no browser, no ffmpeg): every value and combination it refuses is a
 * RenderError `invalid_option` whose message names the option (by its API name or its flag: the
 * wording is the library's) and what it accepts; values it accepts pass untouched.
 */
import { describe, expect, it } from 'vitest';
import { checkRenderOptions } from '../../src/render/options.js';
import type { RenderOptions } from '../../src/render/types.js';
import type { OutputFormat } from '../../src/stages/stage.js';

/** What checkRenderOptions threw for `options` and `format` (fails the test when it returned). */
function refusal(options: RenderOptions, format: OutputFormat = 'mp4'): Error & { code?: string } {
  try {
    checkRenderOptions(options, format);
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error(`accepted ${JSON.stringify(options)} (${format})`);
}

describe('checkRenderOptions', () => {
  it('accepts what a render may be given', () => {
    const good: Array<[RenderOptions, OutputFormat]> = [
      [{}, 'mp4'],
      [{ workers: 4, crf: 0, frames: { first: 0, last: 0 } }, 'mp4'],
      [{ crf: 63 }, 'webm'],
      [{ videoBitrate: '5M' }, 'mp4'],
      [{ videoBitrate: '800k' }, 'webm'],
      [{ videoBitrate: '2.5m' }, 'mp4'],
      [{ gifWidth: 2, gifLoop: 0 }, 'gif'],
      [{ gifLoop: 65_535 }, 'gif'],
      [{ vp9CpuUsed: -8 }, 'webm'],
      [{ vp9CpuUsed: 8 }, 'webm'],
      [{ chunkFrames: 1, storage: '/mnt/renders' }, 'mp4'],
      [{ redis: 'redis://127.0.0.1:6379', storage: '/mnt/renders' }, 'mp4'],
      [{ frames: { first: 5, last: 9 } }, 'mov'],
    ];
    for (const [options, format] of good) expect(() => checkRenderOptions(options, format), JSON.stringify(options)).not.toThrow();
  });

  it.each<[string, RenderOptions, OutputFormat, RegExp]>([
    ['workers 0', { workers: 0 }, 'mp4', /`workers` must be a whole number >= 1 \(got 0\)/],
    ['workers 1.5', { workers: 1.5 }, 'mp4', /`workers` must be a whole number >= 1 \(got 1\.5\)/],
    ['crf with a bitrate', { crf: 20, videoBitrate: '2M' }, 'mp4', /\bcrf\b.*video-?bitrate.* cannot be combined/i],
    ['crf for mov', { crf: 20 }, 'mov', /\bcrf\b.* applies to mp4 and webm only: mov is ProRes 4444/],
    ['a bitrate for gif', { videoBitrate: '2M' }, 'gif', /video-?bitrate.* applies to mp4 and webm only: gif has no rate control/i],
    ['crf 64', { crf: 64 }, 'mp4', /\bcrf\b.* must be a whole number from 0 to 63 .*got 64/],
    ['crf -1', { crf: -1 }, 'webm', /\bcrf\b.* must be a whole number from 0 to 63 .*got -1/],
    ['a bitrate without a number', { videoBitrate: 'fast' }, 'mp4', /video-?bitrate.* must be a number of bits per second .*got "fast"/i],
    ['a bitrate in the wrong unit', { videoBitrate: '5T' }, 'mp4', /video-?bitrate.*got "5T"/i],
    ['gifWidth 1', { gifWidth: 1 }, 'gif', /gif-?width.* must be a whole number of pixels >= 2, got 1/i],
    ['gifLoop past its cap', { gifLoop: 65_536 }, 'gif', /gif-?loop.* from 0 \(forever\) to 65535, got 65536/i],
    ['gifLoop -1', { gifLoop: -1 }, 'gif', /gif-?loop.*got -1/i],
    ['vp9CpuUsed 9', { vp9CpuUsed: 9 }, 'webm', /vp9-?cpu-?used.* from -8 to 8, got 9/i],
    ['chunkFrames 0', { chunkFrames: 0, storage: '/mnt/r' }, 'mp4', /chunk-?frames.* whole number of frames >= 1 \(got 0\)/i],
    ['redis without storage', { redis: 'redis://127.0.0.1:6379' }, 'mp4', /\bredis\b.* needs .*\bstorage\b/],
    ['frames backwards', { frames: { first: 5, last: 2 } }, 'mp4', /\bframes\b.* with 0 <= a <= b, got 5-2/],
    ['frames from -1', { frames: { first: -1, last: 2 } }, 'mp4', /\bframes\b.*got -1-2/],
  ])('refuses %s with invalid_option, naming the option and what it takes', (_what, options, format, message) => {
    const error = refusal(options, format);
    expect(error.code).toBe('invalid_option');
    expect(error.message).toMatch(message);
  });

  it('checks the options it hands on: deadlines, picture, format', () => {
    expect(refusal({ browserTimeout: -1 }).code).toBe('invalid_option');
    expect(refusal({ browserTimeout: -1 }).message).toMatch(/browserTimeout/);
    expect(refusal({ hlsSegmentSeconds: 0 }, 'hls').message).toMatch(/hls-?segment-?seconds.* from 1 to 60, got 0/i);
    expect(refusal({ chunkFrames: 10, storage: '/mnt/r' }, 'hls').message).toMatch(/hls cannot be rendered in chunks/);
  });
});
