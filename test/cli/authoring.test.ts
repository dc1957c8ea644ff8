/**
 * The authoring commands HyperFrames users run: `lint` (HyperFrames' codes and JSON shape, exit 1 on
 * errors), `check` / `validate` (lint plus a load in the browser), `snapshot` (stills named as
 * HyperFrames names them, each the frame due at its time, and a contact sheet), and `info`,
 * `compositions`, `timeline` (HyperFrames' JSON fields). Library calls in-process; the CLI once per
 * command as a real spawn of the built bin, its other runs in-process (cli-in-process.ts).
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkProject } from '../../src/inspect/check.js';
import { listCompositions, projectInfo, readProject, timelineOf } from '../../src/inspect/project.js';
import { captureSnapshots, snapshotTimes } from '../../src/inspect/snapshot.js';
import { lintProject } from '../../src/lint/lint.js';
import { makeSilentVideo } from '../helpers/audio-media.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { runCli } from '../helpers/render-cli.js';
import { decodeFrames, makeProject, pixel } from '../helpers/render-pixels.js';

/** 320×180 at 10 fps, 2 s: red on [0, 1), green on [1, 2); a muted video on [0, 1). */
const CLEAN = `<!doctype html>
<html><head><meta charset="utf-8"><style>body{margin:0} #root{width:320px;height:180px;background:#00f;position:relative}</style></head>
<body>
<div id="root" data-composition-id="main" data-width="320" data-height="180" data-duration="2" data-fps="10">
  <div id="red" class="clip" data-start="0" data-duration="1" style="position:absolute;inset:0;background:#f00"></div>
  <div id="green" class="clip" data-start="1" data-duration="1" style="position:absolute;inset:0;background:#0f0"></div>
  <video id="v" src="clip.mp4" muted data-start="0" data-duration="1" style="width:10px;height:10px"></video>
</div>
<script>window.__timelines = window.__timelines || {};</script>
</body></html>`;

/** Each line a known mistake. */
const MISTAKES = `<!doctype html>
<html><head><meta charset="utf-8"></head>
<body>
<div id="root" data-composition-id="main" data-width="320" data-height="180">
  <div id="title" data-start="soon!" data-duration="1">x</div>
  <video src="clip.mp4" data-start="0"></video>
  <audio id="a" src="missing.wav" data-start="0"></audio>
  <img src="nope.png" class="clip" data-start="0" data-duration="1">
</div>
</body></html>`;

const HOST = `<!doctype html>
<html><head><meta charset="utf-8"></head>
<body>
<div id="root" data-composition-id="main" data-width="320" data-height="180" data-duration="4" data-no-timeline>
  <div id="scene" data-composition-id="scene" data-composition-src="compositions/scene.html" data-start="1" data-duration="2" data-track-index="1"></div>
  <audio id="music" src="clip.mp4" data-start="0" data-duration="3" data-volume="0.5"></audio>
</div>
</body></html>`;

const SCENE = `<template><div data-composition-id="scene" data-width="320" data-height="180">
  <div id="inner" class="clip" data-start="0.5" data-duration="1"></div>
</div></template>`;

/** A registered GSAP timeline whose tweens move by layout and text reflow. */
const MOTION = CLEAN.replace(
  '<script>window.__timelines = window.__timelines || {};</script>',
  `<script src="https://cdn.jsdelivr.net/npm/gsap@3/dist/gsap.min.js"></script>
<script>
  const tl = gsap.timeline({ paused: true });
  tl.to('#red', { x: 10, duration: 1 }, 0)
    .fromTo('#green', { left: 0 }, { left: 40, letterSpacing: '4px', duration: 1 }, 1);
  // tl.to('#red', { top: 5 });
  window.__timelines = window.__timelines || {};
  window.__timelines['main'] = tl;
</script>`,
);

const SCRIPT_ERROR = CLEAN.replace(
  'window.__timelines = window.__timelines || {};',
  'window.__timelines = window.__timelines || {}; window.__timelines["main"] = null; undefinedFn();',
);

let dir: string;
const project = (name: string) => path.join(dir, name);

