/**
 * Remote sources against a real HTTP server on loopback (permitted only with allowPrivateHosts), and
 * the refusals that must happen before any byte is sent.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, stat, utimes } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isPrivateAddress } from '../../src/cache/address-policy.js';
import { RemoteSourceError } from '../../src/cache/errors.js';
import { runGc } from '../../src/cache/gc.js';
import { LeaseTable } from '../../src/cache/leases.js';
import { fetchAndLeaseRemoteSource, fetchRemoteSource, remoteStats } from '../../src/cache/remote.js';
import { tempDir } from './helpers.js';

/** 256 KiB whose bytes depend on their position and a version number. */
function body(version: number): Buffer {
  const data = Buffer.alloc(256 * 1024);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + version * 13 + (i >> 10)) & 0xff;
  return data;
}

let server: http.Server;
let base: string;
let version = 1;
const hits = { total: 0, bodies: 0, notModified: 0 };

beforeAll(async () => {
  server = http.createServer((req, res) => {
    hits.total++;
    const url = req.url ?? '';
    if (url === '/video.mp4' || url === '/slow.mp4') {
      const etag = `"v${version}"`;
      if (req.headers['if-none-match'] === etag) {
        hits.notModified++;
        res.writeHead(304, { etag }).end();
        return;
      }
      const send = () => {
        hits.bodies++;
        res.writeHead(200, { etag, 'content-length': String(body(version).length) }).end(body(version));
      };
      if (url === '/slow.mp4') setTimeout(send, 200);
      else send();
    } else if (url === '/short.mp4') {
      hits.bodies++;
      res.writeHead(200, { 'content-length': '100000' });
      res.write(body(1).subarray(0, 40_000), () => res.socket?.destroy());
    } else if (url === '/other.mp4') {
      hits.bodies++;
      res.writeHead(200, { etag: '"other"', 'content-length': String(body(7).length) }).end(body(7));
    } else if (url === '/plain.bin') {
      hits.bodies++;
      res.writeHead(200, { 'content-length': '1000' }).end(body(3).subarray(0, 1000));
    } else if (url === '/moved') {
      res.writeHead(302, { location: '/video.mp4' }).end();
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

let cacheDir: string;
beforeEach(async () => {
  cacheDir = await tempDir('fs-remote-');
  version = 1;
});
afterEach(async () => {
  await rm(cacheDir, { recursive: true, force: true });
});

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function filesUnder(sub: string): Promise<string[]> {
  return readdir(path.join(cacheDir, 'remote', sub)).catch(() => []);
}

describe('address policy', () => {
  it('classifies private, loopback, link-local and mapped addresses, IPv4 and IPv6', () => {
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.5.4',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      '::',
      'fe80::1',
      'fc00::1',
      'fd12:3456::1',
      '::ffff:127.0.0.1',
      '::ffff:8.8.8.8',
      'ff02::1',
    ]) {
      expect(isPrivateAddress(address), address).toBe(true);
    }
    for (const address of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '2a00:1450:4001::200e']) {
      expect(isPrivateAddress(address), address).toBe(false);
    }
  });
});

describe('fetchRemoteSource', () => {
  it('refuses http and other schemes without allowPrivateHosts, before any request', async () => {
    const before = hits.total;
    for (const url of [`${base}/video.mp4`, 'ftp://example.com/a.mp4', 'file:///etc/passwd']) {
      const error = await fetchRemoteSource(url, { cacheDir }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RemoteSourceError);
      expect((error as RemoteSourceError).code).toBe('insecure_scheme');
      expect((error as RemoteSourceError).message).toContain(url);
    }
    expect(hits.total).toBe(before);
  });

  it('refuses https hosts that are or resolve to private addresses without the option', async () => {
    const port = (server.address() as AddressInfo).port;
    const before = hits.total;
    for (const url of [`https://127.0.0.1:${port}/video.mp4`, `https://[::1]:${port}/video.mp4`, `https://localhost:${port}/video.mp4`]) {
      const error = await fetchRemoteSource(url, { cacheDir }).catch((e: unknown) => e);
      expect(error, url).toBeInstanceOf(RemoteSourceError);
      expect((error as RemoteSourceError).code, url).toBe('private_host');
    }
    expect(hits.total).toBe(before);
    expect(await filesUnder('blobs')).toEqual([]);
  });

  it('downloads from loopback with the option, content-addressed, byte for byte', async () => {
    const local = await fetchRemoteSource(`${base}/video.mp4`, { cacheDir, allowPrivateHosts: true });
    expect(path.dirname(local)).toBe(path.join(cacheDir, 'remote', 'blobs'));
    expect(path.basename(local)).toBe(`${sha(body(1))}.mp4`);
    expect(sha(await readFile(local))).toBe(sha(body(1)));
    expect(await filesUnder('tmp')).toEqual([]);
  });

  it('resolves a host name through the guarded lookup when private hosts are allowed', async () => {
    const port = (server.address() as AddressInfo).port;
    const local = await fetchRemoteSource(`http://localhost:${port}/video.mp4`, { cacheDir, allowPrivateHosts: true });
    expect(sha(await readFile(local))).toBe(sha(body(1)));
  });

  it('follows a redirect', async () => {
    const local = await fetchRemoteSource(`${base}/moved`, { cacheDir, allowPrivateHosts: true });
    expect(sha(await readFile(local))).toBe(sha(body(1)));
  });

  it('fails on a Content-Length mismatch and leaves nothing behind', async () => {
    const error = await fetchRemoteSource(`${base}/short.mp4`, { cacheDir, allowPrivateHosts: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteSourceError);
    expect((error as RemoteSourceError).code).toBe('length_mismatch');
    expect((error as RemoteSourceError).message).toMatch(/ended after \d+ of 100000 bytes/);
    expect(await filesUnder('tmp')).toEqual([]);
    expect(await filesUnder('blobs')).toEqual([]);
    expect(await filesUnder('urls')).toEqual([]);
  });

  it('shares one request between concurrent fetches of a URL', async () => {
    const before = { ...hits };
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => fetchRemoteSource(`${base}/slow.mp4`, { cacheDir, allowPrivateHosts: true })));
    expect(hits.total - before.total).toBe(1);
    expect(a).toBe(b);
    expect(b).toBe(c);
  });

  it('a later run revalidates with a conditional request and does not download again; a changed ETag downloads the new content', async () => {
    const url = `${base}/video.mp4`;
    const first = await fetchRemoteSource(url, { cacheDir, allowPrivateHosts: true });
    const before = { ...hits, downloads: remoteStats.downloads };
    const second = await fetchRemoteSource(url, { cacheDir, allowPrivateHosts: true });
    expect(second).toBe(first);
    expect(hits.bodies - before.bodies).toBe(0);
    expect(hits.notModified - before.notModified).toBe(1);
    expect(remoteStats.downloads - before.downloads).toBe(0);

    version = 2;
    const third = await fetchRemoteSource(url, { cacheDir, allowPrivateHosts: true });
    expect(third).not.toBe(first);
    expect(sha(await readFile(third))).toBe(sha(body(2)));
  });

  it('trusts a stored download whose server sent no validator (no request at all)', async () => {
    const url = `${base}/plain.bin`;
    const first = await fetchRemoteSource(url, { cacheDir, allowPrivateHosts: true });
    const before = hits.total;
    expect(await fetchRemoteSource(url, { cacheDir, allowPrivateHosts: true })).toBe(first);
    expect(hits.total).toBe(before);
  });

  it('stops on abort with a typed error and leaves nothing behind', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await fetchRemoteSource(`${base}/slow.mp4`, { cacheDir, allowPrivateHosts: true, signal: controller.signal }).catch(
      (e: unknown) => e,
    );
    expect((error as RemoteSourceError).code).toBe('cancelled');
    expect(await filesUnder('tmp')).toEqual([]);
    expect(await filesUnder('blobs')).toEqual([]);
  });

  it('reports an HTTP error status with the URL', async () => {
    await expect(fetchRemoteSource(`${base}/missing.mp4`, { cacheDir, allowPrivateHosts: true })).rejects.toThrow(/HTTP 404/);
    await rm(cacheDir, { recursive: true, force: true });
  });
});

