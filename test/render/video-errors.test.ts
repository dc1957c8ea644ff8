/**
 * Missing or damaged media fails the render with a RenderError naming the element and the file, before
 * any frame is captured: no output (not even a temporary file), no child process left running, and
 * the CLI's --json lists the element and file, exit 1.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render, RenderError } from '../../src/render.js';
import { liveChildCount } from '../../src/media/process.js';
import { makeIndexedVideo } from '../helpers/frame-media.js';
import { makeProject, page } from '../helpers/render-pixels.js';
import { runCli } from '../helpers/render-cli.js';
import { runFfmpeg } from '../../src/media/tools.js';

let project: string;

const withMedia = (body: string) => page({ duration: 0.5, style: 'video { position: absolute; width: 80px; height: 45px; }', body });

beforeAll(async () => {
  project = await makeProject({});
  await makeIndexedVideo(path.join(project, 'good.mp4'), { width: 80, height: 45, fps: 30, frames: 15, codec: 'h264' });
  await writeFile(path.join(project, 'text.mp4'), 'this is not a video\n');
  // A real file cut short: the header promises frames the file does not hold.
  await runFfmpeg([
    '-y',
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=s=80x45:r=30',
    '-frames:v',
    '30',
    '-c:v',
    'libx264',
    '-pix_fmt',
    'yuv420p',
    path.join(project, 'whole.mp4'),
  ]);
  const { readFile } = await import('node:fs/promises');
  const whole = await readFile(path.join(project, 'whole.mp4'));
  await writeFile(path.join(project, 'cut.mp4'), whole.subarray(0, 600));
}, 120_000);

afterAll(async () => {
  if (project) await rm(project, { recursive: true, force: true });
});

async function failingRender(html: string, name: string): Promise<RenderError> {
  await writeFile(path.join(project, 'index.html'), html);
  const outDir = path.join(project, `out-${name}`);
  await mkdir(outDir, { recursive: true });
  const output = path.join(outDir, 'video.mp4');
  const error = await render(project, { output, workers: 2 }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RenderError);
  expect(existsSync(output)).toBe(false);
  expect(await readdir(outDir)).toEqual([]);
  expect(liveChildCount()).toBe(0);
  return error as RenderError;
}

describe('bad media', () => {
  it('a missing video file: media_missing, naming the element and the file', async () => {
    const error = await failingRender(
      withMedia(
        '<video id="ok" src="good.mp4" muted data-start="0" data-duration="0.5"></video><video id="gone" src="media/gone.mp4" data-start="0" data-duration="0.5"></video>',
      ),
      'missing',
    );
    expect(error.code).toBe('media_missing');
    expect(error.fields).toMatchObject({ element: 'video#gone', file: path.join(project, 'media', 'gone.mp4') });
    expect(error.message).toContain('video#gone');
    expect(error.message).toContain(path.join(project, 'media', 'gone.mp4'));
  });

  it('a file that is not a video: media_invalid, naming the element and the file', async () => {
    const error = await failingRender(withMedia('<video id="txt" src="text.mp4" data-start="0" data-duration="0.5"></video>'), 'text');
    expect(error.code).toBe('media_invalid');
    expect(error.fields).toMatchObject({ element: 'video#txt', file: path.join(project, 'text.mp4') });
    expect(error.message).toContain('video#txt');
  });

  it('a truncated video: fails naming the element and the file', async () => {
    const error = await failingRender(withMedia('<video id="cut" src="cut.mp4" data-start="0" data-duration="0.5"></video>'), 'cut');
    expect(['media_invalid', 'media_failed']).toContain(error.code);
    expect(error.fields).toMatchObject({ element: 'video#cut', file: path.join(project, 'cut.mp4') });
  });

  it('a missing file whose length the composition needs (open-ended clip, no root duration): names the element', async () => {
    const html = page({ body: '<video id="open" src="gone-open.mp4" muted data-start="0"></video>' }).replace(/ data-duration="[^"]*"/, '');
    const error = await failingRender(html, 'open');
    expect(error.code).toBe('media_missing');
    expect(error.fields).toMatchObject({ element: 'video#open', file: path.join(project, 'gone-open.mp4') });
    expect(error.message).toContain('video#open');
  });

  it('a missing audio file: media_missing, naming the element and the file', async () => {
    const error = await failingRender(withMedia('<audio id="music" src="music.wav" data-start="0" data-duration="0.5"></audio>'), 'audio');
    expect(error.code).toBe('media_missing');
    expect(error.fields).toMatchObject({ element: 'audio#music', file: path.join(project, 'music.wav') });
    expect(error.message).toContain('audio#music');
  });

  it('an audio file that is not media: media_invalid, naming the element and the file', async () => {
    const error = await failingRender(
      withMedia('<audio id="noise" src="text.mp4" data-start="0" data-duration="0.5"></audio>'),
      'bad-audio',
    );
    expect(error.code).toBe('media_invalid');
    expect(error.fields).toMatchObject({ element: 'audio#noise', file: path.join(project, 'text.mp4') });
    expect(error.message).toContain('audio#noise');
  });

  it('every bad element is reported at once, video and audio', async () => {
    const error = await failingRender(
      withMedia(
        '<video id="a" src="gone-a.mp4" data-start="0" data-duration="0.5"></video><video id="b" src="text.mp4" data-start="0" data-duration="0.5"></video><audio id="c" src="gone-c.wav" data-start="0" data-duration="0.5"></audio>',
      ),
      'all',
    );
    expect(error.message).toContain('video#a');
    expect(error.message).toContain('video#b');
    expect(error.message).toContain('audio#c');
    expect(error.fields.failures?.map((f) => [f.element, f.code])).toEqual([
      ['video#a', 'media_missing'],
      ['video#b', 'media_invalid'],
      ['audio#c', 'media_missing'],
    ]);
  });

  it('the CLI: exit 1, --json lists the element and the file, no output', async () => {
    await writeFile(
      path.join(project, 'index.html'),
      withMedia('<video id="gone" src="gone.mp4" data-start="0" data-duration="0.5"></video>'),
    );
    const output = path.join(project, 'cli-out.mp4');
    const run = await runCli(['render', project, '--json', '-o', output]);
    expect(run.code).toBe(1);
    const json = JSON.parse(run.stdout) as { error: { code: string; element?: string; file?: string; message: string } };
    expect(json.error).toMatchObject({ code: 'media_missing', element: 'video#gone', file: path.join(project, 'gone.mp4') });
    expect(json.error.message).toContain('video#gone');
    expect(existsSync(output)).toBe(false);
  });
});