beforeAll(async () => {
  dir = await makeProject(
    {
      'clean/index.html': CLEAN,
      'bad/index.html': MISTAKES,
      'host/index.html': HOST,
      'host/compositions/scene.html': SCENE,
      'throws/index.html': SCRIPT_ERROR,
      'motion/index.html': MOTION,
    },
    'fs-authoring-',
  );
  for (const name of ['clean', 'bad', 'host', 'throws', 'motion']) await makeSilentVideo(project(name), 'clip.mp4', 3);
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('lint', () => {
  it("reports each mistake with HyperFrames' code, severity, message, fix and file", async () => {
    const result = await lintProject(project('bad'));
    const file = path.join(project('bad'), 'index.html');
    const codes = result.findings.map((f) => `${f.severity}:${f.code}`);
    expect(codes).toEqual(
      expect.arrayContaining([
        'error:missing_timeline_registry',
        'error:media_missing_id',
        'error:video_missing_muted',
        'warning:timed_element_missing_clip_class',
        'warning:studio_missing_editable_id',
        'warning:root_composition_duration_derived',
        'error:audio_src_not_found',
        'error:missing_local_asset',
        'error:invalid_timing',
        'warning:missing_data_no_timeline',
      ]),
    );
    for (const f of result.findings) {
      expect(Object.keys(f)).toEqual(expect.arrayContaining(['code', 'severity', 'message', 'fixHint', 'file']));
      expect(f.file).toBe(file);
    }
    expect(result.findings.find((f) => f.code === 'media_missing_id')).toMatchObject({
      line: 6,
      column: 3,
      snippet: '<video src="clip.mp4" data-start="0">',
    });
    expect(result.findings.find((f) => f.code === 'missing_local_asset')!.message).toContain('nope.png');
    expect(result.findings.find((f) => f.code === 'audio_src_not_found')!.message).toContain('missing.wav');
    expect(result.findings.find((f) => f.code === 'invalid_timing')!.message).toContain('data-start="soon!"');
    expect(result).toMatchObject({ ok: false, errorCount: 6, warningCount: 5, infoCount: 0, filesScanned: 1 });
  });

  it('passes a clean project and lints its sub-composition files', async () => {
    expect(await lintProject(project('clean'))).toMatchObject({
      ok: true,
      errorCount: 0,
      warningCount: 1,
      findings: [{ code: 'missing_data_no_timeline', severity: 'warning' }],
    });
    const host = await lintProject(project('host'));
    expect(host.filesScanned).toBe(2);
    expect(host.findings).toEqual([]);
  });

  it('gsap_non_transform_motion: a timeline tween of layout or reflow properties, not one of transforms nor a commented one', async () => {
    const result = await lintProject(project('motion'));
    expect(result.findings.map((f) => f.code)).toEqual(['gsap_non_transform_motion']);
    expect(result.findings[0]).toMatchObject({ severity: 'error', snippet: expect.stringContaining("fromTo('#green'") });
    expect(result.findings[0]!.message).toContain('"#green" uses motion that snaps to integer device pixels: left, letterSpacing.');
    expect(result.findings[0]!.fixHint).toContain('replace left with the transform equivalent (x)');
  });

  it('exits 1 with the JSON document on errors, 0 on a clean project, 1 without a project; the project is left as it was', async () => {
    const bad = await runCli(['lint', project('bad'), '--json']);
    expect(bad.code).toBe(1);
    const json = JSON.parse(bad.stdout) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(['ok', 'errorCount', 'warningCount', 'infoCount', 'findings', 'filesScanned']);
    expect(json).toMatchObject({ ok: false, errorCount: 6, warningCount: 5 });
    const clean = await runCliInProcess(['lint', project('clean')]);
    expect(clean.stderr).toBe('');
    expect(clean.code).toBe(0);
    expect(clean.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^⚠ \[.*index\.html:4:1\] missing_data_no_timeline: /),
      '0 error(s), 1 warning(s)',
    ]);
    const none = await runCliInProcess(['lint', path.join(dir, 'nothing-here')]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/nothing-here does not exist/);
    expect(await readFile(path.join(project('bad'), 'index.html'), 'utf8')).toBe(MISTAKES);
    expect((await readdir(project('bad'))).sort()).toEqual(['clip.mp4', 'index.html']);
  });
});

describe('check and validate', () => {
  it('check: a script that throws is a runtime error; a project with lint errors skips the browser', async () => {
    const result = await checkProject(project('throws'));
    expect(result).toMatchObject({ ok: false, browserSkipped: false, lint: { ok: true }, runtime: { ok: false, errorCount: 1 } });
    expect(result.runtime.findings[0]!.message).toContain('undefinedFn is not defined');
    expect(await checkProject(project('bad'))).toMatchObject({ ok: false, browserSkipped: true, runtime: { findings: [] } });
  });

  it("validate exits 1 with HyperFrames' {ok, errors, warnings} on a script error, 0 on a clean project", async () => {
    const failed = await runCli(['validate', project('throws'), '--json', '--no-contrast']);
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({
      ok: false,
      errors: [{ level: 'error', text: expect.stringContaining('undefinedFn') }],
      warnings: [],
    });
    const clean = await runCliInProcess(['validate', project('clean')]);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain('0 error(s), 0 warning(s)');
  });
});

