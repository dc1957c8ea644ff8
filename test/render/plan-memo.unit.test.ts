/**
 * The key of a render's record (src/render/plan-memo.ts): options and variables that can change the
 * output's content change it; the output path, workers, deadlines and per-run callbacks do not.
 */
import { describe, expect, it } from 'vitest';
import { planMemoKey } from '../../src/render/plan-memo.js';
import { resolveRenderOptions } from '../../src/render/options.js';
import type { RenderOptions } from '../../src/render/types.js';

const ENV = { PATH: process.env.PATH, FRAMESMITH_FONT_DIR: '/fonts' };
const base: RenderOptions = { output: '/tmp/out.mp4', chunkFrames: 30, cache: '/tmp/cache' };
const key = (options: RenderOptions, env: NodeJS.ProcessEnv = ENV, input = '/p') =>
  planMemoKey(resolveRenderOptions(input, options, env), env);

describe('planMemoKey', () => {
  it('is the same for the same render, whatever the output, workers, deadlines or callbacks', async () => {
    const same = await key(base);
    expect(await key(base)).toBe(same);
    expect(
      await key({ ...base, output: '/elsewhere/x.mp4', workers: 2, browserTimeout: 90_000, onProgress: () => {}, onWarning: () => {} }),
    ).toBe(same);
    expect(await key(base, { ...ENV, FRAMESMITH_WORKERS: '4', FRAMESMITH_KEEP_BROWSERS: '100' })).toBe(same);
  });

  it('changes with what can change a frame or the file', async () => {
    const keys = await Promise.all([
      key(base),
      key(base, ENV, '/q'),
      key({ ...base, quality: 'high' }),
      key({ ...base, crf: 20 }),
      key({ ...base, variables: { title: 'x' } }),
      key({ ...base, seed: 2 }),
      key({ ...base, chunkFrames: 60 }),
      key({ ...base, fps: 24 }),
      key({ ...base, output: '/tmp/out.webm' }),
      key(base, { ...ENV, FRAMESMITH_FONT_DIR: '/other' }),
      key(base, { ...ENV, FRAMESMITH_FFMPEG: '/nonexistent/ffmpeg' }),
    ]);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
