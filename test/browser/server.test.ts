import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProjectServer, type ProjectServer } from '../../src/browser/server.js';

let dir: string;
let project: string;
let outside: string;
let frames: string;
let server: ProjectServer;

/** A raw GET: fetch() would normalize `..` out of the path before sending it. */
function get(
  rawPath: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; type?: string; body: Buffer; headers: http.IncomingHttpHeaders }> {
  const url = new URL(server.origin);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: rawPath, method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode!, type: res.headers['content-type'], body: Buffer.concat(chunks), headers: res.headers }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fs-server-'));
  project = path.join(dir, 'project');
  outside = path.join(dir, 'secret');
  frames = path.join(dir, 'frames');
  await mkdir(path.join(project, 'assets', 'sub dir'), { recursive: true });
  await mkdir(outside, { recursive: true });
  await mkdir(frames, { recursive: true });
  await writeFile(path.join(project, 'index.html'), '<!doctype html><p>hi</p>');
  await writeFile(path.join(project, 'assets', 'sub dir', 'a b.css'), 'p{}');
  await writeFile(path.join(outside, 'secret.txt'), 'TOP SECRET');
  await writeFile(path.join(frames, '000001.png'), 'png-bytes');
  await writeFile(path.join(project, 'clip.mp4'), Buffer.from('0123456789'));
  for (const ext of [
    'js',
    'mjs',
    'json',
    'svg',
    'png',
    'jpg',
    'webp',
    'gif',
    'woff',
    'woff2',
    'ttf',
    'otf',
    'webm',
    'mp3',
    'wav',
    'm4a',
    'unknownext',
  ]) {
    await writeFile(path.join(project, 'assets', `f.${ext}`), 'x');
  }
  await symlink(outside, path.join(project, 'escape'));
  await symlink(path.join(outside, 'secret.txt'), path.join(project, 'assets', 'link.txt'));
  server = await startProjectServer(project);
  server.mount('/__framesmith/frames/', frames);
});

afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('startProjectServer', () => {
  it('listens on loopback and serves files with their content types', async () => {
    expect(server.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const index = await get('/');
    expect(index.status).toBe(200);
    expect(index.type).toBe('text/html; charset=utf-8');
    expect(index.body.toString()).toContain('<p>hi</p>');
    const expected: Record<string, string> = {
      js: 'text/javascript',
      mjs: 'text/javascript',
      json: 'application/json',
      svg: 'image/svg+xml',
      png: 'image/png',
      jpg: 'image/jpeg',
      webp: 'image/webp',
      gif: 'image/gif',
      woff: 'font/woff',
      woff2: 'font/woff2',
      ttf: 'font/ttf',
      otf: 'font/otf',
      webm: 'video/webm',
      mp3: 'audio/mpeg',
      wav: 'audio/wav',
      m4a: 'audio/mp4',
      unknownext: 'application/octet-stream',
    };
    for (const [ext, type] of Object.entries(expected)) {
      const r = await get(`/assets/f.${ext}`);
      expect(r.status, ext).toBe(200);
      expect(r.type?.split(';')[0], ext).toBe(type);
    }
    const css = await get('/assets/sub%20dir/a%20b.css');
    expect([css.status, css.type, css.body.toString()]).toEqual([200, 'text/css; charset=utf-8', 'p{}']);
  });

  it('urlFor encodes paths inside the root and the mounts', async () => {
    expect(server.urlFor(path.join(project, 'assets', 'sub dir', 'a b.css'))).toBe(`${server.origin}/assets/sub%20dir/a%20b.css`);
    expect(server.urlFor('index.html')).toBe(`${server.origin}/index.html`);
    expect(server.urlFor(path.join(frames, '000001.png'))).toBe(`${server.origin}/__framesmith/frames/000001.png`);
    expect(() => server.urlFor(path.join(outside, 'secret.txt'))).toThrow(/outside the served directories/);
    const r = await fetch(server.urlFor(path.join(project, 'assets', 'sub dir', 'a b.css')));
    expect(await r.text()).toBe('p{}');
  });

  it.each([
    '/../secret/secret.txt',
    '/assets/../../secret/secret.txt',
    '/%2e%2e/secret/secret.txt',
    '/%2E%2E%2fsecret%2fsecret.txt',
    '/assets/%2e%2e/%2e%2e/secret/secret.txt',
    '/..%5csecret%5csecret.txt',
    `/${encodeURIComponent(path.join(os.tmpdir(), 'x', '..', 'etc', 'passwd'))}`,
    '/%2Fetc%2Fpasswd',
    '//etc/passwd',
    '/__framesmith/frames/../../secret/secret.txt',
    '/__framesmith/frames/%2e%2e/%2e%2e/secret/secret.txt',
    '/assets/f.js%00.png',
  ])('refuses %s', async (attempt) => {
    const r = await get(attempt);
    expect([403, 404, 400]).toContain(r.status);
    expect(r.body.toString()).not.toContain('TOP SECRET');
  });

  it('serves symlinks the project holds, as HyperFrames does (a linked assets/ folder), and refuses dot segments (403)', async () => {
    const linkedDir = await get('/escape/secret.txt');
    expect([linkedDir.status, linkedDir.body.toString()]).toEqual([200, 'TOP SECRET']);
    expect((await get('/assets/link.txt')).status).toBe(200);
    expect((await get('/%2e%2e/secret/secret.txt')).status).toBe(403);
    expect((await get('/assets/../index.html')).status).toBe(403);
    expect((await get('/escape/%2e%2e/secret/secret.txt')).status).toBe(403);
  });

  it('tells refused requests from missing files', async () => {
    const before = server.failures().length;
    await get('/nope.css');
    await get('/%2e%2e/secret/secret.txt');
    expect(
      server
        .failures()
        .slice(before)
        .map((f) => [f.url.replace(server.origin, ''), f.status, f.reason]),
    ).toEqual([
      ['/nope.css', 404, 'missing'],
      ['/%2e%2e/secret/secret.txt', 403, 'outside'],
    ]);
  });

  it('records failed requests with their URL, but not /favicon.ico', async () => {
    const before = server.failedRequests().length;
    expect((await get('/img/missing.png?v=2')).status).toBe(404);
    expect((await get('/favicon.ico')).status).toBe(404);
    const added = server.failedRequests().slice(before);
    expect(added).toEqual([`${server.origin}/img/missing.png`]);
  });

  it('serves a mounted directory under its prefix', async () => {
    const r = await get('/__framesmith/frames/000001.png');
    expect([r.status, r.type, r.body.toString()]).toEqual([200, 'image/png', 'png-bytes']);
    expect((await get('/__framesmith/frames/nope.png')).status).toBe(404);
    // The mount does not expose the frame dir under the root.
    expect((await get('/000001.png')).status).toBe(404);
  });

  it('answers byte ranges, for media elements', async () => {
    const r = await get('/clip.mp4', { range: 'bytes=2-5' });
    expect(r.status).toBe(206);
    expect(r.headers['content-range']).toBe('bytes 2-5/10');
    expect(r.body.toString()).toBe('2345');
    const tail = await get('/clip.mp4', { range: 'bytes=-3' });
    expect(tail.body.toString()).toBe('789');
    expect((await get('/clip.mp4', { range: 'bytes=20-' })).status).toBe(416);
  });

  it('refuses methods other than GET and HEAD', async () => {
    const r = await fetch(`${server.origin}/index.html`, { method: 'POST', body: 'x' });
    expect(r.status).toBe(405);
    const head = await fetch(`${server.origin}/index.html`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('24');
  });
});