describe('snapshot', () => {
  it('picks times as HyperFrames does', () => {
    expect(snapshotTimes(2, {})).toEqual([0, 0.5, 1, 1.5, 1.94]);
    expect(snapshotTimes(2, { at: [0.5, 1.5] })).toEqual([0.5, 1.5, 1.94]);
    expect(snapshotTimes(2, { at: [0.5], end: false })).toEqual([0.5]);
    expect(snapshotTimes(2, { frames: 3, range: [0.5, 1.5] })).toEqual([0.5, 1, 1.5]);
    expect(snapshotTimes(2, { frames: 1 })).toEqual([1]);
    expect(() => snapshotTimes(2, { range: [1, 5] })).toThrow(/ends after the composition \(2 s\)/);
    for (const range of [
      [-0.5, 1],
      [1.5, 0.5],
      [1, 1],
    ] as const) {
      expect(() => snapshotTimes(2, { range: [...range] })).toThrow(
        /is not a span from START to a later END: give START,END with 0 <= START < END <= 2/,
      );
    }
  });

  it('writes frame-NN-at-Ts.png stills showing the frame due, and a contact sheet; other files in the directory stay', async () => {
    const outDir = path.join(dir, 'stills');
    await mkdir(outDir, { recursive: true });
    await writeFile(path.join(outDir, 'notes.txt'), 'mine');
    await writeFile(path.join(outDir, 'frame-07-at-9s.png'), 'stale still');
    const result = await captureSnapshots(project('clean'), { outDir });
    expect((await readdir(outDir)).sort()).toEqual([
      'contact-sheet.jpg',
      'frame-00-at-0s.png',
      'frame-01-at-0.5s.png',
      'frame-02-at-1s.png',
      'frame-03-at-1.5s.png',
      'frame-04-at-1.94s.png',
      'notes.txt',
    ]);
    expect(await readFile(path.join(outDir, 'notes.txt'), 'utf8')).toBe('mine');
    const colours = await Promise.all(
      result.files.map(async (file) => pixel(await decodeFrames(file, { width: 320, height: 180 }), 0, 160, 90)),
    );
    const red = [255, 0, 0];
    const green = [0, 255, 0];
    expect(colours).toEqual([red, red, green, green, green]);
    // 3 cells of 600 px per row, 2 rows of 338 + 26 px, 4 px gaps: HyperFrames' sheet.
    const sheet = await decodeFrames(result.sheets[0]!, { width: 1816, height: 740 });
    expect(sheet.frames).toHaveLength(1);
  });

  it('exits 2 for a range beyond the composition or a bad --frames, naming the fix', async () => {
    const beyond = await runCli(['snapshot', project('clean'), '-o', path.join(dir, 'beyond'), '--range', '1,5']);
    expect(beyond.code).toBe(2);
    expect(beyond.stderr).toContain('0 <= START < END <= 2');
    const frames = await runCliInProcess(['snapshot', project('clean'), '--frames', '0']);
    expect(frames.code).toBe(2);
    expect(frames.stderr).toContain('a whole number of stills >= 1');
    expect((await readdir(dir)).includes('beyond')).toBe(false);
  });
});

describe('info, compositions, timeline', () => {
  it("info: HyperFrames' fields", async () => {
    const info = await projectInfo(await readProject(project('clean')));
    expect(info).toMatchObject({
      name: 'clean',
      resolution: 'landscape',
      width: 320,
      height: 180,
      duration: 2,
      elements: 3,
      tracks: 1,
      types: { text: 2, video: 1 },
    });
    expect(info.size).toBeGreaterThan(CLEAN.length);
    const cli = await runCli(['info', project('clean'), '--json']);
    expect(cli.code).toBe(0);
    expect(Object.keys(JSON.parse(cli.stdout))).toEqual([
      'name',
      'resolution',
      'width',
      'height',
      'duration',
      'elements',
      'tracks',
      'types',
      'size',
    ]);
  });

  it('compositions: the root and each sub-composition with its file', async () => {
    expect(listCompositions(await readProject(project('host')))).toEqual([
      { id: 'main', duration: 4, width: 320, height: 180, elementCount: 2 },
      { id: 'scene', duration: 2, width: 320, height: 180, elementCount: 1, source: 'compositions/scene.html' },
    ]);
  });

  it('timeline: tracks by kind, rows with relative and absolute times', async () => {
    const timeline = timelineOf(await readProject(project('host')));
    expect(timeline.duration).toBe(4);
    expect(timeline.tracks.map((t) => t.kind)).toEqual(['audio', 'graphics']);
    expect(timeline.tracks[0]!.rows).toEqual([
      expect.objectContaining({
        id: 'music',
        kind: 'audio',
        start: 0,
        duration: 3,
        end: 3,
        src: 'clip.mp4',
        volume: 0.5,
        trackIndex: 0,
        nested: false,
      }),
    ]);
    expect(timeline.tracks[1]!.rows).toEqual([
      expect.objectContaining({ id: 'scene', start: 1, end: 3, absStart: 1, absEnd: 3, trackIndex: 1, nested: false }),
      expect.objectContaining({
        id: 'inner',
        start: 0.5,
        end: 1.5,
        absStart: 1.5,
        absEnd: 2.5,
        nested: true,
        host: 'scene',
        file: 'compositions/scene.html',
      }),
    ]);
    const cli = await runCli(['timeline', project('host'), '--json']);
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    expect(JSON.parse(cli.stdout)).toEqual({ timeline: JSON.parse(JSON.stringify(timeline)) });
    const edit = await runCliInProcess(['timeline', project('host'), 'move', '#inner']);
    expect(edit.code).toBe(2);
    expect(edit.stderr).toContain('timeline move: framesmith prints the timeline but does not edit it');
    expect(await readFile(path.join(project('host'), 'index.html'), 'utf8')).toBe(HOST);
  });
});
