/**
 * The loopback HTTP server a render loads the composition from (127.0.0.1, a free port).
 *
 * Safety: a request path is %-decoded segment by segment; a segment that is `..`, `.`, empty after
 * decoding a slash, or holds `\` or NUL is refused (403), so no URL leads out of the served directory.
 * Symlinks the project itself holds are followed wherever they point (an `assets/` folder linked in
 * from elsewhere is served, as HyperFrames serves it): the containment check is on the path as
 * written, because the project's author, not the page, made the link. Only GET and HEAD. Files are
 * streamed (single byte ranges supported, for media elements); a directory serves its index.html.
 * Every response >= 400 is recorded for `failures()` with why (missing, outside, bad request),
 * except /favicon.ico, which browsers ask for on their own.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { contentTypeFor } from './content-types.js';

/**
 * A running project server (see the module comment). `urlFor` throws a RangeError for a file outside every
 * mount (or outside mount `prefix`); `mount` throws one for the prefix `/`.
 */
export interface ProjectServer {
  /** `http://127.0.0.1:PORT` */
  origin: string;
  /**
   * URL of a file inside rootDir or a mounted directory (absolute, or relative to rootDir); with
   * `prefix`, through that mount.
   */
  urlFor(file: string, prefix?: string): string;
  /** URLs answered with an error status (404, 403…), in order, e.g. `http://127.0.0.1:1234/img/a.png`. */
  failedRequests(): string[];
  /** The same, with the status and why: `missing` (404), `outside` (403: a path out of the project), `invalid`. */
  failures(): ServedFailure[];
  /** Absolute paths of the files answered from disk so far (2xx), each once: what the pages read. */
  servedFiles(): string[];
  /** Serves `dir` under the URL prefix `prefix` (e.g. `/__framesmith/frames/`). Longest prefix wins. */
  mount(prefix: string, dir: string): void;
  /**
   * Answers requests for `file` (a path inside rootDir) with `text` instead of the file's content:
   * the assembled document of a composition (sub-compositions inlined) is served at its entry URL.
   */
  serveText(file: string, text: string, contentType?: string): void;
  /**
   * Answers `urlPath` (e.g. `/__framesmith/remote/ab12/gsap.min.js`) with a file or a text, whatever
   * the mounts say: assets the render fetched for the page (src/load/remote-assets.ts).
   */
  route(urlPath: string, body: { file: string } | { text: string }, contentType?: string): void;
  close(): Promise<void>;
}

/**
 * One request answered with an error, as `failures()` lists it: the full URL without query. `reason`: `missing`
 * (404), `outside` (403), `invalid` (any other status: 400, 405, 500).
 */
export interface ServedFailure {
  url: string;
  status: number;
  reason: 'missing' | 'outside' | 'invalid';
}

interface Mount {
  prefix: string; // always starts and ends with '/'
  dir: string; // absolute, resolved
}

