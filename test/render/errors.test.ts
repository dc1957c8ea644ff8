/**
 * Bad input fails the render with a typed RenderError whose message names the element or URL, leaves
 * no output (not even a temporary file) and no running child process (browser or ffmpeg).
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { render, RenderError, type RenderOptions } from '../../src/render.js';
import { liveChildCount } from '../../src/media/process.js';
import { makeProject, page } from '../helpers/render-pixels.js';

const projects: string[] = [];
afterAll(async () => {
  for (const dir of projects) await rm(dir, { recursive: true, force: true });
});

/** Renders `files` and returns the RenderError, after checking nothing was left behind. */
async function failingRender(files: Record<string, string>, options: RenderOptions = {}): Promise<RenderError> {
  const dir = await makeProject(files);
  projects.push(dir);
  const outDir = path.join(dir, 'out');
  await mkdir(outDir);
  const output = path.join(outDir, 'video.mp4');
  const error = await render(dir, { output, workers: 2, ...options }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RenderError);
  expect(existsSync(output)).toBe(false);
  expect(await readdir(outDir)).toEqual([]);
  expect(liveChildCount()).toBe(0);
  return error as RenderError;
}

describe('bad input', () => {
  it('a directory without index.html', async () => {
    const error = await failingRender({ 'other.html': page({ body: '' }) });
    expect(error.code).toBe('no_index_html');
    expect(error.message).toMatch(/index\.html/);
  });

  it('no element with data-composition-id', async () => {
    const error = await failingRender({ 'index.html': '<!doctype html><html><body><div id="x"></div></body></html>' });
    expect(error.code).toBe('no_root');
    expect(error.message).toMatch(/data-composition-id/);
  });

  it('a negative duration names the element', async () => {
    const error = await failingRender({ 'index.html': page({ body: '<div id="neg" data-start="0" data-duration="-1"></div>' }) });
    expect(error.code).toBe('invalid_timing');
    expect(error.message).toMatch(/#neg/);
    expect(error.fields.element).toMatch(/neg/);
  });

  it('a NaN duration names the element', async () => {
    const error = await failingRender({ 'index.html': page({ body: '<div id="nan" data-start="0" data-duration="NaN"></div>' }) });
    expect(error.code).toBe('invalid_timing');
    expect(error.message).toMatch(/#nan/);
  });

  it('an unknown reference names the element and the missing id', async () => {
    const error = await failingRender({ 'index.html': page({ body: '<div id="late" data-start="ghost" data-duration="1"></div>' }) });
    expect(error.code).toBe('unknown_reference');
    expect(error.message).toMatch(/#late/);
    expect(error.message).toMatch(/ghost/);
  });

  it('a cyclic reference', async () => {
    const error = await failingRender({
      'index.html': page({
        body: '<div id="a" data-start="b" data-duration="1"></div><div id="b" data-start="a" data-duration="1"></div>',
      }),
    });
    expect(error.code).toBe('cyclic_reference');
    expect(error.message).toMatch(/#a|#b/);
  });

  it('a page that throws while loading: the error message is named', async () => {
    const error = await failingRender({ 'index.html': page({ body: '<div id="x"></div>', script: 'throw new Error("kaboom-on-load")' }) });
    expect(error.code).toBe('page_error');
    expect(error.message).toMatch(/kaboom-on-load/);
    expect(error.fields.frame).toBeUndefined();
  });

  it('a page that throws at 0.5 s during capture: the message and the frame are named', async () => {
    const script =
      'function f() { if (Date.now() - start >= 500) throw new Error("kaboom-at-half"); requestAnimationFrame(f); } const start = Date.now(); requestAnimationFrame(f);';
    const error = await failingRender({ 'index.html': page({ body: '<div id="x"></div>', script }) });
    expect(error.code).toBe('page_error');
    expect(error.message).toMatch(/kaboom-at-half/);
    expect(error.message).toMatch(/frame 1[5-6]/);
    // The frame is a field too (a distributed render's failure carries it to the render's side).
    expect(error.fields.frame).toBe(Number(/frame (\d+)/.exec(error.message)![1]));
  });

  it('a missing image under strict: the element and the URL are named', async () => {
    const error = await failingRender({ 'index.html': page({ body: '<img id="pic" src="img/missing-picture.png">' }) }, { strict: true });
    expect(error.code).toBe('strict');
    expect(error.message).toMatch(/img#pic: the image img\/missing-picture\.png is missing from the project/);
    expect(error.fields).toMatchObject({ element: 'img#pic' });
    expect(error.fields.url).toMatch(/missing-picture\.png$/);
  });

  it('an external URL under strict is named', async () => {
    const error = await failingRender(
      { 'index.html': page({ body: '<img src="http://framesmith-test.invalid/logo.png">' }) },
      { strict: true },
    );
    expect(error.code).toBe('strict');
    expect(error.message).toMatch(/framesmith-test\.invalid\/logo\.png/);
  });

  it("a missing script is an error even without strict: the composition's code would not run", async () => {
    const error = await failingRender({ 'index.html': page({ body: '', head: '<script src="lib/missing.js"></script>' }) });
    expect(error.code).toBe('request_failed');
    expect(error.message).toMatch(/the script lib\/missing\.js is missing from the project/);
  });

  it.each([
    [
      'a missing file',
      {
        'index.html': page({
          body: '<div id="host" data-composition-id="intro" data-composition-src="compositions/intro.html" data-start="0"></div>',
        }),
      },
      'sub_composition_missing',
      /div#host in index\.html: data-composition-src="compositions\/intro\.html" names .*compositions\/intro\.html, which does not exist/,
    ],
    [
      'a file without a composition',
      {
        'index.html': page({ body: '<div id="host" data-composition-src="parts/a.html" data-start="0"></div>' }),
        'parts/a.html': '<template><p>no root here</p></template>',
      },
      'sub_composition_invalid',
      /div#host in index\.html: parts\/a\.html has no element with data-composition-id/,
    ],
    [
      'a cycle',
      {
        'index.html': page({ body: '<div id="a" data-composition-id="a" data-composition-src="c/a.html" data-start="0"></div>' }),
        'c/a.html': '<div data-composition-id="a"><div id="b" data-composition-id="b" data-composition-src="c/b.html"></div></div>',
        'c/b.html': '<div data-composition-id="b"><div id="again" data-composition-id="a" data-composition-src="c/a.html"></div></div>',
      },
      'sub_composition_cycle',
      /div#again in c\/b\.html: data-composition-src="c\/a\.html" includes itself \(index\.html → c\/a\.html → c\/b\.html → c\/a\.html\)/,
    ],
  ])('a sub-composition host with %s: the host and the path are named', async (_what, files, code, message) => {
    const error = await failingRender(files);
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
  });
});

describe('cancellation', () => {
  it('aborting mid-capture rejects with code cancelled, leaves no output and no process', async () => {
    const style =
      '#b { position: absolute; width: 20px; height: 20px; background: #fff; animation: m 1s linear both; } @keyframes m { to { transform: translateX(200px); } }';
    const dir = await makeProject({ 'index.html': page({ body: '<div id="b"></div>', style, duration: 20 }) });
    projects.push(dir);
    const outDir = path.join(dir, 'out');
    await mkdir(outDir);
    const controller = new AbortController();
    let framesAtAbort = 0;
    const error = await render(dir, {
      output: path.join(outDir, 'v.mp4'),
      workers: 2,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.stage === 'capture' && p.done === 10) {
          framesAtAbort = p.done;
          controller.abort();
        }
      },
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(framesAtAbort).toBe(10);
    expect(error).toBeInstanceOf(RenderError);
    expect((error as RenderError).code).toBe('cancelled');
    expect(await readdir(outDir)).toEqual([]);
    expect(liveChildCount()).toBe(0);
  });
});
