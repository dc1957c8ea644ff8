/**
 * Remote scripts, stylesheets, images and fonts are fetched by the render through the remote cache
 * and served to the page from the project server; the page itself reaches nothing else. A real HTTP
 * server on loopback (allowed with `allowPrivateHosts`, as a local dev server would be) serves a
 * script, a stylesheet that @imports another by a relative URL and refers to an image and a font
 * next to it. A second render with that server gone is served from the cache. GSAP from a CDN URL
 * (no network here at all) is served from the bundled gsap.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render, RenderError } from '../../src/render.js';
import { decodeFrames, leftEdge, makeProject, pixel, type DecodedVideo } from '../helpers/render-pixels.js';

const NODE_MODULES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../node_modules');
const requests: string[] = [];
let server: http.Server;
let base: string;
let project: string;
let cacheDir: string;

const FILES: Record<string, [string, string | Buffer]> = {
  '/lib.js': ['text/javascript', "document.getElementById('scripted').style.background = 'rgb(255,0,255)';"],
  '/css/theme.css': [
    'text/css',
    '@import url("parts/more.css");\n@font-face{font-family:RemoteFace;src:url("../fonts/face.woff2") format("woff2")}\n#pictured{background:url("../img/dot.svg") no-repeat}',
  ],
  '/css/parts/more.css': ['text/css', '#imported{background:rgb(0,255,255)}'],
  '/img/dot.svg': [
    'image/svg+xml',
    '<svg xmlns="http://www.w3.org/2000/svg" width="30" height="30"><rect width="30" height="30" fill="rgb(255,128,0)"/></svg>',
  ],
  '/fonts/face.woff2': [
    'font/woff2',
    readFileSync(path.join(NODE_MODULES, '@fontsource/league-gothic/files/league-gothic-latin-400-normal.woff2')),
  ],
  '/logo.svg': [
    'image/svg+xml',
    '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20"><rect width="20" height="20" fill="rgb(0,0,255)"/></svg>',
  ],
};

function page(): string {
  return `<!doctype html><html><head>
<link rel="stylesheet" href="${base}/css/theme.css">
<script src="https://cdn.jsdelivr.net/npm/gsap@3.12.5/dist/gsap.min.js"></script>
<style>html,body{margin:0} #root{background:#000} .box{position:absolute;width:30px;height:30px}
#remote-font{position:absolute;left:0;top:150px;font:40px RemoteFace;color:transparent;white-space:nowrap}
#measure{position:absolute;left:0;top:120px;height:10px;background:#fff}</style></head><body>
<div id="root" data-composition-id="main" data-width="320" data-height="180" data-duration="1">
  <div id="scripted" class="box" style="left:0;top:0"></div>
  <div id="imported" class="box" style="left:40px;top:0"></div>
  <div id="pictured" class="box" style="left:80px;top:0"></div>
  <img src="${base}/logo.svg" style="position:absolute;left:120px;top:0">
  <div id="tweened" class="box" style="left:0;top:60px;background:#fff"></div>
  <div id="measure"></div><span id="remote-font">Remote face</span>
</div>
<script src="${base}/lib.js"></script>
<script>
  window.__timelines.main = gsap.timeline({ paused: true }).to('#tweened', { x: 100, duration: 1, ease: 'none' });
  document.fonts.ready.then(() => { document.getElementById('measure').style.width = document.getElementById('remote-font').getBoundingClientRect().width + 'px'; });
</script></body></html>`;
}

const near = (video: DecodedVideo, x: number, y: number, rgb: number[]) =>
  pixel(video, 0, x, y).every((v, i) => Math.abs(v - rgb[i]!) <= 30);

beforeAll(async () => {
  server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    const file = FILES[req.url ?? ''];
    if (!file) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': file[0] });
    res.end(file[1]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  project = await makeProject({ 'index.html': page() }, 'fs-remote-assets-');
  cacheDir = await mkdtemp(path.join(os.tmpdir(), 'fs-remote-assets-cache-'));
  await copyFile(
    path.join(NODE_MODULES, '@fontsource/league-gothic/files/league-gothic-latin-400-normal.woff2'),
    path.join(project, 'ref.woff2'),
  );
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(project, { recursive: true, force: true });
  await rm(cacheDir, { recursive: true, force: true });
});

describe('remote assets', () => {
  let first: DecodedVideo;

  it('are fetched once by the render and drawn: a script, an @import by a relative URL, a CSS image, an <img>, a remote @font-face', async () => {
    const output = path.join(project, 'a.mp4');
    const result = await render(project, { output, workers: 2, cache: cacheDir, allowPrivateHosts: true, quality: 'high' });
    expect(result.warnings).toEqual([]);
    first = await decodeFrames(output, { width: 320, height: 180 });
    expect(near(first, 15, 15, [255, 0, 255])).toBe(true);
    expect(near(first, 55, 15, [0, 255, 255])).toBe(true);
    expect(near(first, 95, 15, [255, 128, 0])).toBe(true);
    expect(near(first, 130, 10, [0, 0, 255])).toBe(true);
    expect([...requests].sort()).toEqual([
      '/css/parts/more.css',
      '/css/theme.css',
      '/fonts/face.woff2',
      '/img/dot.svg',
      '/lib.js',
      '/logo.svg',
    ]);
    // League Gothic is narrow: the text in it is far narrower than in the fallback face.
    const remoteWidth = leftEdge(first, 0, 125, [0, 0, 0], 60);
    expect(remoteWidth).toBeGreaterThan(60);
    expect(remoteWidth).toBeLessThan(170);
  });

  it('GSAP from a CDN URL is the bundled gsap: the tween runs with no network', async () => {
    const video = await decodeFrames(path.join(project, 'a.mp4'), { width: 320, height: 180 });
    expect(Math.abs(leftEdge(video, 15, 75, [255, 255, 255]) - 50)).toBeLessThanOrEqual(1);
  });

  it('a second render is served from the cache, with the server gone', async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const before = requests.length;
    const output = path.join(project, 'b.mp4');
    await render(project, { output, workers: 1, cache: cacheDir, allowPrivateHosts: true, quality: 'high' });
    expect(requests.length).toBe(before);
    const video = await decodeFrames(output, { width: 320, height: 180 });
    for (const [x, y] of [
      [15, 15],
      [55, 15],
      [95, 15],
      [130, 10],
    ] as const)
      expect(pixel(video, 0, x, y)).toEqual(pixel(first, 0, x, y));
    server = http.createServer();
  });

  it('a script that cannot be fetched fails the render, naming the element and the URL; an image is a warning', async () => {
    const dir = await makeProject(
      {
        'index.html': `<!doctype html><html><head><script id="lib" src="https://framesmith-test.invalid/lib.js"></script></head><body>
<div id="root" data-composition-id="main" data-width="160" data-height="90" data-duration="0.2"></div></body></html>`,
      },
      'fs-remote-assets-',
    );
    try {
      const error = await render(dir, { output: path.join(dir, 'x.mp4'), cache: false }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(RenderError);
      expect(error).toMatchObject({
        code: 'remote_asset',
        message: expect.stringMatching(
          /script#lib in .*index\.html: could not download the script https:\/\/framesmith-test\.invalid\/lib\.js/,
        ),
      });
      const img = await makeProject(
        {
          'index.html': `<!doctype html><html><body><div id="root" data-composition-id="main" data-width="160" data-height="90" data-duration="0.2"><img id="pic" src="http://127.0.0.1:9/pic.png"></div></body></html>`,
        },
        'fs-remote-assets-',
      );
      try {
        const result = await render(img, { output: path.join(img, 'x.mp4'), cache: false });
        expect(result.warnings).toEqual([
          expect.objectContaining({
            code: 'asset_unavailable',
            element: 'img#pic',
            message: expect.stringMatching(/img#pic: could not download http:\/\/127\.0\.0\.1:9\/pic\.png: .*`allowPrivateHosts`/),
          }),
        ]);
      } finally {
        await rm(img, { recursive: true, force: true });
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
