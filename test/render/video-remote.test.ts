/**
 * Remote media in a render: a `<video src="http://…">` served by a real HTTP server on loopback. The
 * file is downloaded once (two elements share it, the page never requests it), its length drives an
 * open-ended clip, its size gives the element its intrinsic box, and every frame shown is the one the
 * trim asks for, read from the rendered pixels. Without --allow-private-hosts, or for a 404, the render
 * fails naming the element, the URL and the fix.
 */
import { readFile, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBytes } from '../../src/cli/format.js';
import { render } from '../../src/render.js';
import { makeIndexedVideo, readFrameIndexFromRaw } from '../helpers/frame-media.js';
import { runCli } from '../helpers/render-cli.js';
import { decodeFrames, makeProject, page, pixel, type DecodedVideo } from '../helpers/render-pixels.js';

let server: http.Server;
let base: string;
let clip: Buffer;
const requests: string[] = [];
let project: string;

/** A composition with no data-duration: its length comes from the remote file (6 frames = 0.2 s). */
function composition(src: string): string {
  return page({
    rootBackground: '#0000ff',
    style: 'video { position: absolute; top: 0; } #remote { left: 0; } #trimmed { left: 200px; width: 80px; }',
    body: `<video id="remote" src="${src}" muted data-start="0"></video><video id="trimmed" src="${src}" muted data-start="0" data-media-start="0.1"></video>`,
  }).replace(' data-duration="1"', '');
}

beforeAll(async () => {
  project = await makeProject({}, 'fs-remote-render-');
  const file = path.join(project, 'served.mp4');
  await makeIndexedVideo(file, { width: 160, height: 90, fps: 30, frames: 6, codec: 'h264' });
  clip = await readFile(file);
  await rm(file);
  server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    if (req.url === '/media/clip.mp4') res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(clip.length) }).end(clip);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(project, { recursive: true, force: true });
});

describe('a <video> with an http(s) src', () => {
  let video: DecodedVideo;
  let frames: number;

  beforeAll(async () => {
    const dir = await makeProject({ 'index.html': composition(`${base}/media/clip.mp4`) }, 'fs-remote-ok-');
    requests.length = 0;
    const result = await render(dir, { output: path.join(dir, 'out.mp4'), quality: 'high', cache: false, allowPrivateHosts: true });
    frames = result.frames;
    video = await decodeFrames(result.output, { width: 320, height: 180 });
    await rm(dir, { recursive: true, force: true });
  });

  it('is downloaded once for both elements, and the page never requests it', () => {
    expect(requests).toEqual(['/media/clip.mp4']);
  });

  it('lasts as long as the remote file (the composition has no data-duration)', () => {
    expect(frames).toBe(6);
    expect(video.frames.length).toBe(6);
  });

  it("shows the frame for each composition frame in the file's own 160x90 box", () => {
    for (let k = 0; k < 6; k++) {
      expect(readFrameIndexFromRaw(video.frames[k]!, 320, 180, 'rgb24', { x: 0, y: 0, w: 160, h: 90 })).toBe(k);
      const [r, g, b] = pixel(video, k, 80, 95);
      expect(r! < 40 && g! < 40 && b! > 200).toBe(true);
    }
  });

  it('trimmed by data-media-start: frame k + 3 until its media ends, then hidden', () => {
    for (let k = 0; k < 6; k++) {
      if (k < 3) {
        expect(readFrameIndexFromRaw(video.frames[k]!, 320, 180, 'rgb24', { x: 200, y: 0, w: 80, h: 45 })).toBe(k + 3);
      } else {
        const [r, g, b] = pixel(video, k, 240, 20);
        expect(r! < 40 && g! < 40 && b! > 200).toBe(true);
      }
    }
  });
});

describe('remote media through the CLI', () => {
  it('shows the download in the progress output, then renders (exit 0)', async () => {
    const dir = await makeProject({ 'index.html': composition(`${base}/media/clip.mp4`) }, 'fs-remote-cli-');
    const output = path.join(dir, 'out.mp4');
    const run = await runCli(['render', dir, '-o', output, '--no-cache', '--allow-private-hosts']);
    expect(run.code, run.stderr).toBe(0);
    const size = formatBytes(clip.length);
    expect(run.stderr).toContain(`framesmith: download ${size}/${size}`);
    expect((await stat(output)).size).toBeGreaterThan(0);
    await rm(dir, { recursive: true, force: true });
  });
});

describe('remote media that cannot be used', () => {
  it('a loopback host without --allow-private-hosts: exit 1, naming the element, the URL and the flag; no output', async () => {
    const dir = await makeProject({ 'index.html': composition(`${base}/media/clip.mp4`) }, 'fs-remote-private-');
    const output = path.join(dir, 'out.mp4');
    const run = await runCli(['render', dir, '-o', output, '--no-cache', '--quiet']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('video#remote');
    expect(run.stderr).toContain(`${base}/media/clip.mp4`);
    expect(run.stderr).toContain('--allow-private-hosts');
    await expect(stat(output)).rejects.toThrow();
    await rm(dir, { recursive: true, force: true });
  });

  it('a 404 with --allow-private-hosts: exit 1, naming the element and the URL', async () => {
    const dir = await makeProject({ 'index.html': composition(`${base}/media/gone.mp4`) }, 'fs-remote-404-');
    const output = path.join(dir, 'out.mp4');
    const run = await runCli(['render', dir, '-o', output, '--no-cache', '--quiet', '--allow-private-hosts']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/video#(remote|trimmed)/);
    expect(run.stderr).toContain(`${base}/media/gone.mp4`);
    expect(run.stderr).toContain('404');
    await expect(stat(output)).rejects.toThrow();
    await rm(dir, { recursive: true, force: true });
  });
});
