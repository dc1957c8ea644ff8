/**
 * `framesmith render --batch` as a user runs it (the built CLI): one render per row, each output's
 * pixels from its row's variable, placeholders in -o, manifest.json beside the outputs, one JSON
 * document with --json, refusals before any render (exit 2), failing rows with and without
 * --batch-fail-fast (exit 1), and nothing the user had is touched. The bin runs as a process for the
 * --json batch and the default outputs under its working directory; refusals and failing rows run
 * in-process (cli-in-process.ts: the browser kept between renders).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFrames, makeProject, pixel } from '../helpers/render-pixels.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { runCli, startCli } from '../helpers/render-cli.js';
import type { BatchManifest } from '../../src/batch.js';

const SIZE = 32;
/** A 32x32, 0.1 s composition whose root takes the colour of the variable `bg`; `title: "boom"` makes its script throw. */
const INDEX = `<!doctype html><html data-composition-variables='[{"id":"bg","type":"color","default":"#ffffff"},{"id":"title","type":"string","default":"t"}]'>
<head><style>html, body { margin: 0; } #root { width: ${SIZE}px; height: ${SIZE}px; }</style></head><body>
<div id="root" data-composition-id="main" data-width="${SIZE}" data-height="${SIZE}" data-fps="10" data-duration="0.1"></div>
<script>
const v = window.__hyperframes.getVariables();
document.getElementById('root').style.background = v.bg;
if (v.title === 'boom') throw new Error('boom row');
</script></body></html>`;

const RED = { bg: '#ff0000', title: 'red' };
const GREEN = { bg: '#00ff00', title: 'green' };
const BLUE = { bg: '#0000ff', title: 'blue' };

let project: string;
/** Where each test writes (a directory per test under it), with a file of the user's in it. */
let work: string;
const USER_FILE = 'notes.txt';

beforeAll(async () => {
  project = await makeProject({ 'index.html': INDEX }, 'fs-batch-');
  work = await mkdtemp(path.join(os.tmpdir(), 'fs-batch-out-'));
});

afterAll(async () => {
  for (const dir of [project, work]) await rm(dir, { recursive: true, force: true });
});

/** A fresh output directory holding the user's file, and a rows file with `rows`. */
async function setup(name: string, rows: unknown): Promise<{ dir: string; rowsFile: string }> {
  const dir = path.join(work, name);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, USER_FILE), 'mine');
  const rowsFile = path.join(work, `${name}.json`);
  await writeFile(rowsFile, JSON.stringify(rows));
  return { dir, rowsFile };
}

async function centre(file: string): Promise<number[]> {
  return pixel(await decodeFrames(file, { width: SIZE, height: SIZE }), 0, SIZE / 2, SIZE / 2);
}

function expectColour(actual: number[], expected: [number, number, number]): void {
  for (const [i, c] of actual.entries()) expect(Math.abs(c - expected[i]!)).toBeLessThanOrEqual(12);
}

async function manifestOf(dir: string): Promise<BatchManifest> {
  return JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as BatchManifest;
}

