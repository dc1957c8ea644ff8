/**
 * Outputs never destroy what the render did not create (issue 17): `-o` naming a directory with the
 * user's files, the project or its parent, the composition, a sub-composition, a stylesheet, an image,
 * the video the composition plays, an image the page loads — each refused with `output_refused`, the
 * message naming the path, every user file still there with the same bytes. A render replaces its own
 * earlier output (a file, a marked PNG sequence). A read-only directory, a parent that is a file and a
 * full disk are one sentence each. An interrupted CLI leaves no temporary directory.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFfmpeg } from '../../src/media/tools.js';
import { render, RenderError } from '../../src/render.js';
import { SEQUENCE_MARKER } from '../../src/render/output-guard.js';
import { makeVideo } from '../helpers/audio-media.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { privateTmpEnv, startCli } from '../helpers/render-cli.js';
import { makeProject, page, probeVideo } from '../helpers/render-pixels.js';

const SUB =
  '<!doctype html><html><body><template><div data-composition-id="sub" data-width="64" data-height="64"><div style="width:10px;height:10px;background:#0f0"></div></div></template></body></html>';

/** 64x64, 3 frames; reads a stylesheet, an image, a GIF, a sub-composition and a video. */
const INDEX = page({
  width: 64,
  height: 64,
  fps: 10,
  duration: 0.3,
  head: '<link rel="stylesheet" href="style.css">',
  body: '<img src="logo.png"><img src="anim.gif"><div data-composition-id="sub" data-composition-src="sub.html" data-start="0" data-duration="0.3"></div><video src="clip.mp4" data-start="0" muted></video>',
});

let root: string; // holds the project, so its parent is ours to test with
let project: string;
let before: Record<string, string>;
const options = { workers: 1, cache: false as const, webgl: 'off' as const };

/** sha256 of every file under `dir`, by relative path. */
async function hashes(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    out[path.relative(dir, file)] = createHash('sha256')
      .update(await readFile(file))
      .digest('hex');
  }
  return out;
}

/** Renders `project` to `output` and returns the error it fails with. */
async function refusal(output: string, extra: Parameters<typeof render>[1] = {}): Promise<RenderError> {
  const error = await render(project, { ...options, output, ...extra }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RenderError);
  return error as RenderError;
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'fs-outputs-'));
  project = path.join(root, 'p');
  await mkdir(project);
  await writeFile(path.join(project, 'index.html'), INDEX);
  await writeFile(path.join(project, 'sub.html'), SUB);
  await writeFile(path.join(project, 'style.css'), 'img { width: 8px; height: 8px; }');
  await runFfmpeg(['-v', 'error', '-f', 'lavfi', '-i', 'color=c=red:s=8x8', '-frames:v', '1', path.join(project, 'logo.png')]);
  await runFfmpeg(['-v', 'error', '-f', 'lavfi', '-i', 'color=c=blue:s=8x8:r=5', '-frames:v', '2', path.join(project, 'anim.gif')]);
  await makeVideo(project, 'clip.mp4', 10, 'h264');
  before = await hashes(project);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('outputs that would destroy what the render did not create', () => {
  it('refuses an existing directory for a file format, keeping its files', async () => {
    const dir = path.join(root, 'out');
    await mkdir(dir);
    await writeFile(path.join(dir, 'notes.txt'), 'mine');
    const error = await refusal(dir, { format: 'mp4' });
    expect(error.code).toBe('output_refused');
    expect(error.message).toContain(`-o ${dir} is an existing directory and a mp4 output is a file`);
    expect(await readFile(path.join(dir, 'notes.txt'), 'utf8')).toBe('mine');
    expect(await readdir(dir)).toEqual(['notes.txt']);
  });

  it('refuses the project directory and its parent, for a file and for a png sequence', async () => {
    for (const [output, format] of [
      [project, 'mp4'],
      [root, 'mp4'],
      [project, 'png'],
      [root, 'png'],
    ] as const) {
      const error = await refusal(output, { format });
      expect(error.code).toBe('output_refused');
      expect(error.message).toContain(`-o ${output} ${output === project ? 'is' : 'contains'} the project directory ${project}`);
    }
    expect(await hashes(project)).toEqual(before);
  });

  it('refuses the composition, a sub-composition, a stylesheet and an image of the project', async () => {
    const error = await refusal(path.join(project, 'index.html'), { format: 'mp4' });
    expect(error.message).toContain('is the composition being rendered');
    for (const name of ['sub.html', 'style.css', 'logo.png']) {
      const output = path.join(project, name);
      const e = await refusal(output, { format: 'mp4' });
      expect(e.code).toBe('output_refused');
      expect(e.message).toContain(`-o ${output} exists and is not a video file`);
    }
    expect(await hashes(project)).toEqual(before);
  });

  it.each([
    ['the video the composition plays (after loading, before the browser)', 'clip.mp4'],
    ['a GIF the page loads (known once the page requested it), leaving no temporary file', 'anim.gif'],
  ])('refuses %s', async (_what, name) => {
    const output = path.join(project, name);
    const error = await refusal(output);
    expect({ code: error.code, message: error.message }).toEqual({
      code: 'output_refused',
      message: `-o ${output} is a file this render reads: writing the output there would replace it; choose another output path`,
    });
    expect(await hashes(project)).toEqual(before);
  });

  it('refuses a png sequence into a directory framesmith did not write, or one the user added to', async () => {
    const dir = path.join(root, 'mine');
    await mkdir(dir);
    await writeFile(path.join(dir, 'photo.png'), 'not a frame');
    const error = await refusal(dir, { format: 'png' });
    expect(error.code).toBe('output_refused');
    expect(error.message).toContain(`-o ${dir} is a directory framesmith did not write`);
    expect(await readFile(path.join(dir, 'photo.png'), 'utf8')).toBe('not a frame');
  });
});

