/**
 * `resolveRenderOptions` on its own (no browser, no ffmpeg): the one place a render's defaults are
 * applied. Its result holds every default, what was given where it was given, is frozen (the frame range
 * and the deadlines too) and leaves the caller's object as it was; a bad value or combination is
 * `invalid_option` before anything else happens.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DEADLINES } from '../../src/capture/deadlines.js';
import { defaultWorkers, MIN_FRAMES_PER_WORKER, workersForFrames } from '../../src/capture/worker-count.js';
import { DEFAULT_CHUNK_FRAMES } from '../../src/plan/chunks.js';
import { resolveRenderOptions } from '../../src/render/options.js';
import type { RenderOptions } from '../../src/render/types.js';

/** An environment without the variables a developer's shell (or the test suite) may set. */
const BARE: NodeJS.ProcessEnv = { HOME: '/home/someone' };
const PROJECT = '/work/projects/intro';

/** What resolving `options` threw (fails the test when it returned). */
function refusal(options: RenderOptions, env: NodeJS.ProcessEnv = BARE): Error & { code?: string } {
  try {
    resolveRenderOptions(PROJECT, options, env);
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error(`resolved ${JSON.stringify(options)}`);
}

describe('resolveRenderOptions', () => {
  it('applies every default once', () => {
    const resolved = resolveRenderOptions(PROJECT, {}, BARE);
    expect(resolved).toMatchObject({
      input: PROJECT,
      format: 'mp4',
      planned: false,
      workers: defaultWorkers(),
      workersChosen: false,
      webgl: 'auto',
      seed: 1,
      strict: false,
      cacheDir: path.join('/home/someone', '.cache', 'framesmith'),
      hdr: false,
      hdrWarning: null,
      frameFormat: 'jpeg',
      hlsSegmentSeconds: 4,
      chunkFrames: DEFAULT_CHUNK_FRAMES,
    });
    expect(resolved.deadlines).toEqual(DEFAULT_DEADLINES);
    expect(path.isAbsolute(resolved.output)).toBe(true);
    expect(path.relative(process.cwd(), resolved.output)).toMatch(/^renders[/\\]intro_\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d\.mp4$/);
  });

  it('keeps what was given, and reads the environment only where nothing was given', () => {
    const options: RenderOptions = {
      output: 'out/clip.webm',
      workers: 3,
      webgl: 'on',
      seed: 7,
      strict: true,
      cache: false,
      crf: 30,
      hlsSegmentSeconds: 6,
      protocolTimeout: 5000,
      frames: { first: 2, last: 9 },
    };
    const env = {
      ...BARE,
      FRAMESMITH_WORKERS: '2',
      PRODUCER_PLAYER_READY_TIMEOUT_MS: '2000',
      PRODUCER_PUPPETEER_PROTOCOL_TIMEOUT_MS: '9000',
    };
    const resolved = resolveRenderOptions(PROJECT, options, env);
    expect(resolved).toMatchObject({
      format: 'webm',
      output: path.resolve('out/clip.webm'),
      workers: 3,
      workersChosen: true,
      webgl: 'on',
      seed: 7,
      strict: true,
      cacheDir: null,
      crf: 30,
      frameFormat: 'png',
      hlsSegmentSeconds: 6,
      frames: { first: 2, last: 9 },
    });
    expect(resolved.deadlines).toEqual({ ...DEFAULT_DEADLINES, protocolTimeoutMs: 5000, playerReadyTimeoutMs: 2000 });
    expect(resolveRenderOptions(PROJECT, {}, env)).toMatchObject({ workers: 2, workersChosen: true });
  });

  it('a default worker count yields to a short render; a count asked for is kept, up to one a frame', () => {
    // Not asked for: one under 2 × MIN_FRAMES_PER_WORKER frames, at most one per MIN_FRAMES_PER_WORKER above.
    expect(MIN_FRAMES_PER_WORKER).toBe(30);
    expect([1, 30, 59, 60, 89, 90, 240, 10_000].map((frames) => workersForFrames(8, frames, false))).toEqual([1, 1, 1, 2, 2, 3, 8, 8]);
    // Asked for (the option or FRAMESMITH_WORKERS): as given, at most one per frame.
    expect([1, 3, 30, 10_000].map((frames) => workersForFrames(8, frames, true))).toEqual([1, 3, 8, 8]);
    // The frame count not known yet (a timeline gives it once a page loaded): the count as resolved.
    expect(workersForFrames(4, 0, false)).toBe(4);
  });

  it('keeps browsers for the next render: keepBrowsers, else FRAMESMITH_KEEP_BROWSERS, else 0; a bad value is refused', () => {
    expect(resolveRenderOptions(PROJECT, {}, BARE).keepBrowsers).toBe(0);
    expect(resolveRenderOptions(PROJECT, {}, { ...BARE, FRAMESMITH_KEEP_BROWSERS: '30000' }).keepBrowsers).toBe(30_000);
    expect(resolveRenderOptions(PROJECT, { keepBrowsers: 0 }, { ...BARE, FRAMESMITH_KEEP_BROWSERS: '30000' }).keepBrowsers).toBe(0);
    const bad = refusal({ keepBrowsers: -1 });
    expect(bad).toMatchObject({ code: 'invalid_option', fields: { option: 'keepBrowsers' } });
    expect(bad.message).toMatch(/`keepBrowsers` must be a number of milliseconds >= 0 \(got -1\)/);
  });

  it('decides the frame format and HDR once: PNG for HDR mp4, a warning for HDR elsewhere', () => {
    expect(resolveRenderOptions(PROJECT, { quality: 'high' }, BARE).frameFormat).toBe('png');
    expect(resolveRenderOptions(PROJECT, { frameFormat: 'png' }, BARE).frameFormat).toBe('png');
    expect(resolveRenderOptions(PROJECT, { dynamicRange: 'hdr' }, BARE)).toMatchObject({ hdr: true, hdrWarning: null, frameFormat: 'png' });
    const webm = resolveRenderOptions(PROJECT, { dynamicRange: 'hdr', format: 'webm' }, BARE);
    expect(webm).toMatchObject({ hdr: false, hdrWarning: { code: 'hdr_unsupported' } });
    expect(webm.hdrWarning?.message).toMatch(/webm output is written SDR/);
  });

  it('a planned render: chunkFrames, redis or storage', () => {
    expect(resolveRenderOptions(PROJECT, { chunkFrames: 30 }, BARE)).toMatchObject({ planned: true, chunkFrames: 30 });
    expect(resolveRenderOptions(PROJECT, { storage: '/mnt/renders' }, BARE)).toMatchObject({
      planned: true,
      chunkFrames: DEFAULT_CHUNK_FRAMES,
      storage: '/mnt/renders',
    });
  });

  it('a distributed render with a malformed timing variable fails here, before any work, naming the variable', () => {
    const distributed: RenderOptions = { redis: 'redis://127.0.0.1:6379', storage: '/mnt/renders' };
    expect(() => resolveRenderOptions(PROJECT, distributed, { ...BARE, FRAMESMITH_LOCK_MS: '2s' })).toThrow(
      expect.objectContaining({ code: 'invalid_config', message: expect.stringContaining('FRAMESMITH_LOCK_MS="2s" is not a duration') }),
    );
    // Without `redis` the timings are not read: a local render does not care.
    expect(resolveRenderOptions(PROJECT, { storage: '/mnt/renders' }, { ...BARE, FRAMESMITH_LOCK_MS: '2s' }).planned).toBe(true);
    expect(resolveRenderOptions(PROJECT, distributed, { ...BARE, FRAMESMITH_LOCK_MS: '2000' }).planned).toBe(true);
  });

  it("is frozen, down to the frame range and the deadlines, and leaves the caller's object as it was", () => {
    const frames = { first: 0, last: 4 };
    const options: RenderOptions = { frames, cache: '/tmp/c', dynamicRange: 'sdr' };
    const before = structuredClone(options);
    const resolved = resolveRenderOptions(PROJECT, options, BARE);
    expect(Object.isFrozen(resolved) && Object.isFrozen(resolved.frames) && Object.isFrozen(resolved.deadlines)).toBe(true);
    expect(() => {
      (resolved as { seed: number }).seed = 2;
    }).toThrow(TypeError);
    expect(() => {
      (resolved.frames as { last: number }).last = 9;
    }).toThrow(TypeError);
    expect(options).toEqual(before);
    expect(Object.isFrozen(options) || Object.isFrozen(frames)).toBe(false);
    // The raw options that were resolved into something else are not passed on beside it.
    expect('cache' in resolved || 'dynamicRange' in resolved).toBe(false);
    expect(resolved.cacheDir).toBe('/tmp/c');
  });

  it.each<[string, RenderOptions, NodeJS.ProcessEnv, RegExp]>([
    ['crf with a bitrate', { crf: 20, videoBitrate: '2M' }, BARE, /\bcrf\b.*video-?bitrate.* cannot be combined/i],
    ['redis without storage', { redis: 'redis://127.0.0.1:6379' }, BARE, /\bredis\b.* needs .*\bstorage\b/],
    ['hdr in chunks', { dynamicRange: 'hdr', chunkFrames: 10 }, BARE, /hdr.* not supported by planned renders/i],
    ['workers 0', { workers: 0 }, BARE, /workers\W* must be a whole number >= 1 \(got 0\)/],
    ['a bad FRAMESMITH_WORKERS', {}, { ...BARE, FRAMESMITH_WORKERS: '0' }, /FRAMESMITH_WORKERS must be a whole number >= 1 \(got "0"\)/],
    [
      'a bad deadline variable',
      {},
      { ...BARE, PRODUCER_PLAYER_READY_TIMEOUT_MS: 'soon' },
      /PRODUCER_PLAYER_READY_TIMEOUT_MS must be .*got "soon"/,
    ],
  ])('refuses %s with invalid_option, before any work', (_what, options, env, message) => {
    const error = refusal(options, env);
    expect(error.code).toBe('invalid_option');
    expect(error.message).toMatch(message);
  });
});
