/**
 * Paths that climb out of the project (src/composition/project-paths.ts): `../` in a media `src`, in
 * `data-composition-src`, and `--composition` naming a file outside are refused, naming the element,
 * the path and `--allow-outside-project`; with it they are read. A symlink inside the project keeps
 * working without it. Real files, a real render through the built CLI, a real preview server.
 */
import { mkdir, mkdtemp, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompositionError } from '../../src/composition/errors.js';
import { parseComposition } from '../../src/load/index.js';
import { startPreviewServer } from '../../src/preview/server.js';
import { makeIndexedVideo, readFrameIndexFromRaw } from '../helpers/frame-media.js';
import { runCli } from '../helpers/render-cli.js';
import { decodeFrames, makeProject, page } from '../helpers/render-pixels.js';

const SIZE = 64;
/** A 64x64 composition, 0.2 s at 10 fps (2 frames), showing `src` full frame. */
const withVideo = (src: string) =>
  page({
    body: `<video src="${src}" muted data-start="0" data-duration="0.2" style="position:absolute;left:0;top:0;width:64px;height:64px"></video>`,
    width: SIZE,
    height: SIZE,
    fps: 10,
    duration: 0.2,
  });

let base: string;
/** `base/project`: the project; `base/media.mp4` and `base/elsewhere/clip.mp4` lie outside it. */
let dir: string;

beforeAll(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'fs-outside-'));
  dir = path.join(base, 'project');
  await mkdir(path.join(base, 'elsewhere'), { recursive: true });
  await mkdir(dir);
  await makeIndexedVideo(path.join(base, 'media.mp4'), { width: SIZE, height: SIZE, fps: 10, frames: 4, codec: 'h264' });
  await makeIndexedVideo(path.join(base, 'elsewhere', 'clip.mp4'), { width: SIZE, height: SIZE, fps: 10, frames: 4, codec: 'h264' });
}, 60_000);
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

/** A fresh project directory under `base` holding `files`. */
async function project(files: Record<string, string>): Promise<string> {
  const made = await makeProject(files, 'fs-outside-project-');
  const target = path.join(base, path.basename(made));
  await rm(target, { recursive: true, force: true });
  await rename(made, target);
  return target;
}

async function refusal(input: string): Promise<CompositionError> {
  const error = await parseComposition(input).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CompositionError);
  return error as CompositionError;
}

describe('media src', () => {
  it('../media.mp4 is refused, naming the element, the path and the flag; allowed with allowOutsideProject', async () => {
    const p = await project({ 'index.html': withVideo('../media.mp4') });
    const error = await refusal(p);
    expect(error.code).toBe('outside_project');
    expect(error.fields.element).toBe('video:nth-of-type(1)');
    expect(error.message).toContain('src="../media.mp4"');
    expect(error.message).toContain(path.join(base, 'media.mp4'));
    expect(error.message).toContain('set `allowOutsideProject`');
    const allowed = await parseComposition(p, { allowOutsideProject: true });
    expect(allowed.media[0]!.src).toBe(path.join(base, 'media.mp4'));
  });

  it('a root path that climbs (/../media.mp4) is refused too', async () => {
    const p = await project({ 'index.html': withVideo('/../media.mp4') });
    expect((await refusal(p)).code).toBe('outside_project');
  });

  it('../ inside a sub-composition file that stays in the project is fine; one that climbs out names that file', async () => {
    const sub = (src: string) =>
      `<template><div data-composition-id="s" data-width="64" data-height="64"><video src="${src}" muted data-start="0" data-duration="0.2"></video></div></template>`;
    const host = page({
      body: '<div id="host" data-composition-src="scenes/s.html" data-start="0" data-duration="0.2"></div>',
      width: SIZE,
      height: SIZE,
      fps: 10,
      duration: 0.2,
    });
    const inside = await project({ 'index.html': host, 'scenes/s.html': sub('../clip.mp4'), 'clip.mp4': '' });
    expect((await parseComposition(inside)).media[0]!.src).toBe(path.join(inside, 'clip.mp4'));
    const out = await project({ 'index.html': host, 'scenes/s.html': sub('../../media.mp4') });
    const error = await refusal(out);
    expect(error.code).toBe('outside_project');
    expect(error.fields.file).toBe(path.join(out, 'scenes/s.html'));
  });
});