describe('replacing its own output', () => {
  it('replaces its previous mp4 (atomically: a new file) and its previous png sequence', async () => {
    const out = path.join(root, 'renders');
    const mp4 = path.join(out, 'a.mp4');
    await render(project, { ...options, output: mp4 });
    const first = await stat(mp4);
    await render(project, { ...options, output: mp4 });
    expect((await stat(mp4)).ino).not.toBe(first.ino);
    expect((await probeVideo(mp4)).nb_read_frames).toBe('3');

    const frames = path.join(out, 'frames');
    await render(project, { ...options, output: frames, format: 'png' });
    await render(project, { ...options, output: frames, format: 'png' });
    expect((await readdir(frames)).sort()).toEqual([SEQUENCE_MARKER, 'frame-000000.png', 'frame-000001.png', 'frame-000002.png']);
    expect((await readdir(out)).sort()).toEqual(['a.mp4', 'frames']);

    // A file the user put into the sequence is theirs: the next render refuses.
    await writeFile(path.join(frames, 'notes.txt'), 'mine');
    const error = await refusal(frames, { format: 'png' });
    expect(error.message).toContain(`-o ${frames} holds files framesmith did not write (notes.txt)`);
    expect(await readFile(path.join(frames, 'notes.txt'), 'utf8')).toBe('mine');
  });
});

