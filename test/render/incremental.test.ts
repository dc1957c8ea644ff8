/**
 * Incremental planned renders (src/render/incremental.ts): after each kind of edit, a render with the
 * cache re-renders only the chunks whose frames changed, and its output is frame for frame a clean
 * render's (`incremental: false`) of the edited project.
 *
 * The composition: 160x90 at 10 fps, three scenes of 1 s (frames 0–9, 10–19, 20–29), each with its
 * own text and a box moving with a CSS animation; scene 2 shows a video (an indexed clip: each frame
 * says its number in its pixels); scene 3's text is the variable `title`. Chunks of 5 frames: chunks
 * 0–1 are scene 1, 2–3 scene 2, 4–5 scene 3. Each edit is made on the original project, so every
 * other scene's chunks were rendered before in the same cache.
 */
import { copyFile, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserStats } from '../../src/browser/pool.js';
import { render } from '../../src/render.js';
import type { RenderOptions, RenderResult } from '../../src/render/types.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { makeIndexedVideo, readFrameIndexFromRaw } from '../helpers/frame-media.js';
import { decodeFrames, hashFrames, makeProject } from '../helpers/render-pixels.js';

const W = 160;
const H = 90;
const FRAMES = 30;
const CHUNK = 5;

interface Edit {
  title?: string;
  text2?: string;
  color2?: string;
  font2?: string;
  background?: string;
  s2Duration?: number;
}

function html(edit: Edit = {}): string {
  const s2 = edit.s2Duration ?? 1;
  return `<!doctype html><html data-composition-variables='[{"id":"title","type":"string","default":"Three"}]'><head><style>
html,body{margin:0}
#root{position:relative;width:${W}px;height:${H}px;overflow:hidden;background:${edit.background ?? '#102030'};font-size:18px;color:#fff}
.scene{position:absolute;left:0;top:0;width:${W}px;height:${H}px}
p{margin:0;position:absolute;left:4px;top:4px}
.box{position:absolute;top:70px;left:0;width:12px;height:12px;background:#f00;animation:move 1s linear forwards}
@keyframes move{to{left:140px}}
video{position:absolute;right:0;top:30px;width:64px;height:36px}
</style></head><body>
<div id="root" data-composition-id="main" data-width="${W}" data-height="${H}" data-fps="10" data-duration="3">
<div id="s1" class="scene" data-start="0" data-duration="1"><p style="font-family:monospace">One</p><div class="box"></div></div>
<div id="s2" class="scene" data-start="1" data-duration="${s2}"><p style="color:${edit.color2 ?? '#0f0'};font-family:${edit.font2 ?? 'serif'}">${edit.text2 ?? 'Two'}</p><video src="clip.mp4" muted data-start="1" data-duration="1"></video><div class="box"></div></div>
<div id="s3" class="scene" data-start="${1 + s2}" data-duration="${2 - s2}"><p id="t3"></p><div class="box"></div></div>
</div>
<script>document.getElementById('t3').textContent = window.__hyperframes.getVariables().title;</script>
</body></html>`;
}

let project: string;
let cacheDir: string;

/** The indexed clip scene 2 shows (frame k says k in its pixels), made at `width`x`height`: another size is another file, other pixels. */
async function writeClip(width: number, height: number): Promise<void> {
  const made = path.join(cacheDir, `clip-${width}.mp4`);
  await makeIndexedVideo(made, { width, height, fps: 10, frames: 12, codec: 'h264', gop: 5 });
  await copyFile(made, path.join(project, 'clip.mp4'));
}

async function renderEdit(edit: Edit, name: string, extra: Partial<RenderOptions> = {}): Promise<RenderResult> {
  await writeFile(path.join(project, 'index.html'), html(edit));
  return render(project, {
    output: path.join(project, `${name}.mp4`),
    chunkFrames: CHUNK,
    cache: cacheDir,
    ...(edit.title ? { variables: { title: edit.title } } : {}),
    ...extra,
  });
}

/** SHA-256 of each decoded frame of an output. */
async function frameHashes(result: RenderResult): Promise<string[]> {
  return hashFrames(await decodeFrames(result.output, { width: W, height: H }));
}

/** Renders `edit` incrementally and clean; both must have every frame alike; returns the incremental result. */
async function incrementalAndClean(edit: Edit, name: string): Promise<RenderResult> {
  const incremental = await renderEdit(edit, name);
  const clean = await renderEdit(edit, `${name}-clean`, { incremental: false });
  expect(clean.incremental).toBeUndefined();
  const [a, b] = await Promise.all([frameHashes(incremental), frameHashes(clean)]);
  expect(a).toHaveLength(FRAMES);
  expect(a).toEqual(b);
  return incremental;
}