describe('downloads under the cache budget', () => {
  const exists = (file: string) =>
    stat(file).then(
      () => true,
      () => false,
    );
  const ago = (ms: number) => new Date(Date.now() - ms);

  it('count in the budget: GC evicts the least recently used download, and its URL downloads again', async () => {
    const older = await fetchRemoteSource(`${base}/video.mp4`, { cacheDir, allowPrivateHosts: true });
    const newer = await fetchRemoteSource(`${base}/other.mp4`, { cacheDir, allowPrivateHosts: true });
    expect(older).not.toBe(newer);
    await utimes(older, ago(60_000), ago(60_000));
    const gc = await runGc(cacheDir, { budgetBytes: 300 * 1024 });
    expect(gc.bytesBefore).toBe(2 * 256 * 1024);
    expect(gc.evicted).toBe(1);
    expect(gc.bytesAfter).toBe(256 * 1024);
    expect(await exists(older)).toBe(false);
    expect(await exists(newer)).toBe(true);
    const downloads = remoteStats.downloads;
    const again = await fetchRemoteSource(`${base}/video.mp4`, { cacheDir, allowPrivateHosts: true });
    expect(remoteStats.downloads).toBe(downloads + 1);
    expect(sha(await readFile(again))).toBe(sha(body(1)));
  });

  it('reusing a download refreshes its last use', async () => {
    const file = await fetchRemoteSource(`${base}/video.mp4`, { cacheDir, allowPrivateHosts: true });
    await utimes(file, ago(3_600_000), ago(3_600_000));
    expect(await fetchRemoteSource(`${base}/video.mp4`, { cacheDir, allowPrivateHosts: true })).toBe(file);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the refresh is not awaited by the fetch
    expect(Date.now() - (await stat(file)).mtimeMs).toBeLessThan(60_000);
  });

  it('a leased download is never evicted; once released, it is', async () => {
    const leases = new LeaseTable(cacheDir);
    const file = await fetchAndLeaseRemoteSource(`${base}/video.mp4`, { cacheDir, allowPrivateHosts: true }, leases);
    expect((await runGc(cacheDir, { budgetBytes: 0 })).evicted).toBe(0);
    expect(await exists(file)).toBe(true);
    expect((await runGc(cacheDir, { budgetBytes: 0, clear: true })).evicted).toBe(0);
    expect(await exists(file)).toBe(true);
    leases.close();
    expect((await runGc(cacheDir, { budgetBytes: 0 })).evicted).toBe(1);
    expect(await exists(file)).toBe(false);
  });
});
