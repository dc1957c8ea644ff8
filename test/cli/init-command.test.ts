/**
 * `framesmith init`: each starter previews and renders as written, and init refuses to write over a
 * project or to invent a template. Each starter renders the frames around its 2 s mark (`--frames`: the
 * title card's tag clip starts there) — a render of every frame proves no more of the template and cost
 * half of this file's CPU; the template's length is read from the render's --json (`duration`, `fps`).
 * `init` and the renders run in-process (cli-in-process.ts: the render's browser is kept for the
 * preview), except once, as the built bin: `framesmith init` of the title card. render-command.test.ts
 * spawns the render bin.
 */
import { readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPreviewServer } from '../../src/preview/server.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { runCli } from '../helpers/render-cli.js';
import { makeProject, probeVideo } from '../helpers/render-pixels.js';

let dir: string;
beforeAll(async () => {
  dir = await makeProject({}, 'fs-init-');
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('framesmith init', () => {
  it.each([
    ['title-card', ['index.html'], { duration: 4 }],
    ['video', ['index.html', 'media'], { duration: 5 }],
  ] as const)(
    '--template %s writes a project that renders and previews at once',
    async (template, files, expected) => {
      const project = path.join(dir, template);
      // The title card's is the one real `framesmith init` process of this file.
      const init = await (template === 'title-card' ? runCli : runCliInProcess)(['init', project, '--template', template]);
      expect(init.code).toBe(0);
      expect(init.stderr).toContain(`next: framesmith preview ${project}`);
      expect((await readdir(project)).sort()).toEqual([...files]);
      const output = path.join(dir, `${template}.mp4`);
      const rendered = await runCliInProcess(['render', project, '-o', output, '--json', '--quality', 'draft', '--frames', '50-69']);
      expect(rendered.stderr).toBe('');
      expect(rendered.code).toBe(0);
      // The whole template's length and size, as the render read them, then the 20 frames it wrote.
      expect(JSON.parse(rendered.stdout)).toMatchObject({ duration: expected.duration, fps: '30', frames: 20, width: 1280, height: 720 });
      expect(await probeVideo(output)).toMatchObject({ nb_read_frames: '20', width: '1280', height: '720' });
      if (template === 'video') expect(rendered.stdout).toMatch(/"videos": 1/);
      const preview = await startPreviewServer(project, { port: 0 });
      try {
        const state = await preview.settled();
        expect(state).toMatchObject({ info: { width: 1280, height: 720 } });
        const frame = await fetch(`${preview.url}__preview/frame?t=1`);
        expect(frame.status).toBe(200);
        expect(frame.headers.get('content-type')).toBe('image/png');
      } finally {
        await preview.close();
      }
    },
    180_000,
  );

  it('refuses a directory that is not empty, and an unknown template (exit 2, nothing written)', async () => {
    const taken = path.join(dir, 'taken');
    await runCliInProcess(['init', taken]);
    await writeFile(path.join(taken, 'notes.txt'), 'mine');
    const again = await runCliInProcess(['init', taken]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/is not empty: give a new directory, or --force/);
    expect((await readdir(taken)).sort()).toEqual(['index.html', 'notes.txt']);
    const unknown = await runCliInProcess(['init', path.join(dir, 'nope'), '--template', 'slideshow']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/title-card, video/);
    expect(await readdir(dir)).not.toContain('nope');
  }, 60_000);
});