/** Starts serving `rootDir` on 127.0.0.1 at a free port; resolves once listening, rejects if it cannot listen. */
export async function startProjectServer(rootDir: string): Promise<ProjectServer> {
  const mounts: Mount[] = [{ prefix: '/', dir: path.resolve(rootDir) }];
  const failed: ServedFailure[] = [];
  const served = new Set<string>();
  const texts = new Map<string, { body: Buffer; contentType: string }>();
  const routes = new Map<string, { file: string; contentType: string } | { body: Buffer; contentType: string }>();
  let origin = '';

  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, record((req.url ?? '/').split(/[?#]/, 1)[0] ?? '/', 500));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 30_000;

  const record = (url: string, status: number) => {
    const reason = status === 404 ? 'missing' : status === 403 ? 'outside' : 'invalid';
    if (url !== '/favicon.ico') failed.push({ url: `${origin}${url}`, status, reason });
    return status;
  };
  const send = (res: http.ServerResponse, status: number, text = http.STATUS_CODES[status] ?? '') => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const rawUrl = req.url ?? '/';
    const pathname = rawUrl.split(/[?#]/, 1)[0] ?? '/';
    const fail = (status: number) => send(res, record(pathname, status));
    if (req.method !== 'GET' && req.method !== 'HEAD') return fail(405);
    if (!pathname.startsWith('/')) return fail(400);

    const routed = routes.get(pathname);
    if (routed && 'body' in routed) {
      res.writeHead(200, { 'content-type': routed.contentType, 'content-length': routed.body.length, 'cache-control': 'no-cache' });
      res.end(req.method === 'HEAD' ? undefined : routed.body);
      return;
    }
    const mount = mounts.filter((m) => pathname.startsWith(m.prefix)).sort((a, b) => b.prefix.length - a.prefix.length)[0]!;
    const segments: string[] = [];
    for (const raw of pathname.slice(mount.prefix.length).split('/')) {
      let seg: string;
      try {
        seg = decodeURIComponent(raw);
      } catch {
        return fail(400);
      }
      if (seg === '' && raw === '') continue; // doubled or trailing slash
      if (seg === '.' || seg === '..' || seg === '' || /[\\/\0]/.test(seg)) return fail(403);
      segments.push(seg);
    }
    let file = routed ? routed.file : path.join(mount.dir, ...segments);
    if (!routed && file !== mount.dir && !file.startsWith(mount.dir + path.sep)) return fail(403);

    let info = await stat(file).catch(() => null);
    if (info?.isDirectory()) {
      file = path.join(file, 'index.html');
      info = await stat(file).catch(() => null);
    }
    const text = texts.get(file);
    if (text) {
      res.writeHead(200, { 'content-type': text.contentType, 'content-length': text.body.length, 'cache-control': 'no-cache' });
      res.end(req.method === 'HEAD' ? undefined : text.body);
      return;
    }
    if (!info?.isFile()) return fail(404);
    served.add(file);

    const headers: http.OutgoingHttpHeaders = {
      'content-type': routed?.contentType ?? contentTypeFor(file),
      'accept-ranges': 'bytes',
      'cache-control': 'no-cache',
      'last-modified': info.mtime.toUTCString(),
    };
    let start = 0;
    let end = info.size - 1;
    let status = 200;
    const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
    if (range && (range[1] || range[2])) {
      if (range[1]) {
        start = Number(range[1]);
        if (range[2]) end = Math.min(end, Number(range[2]));
      } else {
        start = Math.max(0, info.size - Number(range[2]));
      }
      if (start > end || start >= info.size) {
        res.writeHead(416, { 'content-range': `bytes */${info.size}` });
        res.end();
        return;
      }
      status = 206;
      headers['content-range'] = `bytes ${start}-${end}/${info.size}`;
    }
    headers['content-length'] = Math.max(0, end - start + 1);
    res.writeHead(status, headers);
    if (req.method === 'HEAD' || info.size === 0) {
      res.end();
      return;
    }
    const stream = createReadStream(file, { start, end });
    stream.on('error', () => res.destroy());
    res.on('close', () => stream.destroy());
    stream.pipe(res);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    origin,
    urlFor(file: string, prefix?: string): string {
      const abs = path.resolve(mounts[0]!.dir, file);
      const mount = mounts
        .filter((m) => (prefix === undefined || m.prefix === prefix) && (abs === m.dir || abs.startsWith(m.dir + path.sep)))
        .sort((a, b) => b.dir.length - a.dir.length)[0];
      if (!mount) throw new RangeError(`${abs} is outside the served directories (${mounts.map((m) => m.dir).join(', ')})`);
      const rel = path.relative(mount.dir, abs).split(path.sep).filter(Boolean).map(encodeURIComponent).join('/');
      return `${origin}${mount.prefix}${rel}`;
    },
    failedRequests: () => failed.map((f) => f.url),
    failures: () => [...failed],
    servedFiles: () => [...served],
    mount(prefix: string, dir: string): void {
      const normalized = `/${prefix.split('/').filter(Boolean).join('/')}/`.replace(/^\/\/$/, '/');
      if (normalized === '/') throw new RangeError('mount prefix must not be "/": that is the project root');
      const existing = mounts.findIndex((m) => m.prefix === normalized);
      const entry: Mount = { prefix: normalized, dir: path.resolve(dir) };
      if (existing >= 0) mounts[existing] = entry;
      else mounts.push(entry);
    },
    route(urlPath: string, body: { file: string } | { text: string }, contentType?: string): void {
      const type = contentType ?? contentTypeFor('file' in body ? body.file : urlPath);
      routes.set(
        urlPath,
        'file' in body ? { file: body.file, contentType: type } : { body: Buffer.from(body.text, 'utf8'), contentType: type },
      );
    },
    serveText(file: string, text: string, contentType = 'text/html; charset=utf-8'): void {
      texts.set(path.resolve(mounts[0]!.dir, file), { body: Buffer.from(text, 'utf8'), contentType });
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
