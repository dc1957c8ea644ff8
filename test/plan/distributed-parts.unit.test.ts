/**
 * The distributed mode's pure parts, without Redis, S3 or a browser: a frame range cut into chunks
 * (splitChunks), an s3:// storage URL parsed (parseS3Url), the timings the environment sets
 * (distributedTimings), and which chunk failures are tried again (failsForGood).
 */
import { describe, expect, it } from 'vitest';
import { CaptureError } from '../../src/capture/errors.js';
import { failsForGood } from '../../src/distributed/failures.js';
import { DEFAULT_TIMINGS, distributedTimings } from '../../src/distributed/timings.js';
import { RenderError } from '../../src/render/errors.js';
import { splitChunks } from '../../src/plan/chunks.js';
import { parseS3Url } from '../../src/storage/s3.js';

/** What `fn` threw (fails the test when it returns). */
function thrown(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a throw');
}

describe('splitChunks', () => {
  it('cuts a range into chunks of `size` from its first frame, the last one shorter, indexed from 0', () => {
    expect(splitChunks('plan', 'r1', { first: 10, count: 25 }, 10)).toEqual([
      { planHash: 'plan', renderId: 'r1', index: 0, first: 10, count: 10 },
      { planHash: 'plan', renderId: 'r1', index: 1, first: 20, count: 10 },
      { planHash: 'plan', renderId: 'r1', index: 2, first: 30, count: 5 },
    ]);
  });

  it('an exact multiple has no short chunk; a size past the range gives one chunk; an empty range none', () => {
    expect(splitChunks('p', 'r', { first: 0, count: 45 }, 15).map((c) => [c.first, c.count])).toEqual([
      [0, 15],
      [15, 15],
      [30, 15],
    ]);
    expect(splitChunks('p', 'r', { first: 7, count: 3 }, 240)).toEqual([{ planHash: 'p', renderId: 'r', index: 0, first: 7, count: 3 }]);
    expect(splitChunks('p', 'r', { first: 0, count: 0 }, 10)).toEqual([]);
  });

  it('covers every frame of the range exactly once, in order', () => {
    for (const [count, size] of [
      [1, 1],
      [45, 7],
      [100, 23],
      [240, 240],
      [241, 240],
    ] as const) {
      const frames = splitChunks('p', 'r', { first: 5, count }, size).flatMap((c) =>
        Array.from({ length: c.count }, (_, i) => c.first + i),
      );
      expect(frames).toEqual(Array.from({ length: count }, (_, i) => 5 + i));
    }
  });
});

describe('parseS3Url', () => {
  it('takes the bucket and the prefix without its slashes, and normalises the URL', () => {
    expect(parseS3Url('s3://renders/team-a')).toEqual({ bucket: 'renders', prefix: 'team-a', url: 's3://renders/team-a' });
    expect(parseS3Url('s3://renders//team-a/2026/')).toEqual({ bucket: 'renders', prefix: 'team-a/2026', url: 's3://renders/team-a/2026' });
    expect(parseS3Url('s3://my.bucket-1')).toEqual({ bucket: 'my.bucket-1', prefix: '', url: 's3://my.bucket-1' });
    expect(parseS3Url('S3://renders/')).toEqual({ bucket: 'renders', prefix: '', url: 's3://renders' });
  });

  it.each([
    ['another scheme', 'ftp://renders/x'],
    ['no bucket', 's3:///x'],
    ['a bucket too short', 's3://ab/x'],
    ['capitals in the bucket', 's3://Renders/x'],
    ['a bucket ending in a hyphen', 's3://renders-/x'],
    ['a plain path', '/mnt/renders'],
  ])('refuses %s with storage_url, naming the URL and the form to give', (_what, spec) => {
    const error = thrown(() => parseS3Url(spec));
    expect(error.code).toBe('storage_url');
    expect(error.message).toContain(`"${spec}"`);
    expect(error.message).toMatch(/give s3:\/\/bucket\/prefix \(bucket: 3–63 lowercase letters, digits, dots, hyphens\)/);
  });

  it('never shows credentials given in the URL', () => {
    const error = thrown(() => parseS3Url('s3://KEY:s3cret@Bad/x'));
    expect(error.code).toBe('storage_url');
    expect(error.message).not.toContain('s3cret');
  });
});

describe('distributedTimings', () => {
  it('is the defaults when nothing is set (or a variable is empty)', () => {
    expect(distributedTimings({})).toEqual({ lockMs: 10_000, stalledCheckMs: 3_000, redisLostMs: 5_000 });
    expect(distributedTimings({ FRAMESMITH_LOCK_MS: '' })).toEqual(DEFAULT_TIMINGS);
    expect(Object.isFrozen(distributedTimings({}))).toBe(true);
  });

  it('takes each FRAMESMITH_*_MS variable on its own', () => {
    expect(
      distributedTimings({ FRAMESMITH_LOCK_MS: '1000', FRAMESMITH_STALLED_CHECK_MS: ' 500 ', FRAMESMITH_REDIS_LOST_MS: '3600000' }),
    ).toEqual({ lockMs: 1000, stalledCheckMs: 500, redisLostMs: 3_600_000 });
    expect(distributedTimings({ FRAMESMITH_STALLED_CHECK_MS: '100' })).toEqual({ ...DEFAULT_TIMINGS, stalledCheckMs: 100 });
  });

  it.each([['1s'], ['99'], ['3600001'], ['-5'], ['1.5e3'], ['ten']])(
    'refuses FRAMESMITH_LOCK_MS=%s with invalid_config, naming the variable and the range',
    (value) => {
      const error = thrown(() => distributedTimings({ FRAMESMITH_LOCK_MS: value }));
      expect(error.code).toBe('invalid_config');
      expect(error.message).toBe(
        `FRAMESMITH_LOCK_MS="${value}" is not a duration: give whole milliseconds from 100 to 3600000, or unset it for the default 10000`,
      );
    },
  );
});

describe('failsForGood', () => {
  it("fails a chunk at once for the composition's own fault and for plans no worker can render; retries the infrastructure's", () => {
    const page = new CaptureError('page_error', 'the page reported an error at frame 7 (0.233 s): boom', {});
    expect(failsForGood(page)).toBe(true);
    // As the chunk re-throws it (the chunk's RenderError keeps the code), and as a worker reads it back from JSON.
    expect(failsForGood(new RenderError('page_error', 'chunk 1 (frames 5–9): …', {}, { cause: page }))).toBe(true);
    expect(failsForGood({ code: 'page_error', message: '…' })).toBe(true);
    for (const code of ['plan_mismatch', 'plan_corrupt', 'strict', 'cancelled'] as const) expect(failsForGood({ code })).toBe(true);
    for (const code of ['browser_crashed', 'timeout', 'request_failed', 'capture_failed', 'storage_transfer', 'ffmpeg_failed', 'stage'])
      expect(failsForGood({ code })).toBe(false);
    for (const value of [new Error('boom'), 'page_error', null, undefined]) expect(failsForGood(value)).toBe(false);
  });
});