/** Mounts a tmpfs of `size` on `dir` (root only); false when it cannot. */
function tmpfs(dir: string, size: string): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('output directories that cannot be written', () => {
  it('a parent that is a file: output_unwritable naming it', async () => {
    const output = path.join(project, 'style.css', 'out.mp4');
    const error = await refusal(output);
    expect(error.code).toBe('output_unwritable');
    expect(error.message).toBe(
      `cannot create the output's directory ${path.dirname(output)}: a part of that path is a file, not a directory; choose another output path (-o ${output})`,
    );
    expect(await hashes(project)).toEqual(before);
  });

  it('a read-only directory: output_unwritable naming it', async (context) => {
    const dir = path.join(root, 'ro');
    await mkdir(dir);
    const mounted = tmpfs(dir, '1m');
    if (mounted) execFileSync('mount', ['-o', 'remount,ro', dir]);
    else if (process.getuid?.() === 0) return context.skip('root ignores chmod 555, and mounting a read-only tmpfs failed');
    else await chmod(dir, 0o555);
    try {
      const error = await refusal(path.join(dir, 'out.mp4'));
      expect(error.code).toBe('output_unwritable');
      expect(error.message).toMatch(
        new RegExp(`^cannot write the output into ${dir}: (it is on a read-only file system|permission denied)`),
      );
      expect(await readdir(dir)).toEqual([]);
    } finally {
      if (mounted) execFileSync('umount', [dir]);
    }
  });

  it('a full disk: disk_full naming the output directory, no partial file left', async (context) => {
    const dir = path.join(root, 'full');
    await mkdir(dir);
    if (!tmpfs(dir, '64k')) return context.skip('needs root and mount (tmpfs) to fill a disk for real');
    try {
      // Fill it but for an inode: the early writability probe (an empty file) passes, the encoder fails.
      await runFfmpeg(['-v', 'error', '-f', 'lavfi', '-i', 'anoisesrc', '-t', '10', '-f', 's16le', path.join(dir, 'filler')]).catch(
        () => {},
      );
      const error = await refusal(path.join(dir, 'out.mp4'), { quality: 'high' });
      // Code and message compared together: a failure shows what the render said instead.
      expect({ code: error.code, message: error.message }).toEqual({
        code: 'disk_full',
        message: `no space left on the disk holding ${dir}: free some space there, or write the output to another disk (-o)`,
      });
      expect(await readdir(dir)).toEqual(['filler']);
    } finally {
      execFileSync('umount', [dir]);
    }
  });
});

describe('the CLI', () => {
  it('exits 2 for a refused output, naming it; the directory keeps its files', async () => {
    const dir = path.join(root, 'cli-out');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'keep.txt'), 'mine');
    // In-process (a refusal needs no process of its own); `-o .` below is the bin's run, from a working directory.
    const run = await runCliInProcess(['render', project, '-o', dir, '--format', 'mp4', '-q']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`framesmith: render failed: -o ${dir} is an existing directory`);
    // `-o .` run from inside the project: the project itself.
    const dot = await startCli(['render', '.', '-o', '.', '-q'], { cwd: project }).done;
    expect(dot.code).toBe(2);
    expect(dot.stderr).toContain(`-o ${project} is the project directory ${project}`);
    expect(await readFile(path.join(dir, 'keep.txt'), 'utf8')).toBe('mine');
    expect(await hashes(project)).toEqual(before);
  });

  it('SIGINT mid-render leaves no temporary directory, streaming and chunked', async () => {
    const long = await makeProject({ 'index.html': page({ width: 64, height: 64, fps: 30, duration: 20, body: '<div>x</div>' }) });
    try {
      for (const extra of [[], ['--chunk-frames', '30']]) {
        const tmp = await mkdtemp(path.join(os.tmpdir(), 'fs-outputs-sigint-'));
        const output = path.join(long, 'out', 'long.mp4');
        let sent = false;
        const { done } = startCli(['render', long, '-o', output, '--workers', '1', ...extra], {
          env: await privateTmpEnv(tmp),
          onStderr: (text, child) => {
            if (!sent && /capture [1-9]\d*\/600/.test(text)) {
              sent = true;
              child.kill('SIGINT');
            }
          },
        });
        const run = await done;
        const left = await readdir(tmp);
        await rm(tmp, { recursive: true, force: true });
        expect(sent).toBe(true);
        expect(run.code).toBe(130);
        // The render's own temporary directories (the unpacked browser is shared, not the render's).
        expect(left.filter((n) => /^framesmith-(render|storage|plan|assemble|profile|mix|remote)-/.test(n))).toEqual([]);
        expect(existsSync(output)).toBe(false);
        expect(await readdir(path.dirname(output))).toEqual([]);
      }
    } finally {
      await rm(long, { recursive: true, force: true });
    }
  }, 90_000);
});
