/**
 * `toRenderError` directly (no browser, no ffmpeg): every framesmith error leaves a render with its own
 * code, message and fields and itself as `cause`; anything else is `stage`; a cancelled render is
 * `cancelled`. And the exit status the CLI derives from the code alone (src/cli/exit-codes.ts).
 */
import { describe, expect, it } from 'vitest';
import { browserError } from '../../src/browser/browser-error.js';
import { CacheError } from '../../src/cache/errors.js';
import { CaptureError } from '../../src/capture/errors.js';
import { EXIT_FAILED, EXIT_USAGE, exitCodeFor, UsageError } from '../../src/cli/exit-codes.js';
import { CompositionError } from '../../src/composition/errors.js';
import { ERROR_CODES, type ErrorCode, isErrorCode } from '../../src/error-codes.js';
import type { FramesmithError } from '../../src/errors.js';
import { ExtractError } from '../../src/extract/errors.js';
import { mediaError } from '../../src/media/errors.js';
import { ProcessError } from '../../src/media/process.js';
import { toRenderError } from '../../src/render/errors.js';
import { checkRenderOptions } from '../../src/render/options.js';
import { RenderError } from '../../src/render/errors.js';
import { strictModeError } from '../../src/warnings.js';

const failures = [
  { code: 'media_missing' as const, element: 'video#a', file: '/p/a.mp4', message: 'video#a: /p/a.mp4 does not exist' },
  { code: 'media_invalid' as const, element: 'audio#b', file: '/p/b.txt', message: 'audio#b: /p/b.txt is not media' },
];

/** One error of each shape a layer throws, built as that layer builds it. */
const layerErrors: Array<[string, FramesmithError<ErrorCode, object>]> = [
  [
    'composition',
    new CompositionError('invalid_timing', 'div#x in /p/index.html: data-start is negative', { file: '/p/index.html', element: 'div#x' }),
  ],
  ['media (two failures)', mediaError(failures)],
  [
    'capture timeout',
    new CaptureError('timeout', 'frame 3 of http://x/ did not seek', {
      url: 'http://x/',
      phase: 'seek',
      frame: 3,
      option: 'protocolTimeout',
    }),
  ],
  ['browser', browserError('no browser found', 'set `browser`')],
  ['strict', strictModeError({ code: 'asset_unavailable', message: 'img#p: could not load p.png', element: 'img#p' })],
  ['cache', new CacheError('write_failed', 'cannot create /c (EACCES)', { path: '/c' })],
  [
    'process',
    new ProcessError('exit', 'ffmpeg exited with 1', {
      command: 'ffmpeg',
      args: ['-i', 'x'],
      exitCode: 1,
      signal: null,
      stderrTail: 'bad',
    }),
  ],
  ['extract', new ExtractError('ffmpeg_failed', 'ffmpeg could not decode /p/a.mp4', { videoId: 'a', file: '/p/a.mp4' })],
];

describe('toRenderError', () => {
  it.each(layerErrors)('a %s error keeps its code, message and fields, with itself as cause', (_, error) => {
    const mapped = toRenderError(error);
    expect(mapped).toBeInstanceOf(RenderError);
    expect(mapped.code).toBe(error.code);
    expect(mapped.message).toBe(error.message);
    expect(mapped.fields).toEqual(error.fields);
    expect(mapped.cause).toBe(error);
  });

  it('carries every media failure and the first culprit', () => {
    const mapped = toRenderError(mediaError(failures));
    expect(mapped.code).toBe('media_missing');
    expect(mapped.message).toBe('2 media elements failed: video#a: /p/a.mp4 does not exist; audio#b: /p/b.txt is not media');
    expect(mapped.fields).toMatchObject({ element: 'video#a', file: '/p/a.mp4', failures });
  });

  it('returns a RenderError as it is', () => {
    const error = new RenderError('no_duration', 'no length', { element: '#main' });
    expect(toRenderError(error)).toBe(error);
  });

  it('makes anything thrown after the signal aborted a cancellation, keeping it as cause', () => {
    const controller = new AbortController();
    controller.abort();
    const cause = new ProcessError('cancelled', 'ffmpeg was cancelled', {
      command: 'ffmpeg',
      args: [],
      exitCode: null,
      signal: 'SIGTERM',
      stderrTail: '',
    });
    const mapped = toRenderError(cause, controller.signal);
    expect(mapped).toMatchObject({ code: 'cancelled', message: 'the render was cancelled' });
    expect(mapped.cause).toBe(cause);
  });

  it('makes anything that is not a framesmith error a `stage` failure with its message', () => {
    const plain = new TypeError('x is not a function');
    expect(toRenderError(plain)).toMatchObject({ code: 'stage', message: 'x is not a function', cause: plain });
    expect(toRenderError('boom')).toMatchObject({ code: 'stage', message: 'boom' });
  });

  it('a bad option leaves with invalid_option, the option named in the message and in `option`', () => {
    let thrown: unknown;
    try {
      checkRenderOptions({ crf: 99 }, 'mp4');
    } catch (error) {
      thrown = error;
    }
    const mapped = toRenderError(thrown);
    expect(mapped).toMatchObject({ code: 'invalid_option', fields: { option: 'crf' } });
    expect(mapped.message).toBe('`crf` must be a whole number from 0 to 63 (x264: 0–51; lower is better), got 99');
  });
});

describe('error codes and exit status', () => {
  it('lists every code once, and each error made above carries one of them', () => {
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
    for (const [, error] of layerErrors) expect(isErrorCode(error.code), error.code).toBe(true);
    expect(isErrorCode('aborted')).toBe(false);
    expect(isErrorCode(42)).toBe(false);
  });

  it("exits 2 for the command line's faults and 1 for every other failure", () => {
    expect(exitCodeFor(new UsageError('usage', 'bad flag', {}))).toBe(EXIT_USAGE);
    expect(exitCodeFor(toRenderError(new RenderError('invalid_option', '`crf` …', { option: 'crf' })))).toBe(EXIT_USAGE);
    expect(exitCodeFor(toRenderError(new CompositionError('outside_project', 'outside', { file: '/p/index.html' })))).toBe(EXIT_USAGE);
    expect(exitCodeFor(toRenderError(layerErrors[6]![1]))).toBe(EXIT_FAILED);
    expect(exitCodeFor(toRenderError(new Error('boom')))).toBe(EXIT_FAILED);
    expect(exitCodeFor('not an error')).toBe(EXIT_FAILED);
  });
});