/** Which chunks were reused (their indexes), from the result's own counts and its chunk list. */
function reused(result: RenderResult): { reusedChunks: number; renderedChunks: number; reusedFrames: number } {
  const { reusedChunks, renderedChunks, reusedFrames } = result.incremental!;
  return { reusedChunks, renderedChunks, reusedFrames };
}

const counts = (reusedChunks: number) => ({ reusedChunks, renderedChunks: 6 - reusedChunks, reusedFrames: reusedChunks * CHUNK });

let cold: RenderResult;

beforeAll(async () => {
  project = await makeProject({ 'index.html': html() }, 'fs-incremental-');
  cacheDir = await makeProject({}, 'fs-incremental-cache-');
  await writeClip(64, 36);
  cold = await renderEdit({}, 'cold');
}, 180_000);

afterAll(() => Promise.all([project, cacheDir].filter(Boolean).map((dir) => rm(dir, { recursive: true, force: true }))));

describe('incremental planned renders', () => {
  it('cold: every chunk rendered, each frame fingerprinted; the video shows its frames', async () => {
    expect(reused(cold)).toEqual(counts(0));
    expect(cold.incremental!.wholeRender).toBe(false);
    const video = await decodeFrames(cold.output, { width: W, height: H });
    // Scene 2 (frames 10–19) shows clip frame k - 10.
    const region = { x: W - 64, y: 30, w: 64, h: 36 };
    expect(video.frames.slice(10, 20).map((f) => readFrameIndexFromRaw(f, W, H, 'rgb24', region))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('no change: assembled from the record of the last render, no browser started; --no-incremental reuses nothing', async () => {
    const again = await incrementalAndClean({}, 'again');
    expect(reused(again)).toEqual(counts(6));
    expect(again.incremental).toMatchObject({ wholeRender: true, recorded: true });
    expect(again.workers).toBe(0);
    expect(again.chunks!.every((c) => Object.keys(c.timings).length === 0)).toBe(true);
    expect(await frameHashes(again)).toEqual(await frameHashes(cold));
    // No browser leased: a file touched (the same bytes) is still a hit…
    const leases = browserStats.leases;
    const now = new Date();
    await utimes(path.join(project, 'clip.mp4'), now, now);
    const touched = await renderEdit({}, 'touched');
    expect(touched.incremental!.recorded).toBe(true);
    expect(browserStats.leases).toBe(leases);
    // …a new file in the project is not (the page might read it): the render plans, in a browser.
    await writeFile(path.join(project, 'notes.txt'), 'new');
    try {
      const planned = await renderEdit({}, 'planned');
      // (A project file a plan copies is part of every chunk's key: nothing is reused, src/render/incremental.ts.)
      expect(planned.incremental).toMatchObject({ recorded: false, wholeRender: false });
      expect(browserStats.leases).toBeGreaterThan(leases);
    } finally {
      await rm(path.join(project, 'notes.txt'));
    }
  });

  it('the record is checked: the output is still refused where it would replace an input; a segment gone from the cache plans again', async () => {
    await renderEdit({}, 'again');
    const refused = await render(project, { output: path.join(project, 'clip.mp4'), chunkFrames: CHUNK, cache: cacheDir }).catch(
      (e: unknown) => e,
    );
    expect(refused).toMatchObject({ code: 'output_refused' });
    // The third chunk's segment of the record just used (the newest record) removed, as `cache gc` would.
    const memos = path.join(cacheDir, 'segments', 'memos');
    const records = await Promise.all((await readdir(memos)).map(async (n) => ({ n, at: (await stat(path.join(memos, n))).mtimeMs })));
    const newest = records.sort((a, b) => b.at - a.at)[0]!.n;
    const { chunkKeys } = JSON.parse(await readFile(path.join(memos, newest), 'utf8')) as { chunkKeys: string[] };
    await rm(path.join(cacheDir, 'segments', `${chunkKeys[2]}.mp4`));
    const replanned = await renderEdit({}, 'evicted');
    expect(replanned.incremental).toMatchObject({ recorded: false, wholeRender: false, reusedChunks: 5 });
    expect(await frameHashes(replanned)).toEqual(await frameHashes(cold));
  });

  it('without the record (another key, or removed): the same plan is still a whole-render hit, no chunk started', async () => {
    await renderEdit({}, 'again');
    await rm(path.join(cacheDir, 'segments', 'memos'), { recursive: true });
    const hit = await renderEdit({}, 'plan-hit');
    expect(hit.incremental).toMatchObject({ wholeRender: true, recorded: false, reusedChunks: 6 });
    expect(hit.workers).toBe(0);
    expect(await frameHashes(hit)).toEqual(await frameHashes(cold));
  });

  it('the CLI: --json reports it, --no-incremental turns it off', async () => {
    await writeFile(path.join(project, 'index.html'), html());
    const args = [project, '-o', path.join(project, 'cli.mp4'), '--chunk-frames', String(CHUNK), '--cache-dir', cacheDir, '--json'];
    const on = await runCliInProcess(['render', ...args]);
    expect(on.code).toBe(0);
    // The CLI's defaults (quality, …) may be other encoder settings than the API's: reused or not, it is reported.
    const reported = JSON.parse(on.stdout).incremental;
    expect(reported.reusedChunks + reported.renderedChunks).toBe(6);
    const off = await runCliInProcess(['render', ...args, '--no-incremental']);
    expect(off.code).toBe(0);
    expect(JSON.parse(off.stdout).incremental).toBeUndefined();
  });

  it('text in scene 2: scenes 1 and 3 reused', async () => {
    expect(reused(await incrementalAndClean({ text2: 'Deux' }, 'text'))).toEqual(counts(4));
  });

  it('an inline style in scene 2: scenes 1 and 3 reused', async () => {
    expect(reused(await incrementalAndClean({ color2: '#ff0' }, 'style'))).toEqual(counts(4));
  });

  it('a font in scene 2: scenes 1 and 3 reused', async () => {
    expect(reused(await incrementalAndClean({ font2: 'monospace' }, 'font'))).toEqual(counts(4));
  });

  it('a variable scene 3 shows: scenes 1 and 2 reused', async () => {
    expect(reused(await incrementalAndClean({ title: 'Drei' }, 'variable'))).toEqual(counts(4));
  });

  it('timing: scene 2 shorter, scene 3 earlier — scene 1 and the first half of scene 2 reused', async () => {
    expect(reused(await incrementalAndClean({ s2Duration: 0.5 }, 'timing'))).toEqual(counts(3));
  });

  it('a stylesheet rule: every frame changed, nothing reused', async () => {
    expect(reused(await incrementalAndClean({ background: '#301020' }, 'sheet'))).toEqual(counts(0));
  });

  it("scene 2's video file replaced: scenes 1 and 3 reused", async () => {
    await writeClip(96, 54);
    expect(reused(await incrementalAndClean({}, 'media'))).toEqual(counts(4));
  });
});

describe('incremental renders without video (frames checked in batches)', () => {
  /** 20 frames at 10 fps, chunks of 10; a note appears at `noteAt` s over a moving box. */
  const plain = (noteAt: number) => `<!doctype html><html><head><style>
html,body{margin:0}
#root{position:relative;width:${W}px;height:${H}px;overflow:hidden;background:#203040;color:#fff;font-size:16px}
.box{position:absolute;top:60px;left:0;width:12px;height:12px;background:#0f0;animation:move 2s linear forwards}
@keyframes move{to{left:140px}}
</style></head><body>
<div id="root" data-composition-id="main" data-width="${W}" data-height="${H}" data-fps="10" data-duration="2">
<p class="clip" data-start="${noteAt}" data-duration="0.2" style="position:absolute;left:4px;top:4px;margin:0">Note</p><div class="box"></div>
</div></body></html>`;

  it('a large project file is checked through the source hash memo: unchanged, recorded; the same size rewritten, planned again', async () => {
    const dir = await makeProject({ 'index.html': plain(0.5) }, 'fs-incremental-large-');
    const big = path.join(dir, 'data.bin');
    const run = (name: string) => render(dir, { output: path.join(dir, `${name}.mp4`), chunkFrames: 10, cache: cacheDir });
    try {
      await writeFile(big, Buffer.alloc(5 * 1024 * 1024, 1));
      expect((await run('cold')).incremental!.recorded).toBe(false);
      expect((await run('again')).incremental!.recorded).toBe(true);
      await writeFile(big, Buffer.alloc(5 * 1024 * 1024, 2));
      expect((await run('rewritten')).incremental!.recorded).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('an edit in the middle of a chunk: that chunk captured again from its start, the other reused; frames as a clean render', async () => {
    const dir = await makeProject({ 'index.html': plain(0.5) }, 'fs-incremental-plain-');
    const run = (name: string, incremental = true) =>
      render(dir, { output: path.join(dir, `${name}.mp4`), chunkFrames: 10, cache: cacheDir, incremental });
    try {
      expect(reused(await run('cold'))).toEqual({ reusedChunks: 0, renderedChunks: 2, reusedFrames: 0 });
      // The note moves from frames 5–6 to 7–8: frames 0–4 of chunk 0 match, frame 5 does not.
      await writeFile(path.join(dir, 'index.html'), plain(0.7));
      const edited = await run('edited');
      expect(reused(edited)).toEqual({ reusedChunks: 1, renderedChunks: 1, reusedFrames: 10 });
      expect(edited.chunks!.map((c) => c.incremental!.checked)).toEqual([6, 10]);
      const clean = await run('clean', false);
      const [a, b] = await Promise.all([frameHashes(edited), frameHashes(clean)]);
      expect(a).toHaveLength(20);
      expect(a).toEqual(b);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
