/**
 * The page reaches nothing but the project. A composition probes a service on the render machine (a
 * real HTTP server on a loopback port, logging every request and WebSocket upgrade) in every way a
 * page can — <img>, <link rel=stylesheet>, <iframe>, fetch, XHR, WebSocket, EventSource, sendBeacon,
 * a Web Worker's fetch, `localhost` instead of 127.0.0.1 — and reads file:///etc/passwd with fetch
 * and an <img>. Nothing reaches the service, nothing is read (whatever a probe gets back would grow a
 * white bar by its length), the render names each blocked URL in a warning, and `strict` fails on the
 * first one.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEEP_BROWSERS_ENV } from '../../src/browser/pool.js';
import { render, RenderError } from '../../src/render.js';
import { decodeFrames, makeProject, pixel } from '../helpers/render-pixels.js';

let service: http.Server;
let port: number;
const seen: string[] = [];
let project: string;

beforeAll(async () => {
  service = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'text/plain', 'access-control-allow-origin': '*' });
    res.end('internal secret: 0123456789012345678901234567890123456789');
  });
  service.on('upgrade', (req, socket) => {
    seen.push(`UPGRADE ${req.url}`);
    socket.destroy();
  });
  await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
  port = (service.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;
  project = await makeProject(
    {
      'index.html': `<!doctype html><html><head><link rel="stylesheet" href="${base}/style.css"><style>html,body{margin:0} #root{background:#000}
#leak{position:absolute;left:0;top:40px;height:10px;background:#fff;width:0}</style></head><body>
<div id="root" data-composition-id="main" data-width="160" data-height="90" data-duration="0.5">
  <img id="probe" src="${base}/pixel.png"><img id="local-file" src="file:///etc/passwd">
  <div id="leak"></div>
</div>
<script>
  const leak = (text) => { const bar = document.getElementById('leak'); bar.style.width = (parseFloat(bar.style.width || '0') + text.length) + 'px'; };
  const quietly = (p) => p.then((r) => r.text()).then(leak, () => {});
  quietly(fetch('${base}/fetch'));
  quietly(fetch('http://localhost:${port}/localhost'));
  quietly(fetch('file:///etc/passwd'));
  try { const x = new XMLHttpRequest(); x.open('GET', '${base}/xhr'); x.onload = () => leak(x.responseText); x.send(); } catch (e) {}
  try { const ws = new WebSocket('ws://127.0.0.1:${port}/socket'); ws.onmessage = (m) => leak(String(m.data)); } catch (e) {}
  try { const es = new EventSource('${base}/events'); es.onmessage = (m) => leak(String(m.data)); } catch (e) {}
  try { navigator.sendBeacon('${base}/beacon', 'x'); } catch (e) {}
  const worker = new Worker(URL.createObjectURL(new Blob(["fetch('${base}/worker').then((r) => r.text()).then((t) => postMessage(t), () => {})"], { type: 'text/javascript' })));
  worker.onmessage = (m) => leak(String(m.data));
</script></body></html>`,
    },
    'fs-isolation-',
  );
}, 60_000);

afterAll(async () => {
  await new Promise<void>((resolve) => service.close(() => resolve()));
  await rm(project, { recursive: true, force: true });
});

describe('the page reaches nothing but the project', () => {
  // A kept browser (src/browser/pool.ts) isolates through its context's proxy settings instead of its
  // launch flags: the render reuses the browser of an earlier render, which served another origin.
  it.each([
    ['a browser of its own', ''],
    ['a browser kept from an earlier render', '60000'],
  ])(
    'no request reaches a loopback service, nothing is read, and each blocked URL is named (%s)',
    async (_, keep) => {
      const saved = process.env[KEEP_BROWSERS_ENV];
      process.env[KEEP_BROWSERS_ENV] = keep;
      const output = path.join(project, `out-${keep || 'own'}.mp4`);
      let result: Awaited<ReturnType<typeof render>>;
      try {
        if (keep) await render(project, { output: path.join(project, 'earlier.mp4'), workers: 1 });
        result = await render(project, { output, workers: 1 });
      } finally {
        if (saved === undefined) delete process.env[KEEP_BROWSERS_ENV];
        else process.env[KEEP_BROWSERS_ENV] = saved;
      }
      expect(seen).toEqual([]);
      const video = await decodeFrames(output, { width: 160, height: 90 });
      for (const k of [0, 14]) expect(pixel(video, k, 2, 45)[0]).toBeLessThan(40);
      const urls = result.warnings.map((w) => w.url);
      expect(urls).toEqual(
        expect.arrayContaining([
          `http://127.0.0.1:${port}/style.css`,
          `http://127.0.0.1:${port}/pixel.png`,
          `http://127.0.0.1:${port}/fetch`,
        ]),
      );
      // The <img> and the stylesheet are in the HTML: the render itself refuses to fetch a private host.
      const img = result.warnings.find((w) => w.url?.endsWith('/pixel.png'))!;
      expect(img).toMatchObject({ code: 'asset_unavailable', element: 'img#probe' });
      expect(img.message).toMatch(
        /img#probe: could not download http:\/\/127\.0\.0\.1:\d+\/pixel\.png: refusing http:\/\/.*`allowPrivateHosts`/,
      );
      // A script's fetch() is the page's: the browser blocks it.
      const fetched = result.warnings.find((w) => w.url?.endsWith('/fetch'))!;
      expect(fetched.message).toMatch(/is not part of the project, and a render loads only the project's own files/);
    },
    60_000,
  );

  it('under strict the first blocked request fails the render, naming the element and the URL', async () => {
    const error = await render(project, { output: path.join(project, 'strict.mp4'), workers: 1, strict: true }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RenderError);
    expect(error).toMatchObject({ code: 'strict', fields: { url: expect.stringContaining(`127.0.0.1:${port}`) } });
    expect(seen).toEqual([]);
  }, 60_000);
});
