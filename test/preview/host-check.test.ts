/**
 * The preview server answers only requests whose `Host` names it (src/preview/host-check.ts), so DNS
 * rebinding (evil.example re-pointed at 127.0.0.1) cannot read the project. Real HTTP requests to a
 * real server; the project fails to load at parse (no composition), so no browser is started.
 */
import http from 'node:http';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostAllowed } from '../../src/preview/host-check.js';
import { startPreviewServer, type PreviewServer } from '../../src/preview/server.js';
import { makeProject } from '../helpers/render-pixels.js';

let dir: string;
let server: PreviewServer;
let port: number;

beforeAll(async () => {
  dir = await makeProject({ 'index.html': '<!doctype html><html><body><p>no composition here</p></body></html>' }, 'fs-preview-host-');
  server = await startPreviewServer(dir, { cache: false });
  port = Number(new URL(server.url).port);
  await server.settled();
});
afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

/** GET `path` from the server on 127.0.0.1 with the given Host header. */
function get(path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'GET', headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('preview server Host check', () => {
  it('refuses Host: evil.example (with and without the port) with 403 and a short text', async () => {
    for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1.evil.example:${port}`]) {
      const res = await get('/', host);
      expect(res.status).toBe(403);
      expect(res.body).toContain(`refused a request for host "${host}"`);
      expect(res.body).toContain(`http://127.0.0.1:${port}/`);
    }
    const info = await get('/__preview/info', `evil.example:${port}`);
    expect(info.status).toBe(403);
    expect(info.body).not.toContain('no composition');
  });

  it('refuses a loopback name with another port', async () => {
    expect((await get('/', `127.0.0.1:${port + 1}`)).status).toBe(403);
    expect((await get('/', 'localhost')).status).toBe(403);
  });

  it('serves Host: 127.0.0.1:port, localhost:port and [::1]:port', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`]) {
      const res = await get('/', host);
      expect(res.status).toBe(200);
      expect(res.body).toContain('framesmith preview');
    }
    const info = await get('/__preview/info', `127.0.0.1:${port}`);
    expect(info.status).toBe(200);
    expect(JSON.parse(info.body)).toHaveProperty('error.code', 'no_root');
  });
});

describe('hostAllowed', () => {
  it('accepts the --host it listens on, and any IP literal only when listening on every address', () => {
    expect(hostAllowed('192.168.1.5:4321', '192.168.1.5', 4321)).toBe(true);
    expect(hostAllowed('192.168.1.5:4321', '127.0.0.1', 4321)).toBe(false);
    expect(hostAllowed('192.168.1.5:4321', '0.0.0.0', 4321)).toBe(true);
    expect(hostAllowed('[fe80::1]:4321', '::', 4321)).toBe(true);
    expect(hostAllowed('my-laptop.local:4321', '0.0.0.0', 4321)).toBe(false);
    expect(hostAllowed('my-laptop.local:4321', 'my-laptop.local', 4321)).toBe(true);
    expect(hostAllowed(undefined, '127.0.0.1', 4321)).toBe(false);
    expect(hostAllowed('127.0.0.1:4321:1', '127.0.0.1', 4321)).toBe(false);
    expect(hostAllowed('localhost:80', '127.0.0.1', 80)).toBe(true);
    expect(hostAllowed('localhost', '127.0.0.1', 80)).toBe(true);
  });
});