describe('framesmith render --batch', () => {
  it('renders one output per row with its variables, fills {index} and row keys, writes manifest.json and one --json document', async () => {
    const { dir, rowsFile } = await setup('three', [RED, GREEN, { ...BLUE, title: 'deep/blue' }]);
    const run = await runCli(['render', project, '--batch', rowsFile, '-o', path.join(dir, '{index}-{title}.mp4'), '-w', '1', '--json']);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout); // the whole of stdout is one document
    const outputs = [path.join(dir, '0-red.mp4'), path.join(dir, '1-green.mp4'), path.join(dir, '2-deep', 'blue.mp4')];
    expect(doc).toMatchObject({
      type: 'batch-complete',
      manifestPath: path.join(dir, 'manifest.json'),
      total: 3,
      completed: 3,
      failed: 0,
      skipped: 0,
    });
    expectColour(await centre(outputs[0]!), [255, 0, 0]);
    expectColour(await centre(outputs[1]!), [0, 255, 0]);
    expectColour(await centre(outputs[2]!), [0, 0, 255]);
    const manifest = await manifestOf(dir);
    expect(manifest).toMatchObject({
      version: 1,
      batchPath: rowsFile,
      manifestPath: path.join(dir, 'manifest.json'),
      total: 3,
      completed: 3,
      failed: 0,
      skipped: 0,
    });
    expect(manifest.rows).toEqual(doc.rows);
    for (const [i, row] of manifest.rows.entries()) {
      expect(row).toMatchObject({
        index: i,
        outputPath: outputs[i],
        status: 'completed',
        durationMs: 100,
        error: null,
        variables: [RED, GREEN, { ...BLUE, title: 'deep/blue' }][i],
      });
      expect(row.renderTimeMs).toEqual(expect.any(Number));
      expect(Date.parse(row.completedAt!)).toBeGreaterThanOrEqual(Date.parse(row.startedAt!));
    }
    expect(await readFile(path.join(dir, USER_FILE), 'utf8')).toBe('mine');
  });

  it('without -o writes renders/<name>_<stamp>_{index}.mp4 under the working directory, and reads {"rows": [...]}', async () => {
    const { dir: cwd, rowsFile } = await setup('default', { rows: [GREEN] });
    const run = await startCli(['render', project, '--batch', rowsFile, '-w', '1', '--quiet'], { cwd }).done;
    expect(run.code).toBe(0);
    const names = await readdir(path.join(cwd, 'renders'));
    const video = names.find((n) => n.endsWith('.mp4'));
    expect(video).toMatch(new RegExp(`^${path.basename(project)}_\\d{4}-\\d{2}-\\d{2}_\\d{2}-\\d{2}-\\d{2}_0\\.mp4$`));
    expect(names.sort()).toEqual(['manifest.json', video].sort());
    expectColour(await centre(path.join(cwd, 'renders', video!)), [0, 255, 0]);
    expect(run.stderr).toBe('');
  });

  it('refuses colliding outputs before any render: exit 2 naming the rows, nothing written', async () => {
    const { dir, rowsFile } = await setup('collide', [RED, GREEN, { ...BLUE, title: 'red' }]);
    const run = await runCliInProcess(['render', project, '--batch', rowsFile, '-o', path.join(dir, '{title}.mp4'), '--json']);
    expect(run.code).toBe(2);
    const doc = JSON.parse(run.stdout);
    expect(doc.error).toMatchObject({ code: 'invalid_batch', rows: [0, 2] });
    expect(run.stderr).toMatch(/rows 0, 2 all write .*red\.mp4.*\{index\}/);
    expect((await readdir(dir)).sort()).toEqual([USER_FILE]);
  });

  it('refuses before any render (exit 2): a placeholder a row lacks, --variables with --batch, batch flags without --batch, a bad rows file, --strict-variables rows that do not fit', async () => {
    const { dir, rowsFile } = await setup('refused', [RED, { bg: '#00ff00' }]);
    const cases: Array<[string[], RegExp]> = [
      [['--batch', rowsFile, '-o', path.join(dir, '{title}.mp4')], /row 1 has no "title" for the placeholder \{title\}/],
      [
        ['--batch', rowsFile, '--variables', '{"bg":"#000000"}', '-o', path.join(dir, '{index}.mp4')],
        /--batch gives each render its variables/,
      ],
      [['--batch-concurrency', '2', '-o', path.join(dir, 'x.mp4')], /--batch-concurrency needs --batch/],
      [['--batch-fail-fast', '-o', path.join(dir, 'x.mp4')], /--batch-fail-fast needs --batch/],
      [['--batch', path.join(dir, USER_FILE), '-o', path.join(dir, '{index}.mp4')], /notes\.txt is not valid JSON/],
      [['--batch', path.join(work, 'missing.json'), '-o', path.join(dir, '{index}.mp4')], /missing\.json: cannot read the file \(ENOENT\)/],
    ];
    const strictRows = path.join(work, 'strict.json');
    await writeFile(strictRows, JSON.stringify([RED, { bg: 3 }, { ...GREEN, nope: 1 }]));
    cases.push([
      ['--batch', strictRows, '--strict-variables', '-o', path.join(dir, '{index}.mp4')],
      /--strict-variables: the batch was not started, 2 rows have variables.*row 1: .*"bg".*row 2: .*"nope"/,
    ]);
    const runs = await Promise.all(cases.map(([args]) => runCliInProcess(['render', project, ...args])));
    for (const [i, run] of runs.entries()) {
      expect(run.code, cases[i]![0].join(' ')).toBe(2);
      expect(run.stderr).toMatch(cases[i]![1]);
    }
    expect(await readdir(dir)).toEqual([USER_FILE]);
    expect(await readFile(path.join(dir, USER_FILE), 'utf8')).toBe('mine');
  });

  it('a failing row fails alone (exit 1, the manifest says which and why), with two rows at a time; other rows warn about undeclared keys and render', async () => {
    const { dir, rowsFile } = await setup('failing', [RED, { ...GREEN, title: 'boom' }, { ...BLUE, extra: 1 }]);
    const run = await runCliInProcess([
      'render',
      project,
      '--batch',
      rowsFile,
      '-o',
      path.join(dir, '{index}.mp4'),
      '-w',
      '1',
      '--batch-concurrency',
      '2',
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/row 1 failed: .*boom row/);
    expect(run.stderr).toMatch(/warning: row 2: .*"extra"/);
    expect(run.stderr).toMatch(/batch complete: 2 completed, 1 failed, 0 skipped/);
    const manifest = await manifestOf(dir);
    expect(manifest).toMatchObject({ total: 3, completed: 2, failed: 1, skipped: 0 });
    expect(manifest.rows.map((r) => r.status)).toEqual(['completed', 'failed', 'completed']);
    expect(manifest.rows[1]!.error).toMatch(/boom row/);
    expect(existsSync(path.join(dir, '1.mp4'))).toBe(false);
    expectColour(await centre(path.join(dir, '0.mp4')), [255, 0, 0]);
    expectColour(await centre(path.join(dir, '2.mp4')), [0, 0, 255]);
    expect((await readdir(dir)).sort()).toEqual(['0.mp4', '2.mp4', 'manifest.json', USER_FILE].sort());
  });

  it('--batch-fail-fast starts no row after the first failure: the rest are skipped, exit 1', async () => {
    const { dir, rowsFile } = await setup('fail-fast', [RED, { ...GREEN, title: 'boom' }, BLUE]);
    const run = await runCliInProcess([
      'render',
      project,
      '--batch',
      rowsFile,
      '-o',
      path.join(dir, '{index}.mp4'),
      '-w',
      '1',
      '--batch-fail-fast',
      '--json',
    ]);
    expect(run.code).toBe(1);
    const doc = JSON.parse(run.stdout);
    expect(doc).toMatchObject({ type: 'batch-complete', total: 3, completed: 1, failed: 1, skipped: 1 });
    expect(doc.rows.map((r: { status: string }) => r.status)).toEqual(['completed', 'failed', 'skipped']);
    expect(doc.rows[2]).toMatchObject({ error: 'Skipped after --batch-fail-fast.', startedAt: null });
    expect(await manifestOf(dir)).toMatchObject({ completed: 1, failed: 1, skipped: 1 });
    expect((await readdir(dir)).sort()).toEqual(['0.mp4', 'manifest.json', USER_FILE].sort());
  });

  it('never replaces a manifest.json that is not a batch manifest (exit 2)', async () => {
    const { dir, rowsFile } = await setup('foreign', [RED]);
    await writeFile(path.join(dir, 'manifest.json'), '{"mine":true}');
    const run = await runCliInProcess(['render', project, '--batch', rowsFile, '-o', path.join(dir, '{index}.mp4')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/manifest\.json exists and is not a batch manifest/);
    expect(await readFile(path.join(dir, 'manifest.json'), 'utf8')).toBe('{"mine":true}');
    expect((await readdir(dir)).sort()).toEqual(['manifest.json', USER_FILE]);
  });
});