describe('data-composition-src', () => {
  it('../sub.html is refused, naming the host and the flag; mounted with allowOutsideProject', async () => {
    const p = await project({
      'index.html': page({
        body: '<div id="intro" data-composition-src="../shared/intro.html" data-start="0" data-duration="0.2"></div>',
        width: SIZE,
        height: SIZE,
        fps: 10,
        duration: 0.2,
      }),
    });
    await mkdir(path.join(base, 'shared'), { recursive: true });
    await writeFile(
      path.join(base, 'shared', 'intro.html'),
      '<template><div data-composition-id="intro" data-width="64" data-height="64"></div></template>',
    );
    const error = await refusal(p);
    expect(error.code).toBe('outside_project');
    expect(error.fields.element).toBe('div#intro');
    expect(error.message).toContain('data-composition-src="../shared/intro.html"');
    expect(error.message).toContain('set `allowOutsideProject`');
    const allowed = await parseComposition(p, { allowOutsideProject: true });
    expect(allowed.mounts.map((m) => m.id)).toEqual(['intro']);
  });
});

/** Composition frame k of the mp4 at `file` shows source frame k (read from its pixels). */
async function expectIndexedFrames(file: string): Promise<void> {
  const video = await decodeFrames(file, { width: SIZE, height: SIZE });
  expect(video.frames.length).toBe(2);
  expect(video.frames.map((f) => readFrameIndexFromRaw(f, SIZE, SIZE, 'rgb24'))).toEqual([0, 1]);
}

describe('CLI', () => {
  it('render refuses ../media.mp4 with exit 2 naming the flag, renders it with --allow-outside-project', async () => {
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'index.html'), withVideo('../media.mp4'));
    const output = path.join(base, 'out.mp4');
    const refused = await runCli(['render', dir, '-o', output, '--quiet']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('src="../media.mp4"');
    expect(refused.stderr).toContain('--allow-outside-project');
    expect(await readdir(base)).not.toContain('out.mp4');
    expect(await readdir(dir)).toEqual(['index.html']);

    const allowed = await runCli(['render', dir, '-o', output, '--quiet', '--allow-outside-project', '--workers', '1']);
    expect(allowed.stderr).toBe('');
    expect(allowed.code).toBe(0);
    await expectIndexedFrames(output);
  }, 120_000);

  it('a symlink inside the project to media elsewhere renders without the flag', async () => {
    const p = await project({ 'index.html': withVideo('media/clip.mp4') });
    await symlink(path.join(base, 'elsewhere'), path.join(p, 'media'), 'dir');
    const output = path.join(p, 'out.mp4');
    const run = await runCli(['render', p, '-o', output, '--quiet', '--workers', '1']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    await expectIndexedFrames(output);
  }, 120_000);

  it('--composition naming a file outside the project exits 2 naming the flag', async () => {
    const p = await project({ 'index.html': withVideo('clip.mp4') });
    await writeFile(path.join(base, 'other.html'), withVideo('media.mp4'));
    const run = await runCli(['render', p, '-c', '../other.html', '-o', path.join(base, 'c.mp4')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--composition ../other.html');
    expect(run.stderr).toContain('outside the project directory');
    expect(run.stderr).toContain('--allow-outside-project');
    expect(await readdir(base)).not.toContain('c.mp4');
  }, 60_000);
});

describe('preview', () => {
  it('refuses ../media.mp4 as render does, naming the flag', async () => {
    const p = await project({ 'index.html': withVideo('../media.mp4') });
    const server = await startPreviewServer(p, { cache: false });
    try {
      const state = await server.settled();
      expect('error' in state && state.error.code).toBe('outside_project');
      expect('error' in state && state.error.message).toContain('`allowOutsideProject`');
    } finally {
      await server.close();
    }
  }, 60_000);
});
