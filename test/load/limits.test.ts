/**
 * The composition's limits (src/composition/limits.ts): each refused before any work starts, with a
 * `limit_exceeded` error naming the attribute, the element, the file and the limit. The CLI part runs
 * the built CLI: exit 2, and nothing in the project is touched.
 */
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CompositionError } from '../../src/composition/errors.js';
import { MAX_DURATION_S, MAX_FRAMES, MAX_MARKUP_DEPTH, MAX_SIZE_PX, MAX_SUB_COMPOSITION_DEPTH } from '../../src/composition/limits.js';
import { parseComposition } from '../../src/load/index.js';
import { render } from '../../src/render.js';
import { RenderError } from '../../src/render/errors.js';
import { runCli } from '../helpers/render-cli.js';
import { makeProject, page } from '../helpers/render-pixels.js';

const made: string[] = [];
afterAll(async () => {
  await Promise.all(made.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function project(files: Record<string, string>): Promise<string> {
  const dir = await makeProject(files, 'fs-limits-');
  made.push(dir);
  return dir;
}

/** The CompositionError parsing `dir` throws (fails the test when it parses). */
async function refusal(dir: string): Promise<CompositionError> {
  const error = await parseComposition(dir).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CompositionError);
  return error as CompositionError;
}

describe('length', () => {
  it('a root data-duration beyond 24 h names the attribute, the root, the file and the limit', async () => {
    const dir = await project({ 'index.html': page({ body: '', duration: 1_000_000_000, width: 64, height: 64 }) });
    const error = await refusal(dir);
    expect(error.code).toBe('limit_exceeded');
    expect(error.message).toContain('data-duration="1000000000"');
    expect(error.message).toContain('#main');
    expect(error.message).toContain(path.join(dir, 'index.html'));
    expect(error.message).toContain(`${MAX_DURATION_S} s (24 h)`);
  });

  it('without a root duration, the element that ends last is named', async () => {
    const html = page({ body: '<div id="forever" data-start="1" data-duration="999999999"></div>', width: 64, height: 64 }).replace(
      ' data-duration="1"',
      '',
    );
    const dir = await project({ 'index.html': html });
    const error = await refusal(dir);
    expect(error.code).toBe('limit_exceeded');
    expect(error.message).toContain('div#forever');
    expect(error.message).toContain('ends at 1000000000 s');
    expect(error.fields).toMatchObject({ element: 'div#forever', file: path.join(dir, 'index.html') });
  });

  it('more frames than the limit (a long composition at a high rate) names the frame count and the rate', async () => {
    const dir = await project({ 'index.html': page({ body: '', duration: 86_400, fps: 120, width: 64, height: 64 }) });
    const error = await refusal(dir);
    expect(error.code).toBe('limit_exceeded');
    expect(error.message).toContain('120 fps is 10368000 frames');
    expect(error.message).toContain(`limit of ${MAX_FRAMES}`);
  });

  it('a page timeline that never ends (no data-duration) is refused once the page reported it, nothing written', async () => {
    const script = 'window.__timelines.main = { totalDuration: () => 1e9, pause() {}, totalTime() {} };';
    const html = page({ body: '', script, width: 64, height: 64 }).replace(' data-duration="1"', '');
    const dir = await project({ 'index.html': html });
    const output = path.join(dir, 'out.mp4');
    const error = await render(dir, { output, workers: 1 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RenderError);
    expect((error as RenderError).code).toBe('limit_exceeded');
    expect((error as RenderError).message).toContain("the page's timeline (window.__timelines) lasts 1000000000 s");
    expect((error as RenderError).message).toContain('give the root a data-duration');
    expect(await readdir(dir)).toEqual(['index.html']);
  }, 60_000);

  it('a composition of exactly 24 h at 60 fps is within the limits', async () => {
    const dir = await project({ 'index.html': page({ body: '', duration: 86_400, fps: 60, width: 64, height: 64 }) });
    const composition = await parseComposition(dir);
    expect(composition.frameCount).toBe(MAX_FRAMES);
  });
});

describe('size', () => {
  it('data-width="100000" names the attribute and the limit', async () => {
    const dir = await project({ 'index.html': page({ body: '', width: 100_000, height: 64 }) });
    const error = await refusal(dir);
    expect(error.code).toBe('limit_exceeded');
    expect(error.message).toContain('data-width="100000"');
    expect(error.message).toContain(`limit of ${MAX_SIZE_PX} pixels`);
    expect(error.message).not.toContain('--browser');
  });

  it('data-height beyond the limit too; 7680 itself is accepted', async () => {
    const tall = await project({ 'index.html': page({ body: '', width: 64, height: 7681 }) });
    expect((await refusal(tall)).message).toContain('data-height="7681"');
    const wide = await project({ 'index.html': page({ body: '', width: 7680, height: 64 }) });
    expect((await parseComposition(wide)).width).toBe(7680);
  });
});

describe('measured size', () => {
  it('a root sized 100000 px wide by its CSS alone is refused once measured, naming the file and the limit', async () => {
    const html =
      '<!doctype html><html><head><style>html,body{margin:0} #root{width:100000px;height:64px}</style></head><body><div id="root" data-composition-id="main" data-duration="0.1"></div></body></html>';
    const dir = await project({ 'index.html': html });
    const output = path.join(dir, 'out.mp4');
    const error = await render(dir, { output, workers: 1 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RenderError);
    expect((error as RenderError).code).toBe('limit_exceeded');
    expect((error as RenderError).message).toContain('measures 100000x64 in the page');
    expect((error as RenderError).message).toContain(`limit of ${MAX_SIZE_PX} pixels a side`);
    expect(await readdir(dir)).toEqual(['index.html']);
  }, 60_000);
});

describe('markup nesting', () => {
  /** `levels` nested divs inside the root: 11 bytes a level. */
  const nested = (levels: number) => `${'<div>'.repeat(levels)}x${'</div>'.repeat(levels)}`;

  it('1 MB of nested markup is a clear error naming the file, not a stack overflow', async () => {
    const dir = await project({ 'index.html': page({ body: nested(100_000), width: 64, height: 64 }) });
    const error = await refusal(dir);
    expect(error.code).toBe('limit_exceeded');
    expect(error.message).toContain(path.join(dir, 'index.html'));
    expect(error.message).toContain(`more than ${MAX_MARKUP_DEPTH} levels deep`);
    expect(error.message).not.toMatch(/call stack/i);
  });

  it('a sub-composition file nested too deep is named, not the entry', async () => {
    const sub = `<template><div data-composition-id="deep" data-width="64" data-height="64">${nested(MAX_MARKUP_DEPTH)}</div></template>`;
    const dir = await project({
      'index.html': page({
        body: '<div id="host" data-composition-id="deep" data-composition-src="deep.html" data-start="0" data-duration="1"></div>',
        width: 64,
        height: 64,
      }),
      'deep.html': sub,
    });
    const error = await refusal(dir);
    expect(error.code).toBe('limit_exceeded');
    expect(error.fields.file).toBe(path.join(dir, 'deep.html'));
  });

  it('markup at a realistic depth parses', async () => {
    const dir = await project({ 'index.html': page({ body: nested(100), width: 64, height: 64 }) });
    expect((await parseComposition(dir)).width).toBe(64);
  });
});

describe('sub-composition nesting', () => {
  it(`files mounted more than ${MAX_SUB_COMPOSITION_DEPTH} deep name the host and the limit`, async () => {
    const levels = MAX_SUB_COMPOSITION_DEPTH + 1;
    const files: Record<string, string> = {
      'index.html': page({
        body: '<div id="host" data-composition-src="s0.html" data-start="0" data-duration="1"></div>',
        width: 64,
        height: 64,
      }),
    };
    for (let i = 0; i < levels; i++) {
      const inner = i + 1 < levels ? `<div id="h${i + 1}" data-composition-src="s${i + 1}.html"></div>` : '';
      files[`s${i}.html`] = `<template><div data-composition-id="c${i}" data-width="64" data-height="64">${inner}</div></template>`;
    }
    const dir = await project(files);
    const error = await refusal(dir);
    expect(error.code).toBe('limit_exceeded');
    expect(error.message).toContain(`data-composition-src="s${MAX_SUB_COMPOSITION_DEPTH}.html"`);
    expect(error.message).toContain(`limit of ${MAX_SUB_COMPOSITION_DEPTH}`);
    expect(error.fields.element).toBe(`div#h${MAX_SUB_COMPOSITION_DEPTH}`);
  });
});

describe('CLI', () => {
  it('render of a composition beyond a limit exits 2 with the message, and leaves the project as it was', async () => {
    const html = page({ body: '', duration: 1_000_000_000, width: 64, height: 64 });
    const dir = await project({ 'index.html': html, 'notes.txt': 'mine' });
    const output = path.join(dir, 'out.mp4');
    await writeFile(path.join(dir, 'keep.mp4'), 'not a video, but mine');
    const run = await runCli(['render', dir, '-o', output, '--json']);
    expect(run.code).toBe(2);
    const json = JSON.parse(run.stdout) as { error: { code: string; message: string } };
    expect(json.error.code).toBe('limit_exceeded');
    expect(run.stderr).toContain('data-duration="1000000000"');
    expect((await readdir(dir)).sort()).toEqual(['index.html', 'keep.mp4', 'notes.txt']);
    expect(await readFile(path.join(dir, 'index.html'), 'utf8')).toBe(html);
  }, 60_000);
});
