/**
 * Serving a media file to a browser's `<audio>` element: with byte ranges, which Chromium needs to
 * seek in a file it streams (without them a seek restarts the download from the start or fails).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type http from 'node:http';
import { pipeline } from 'node:stream/promises';

/**
 * Answers `req` with `file`: 200 with the whole file, or 206 with the one range a `Range: bytes=a-b`
 * / `bytes=a-` / `bytes=-n` header asks for, or 416 when that range starts past the end. Multiple
 * ranges are answered with the whole file (allowed by RFC 9110; browsers ask for one).
 */
export async function sendFile(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  file: string,
  contentType: string,
  headers: Record<string, string> = {},
): Promise<void> {
  const { size } = await stat(file);
  const base = { 'content-type': contentType, 'accept-ranges': 'bytes', 'cache-control': 'no-store', ...headers };
  const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
  if (!range || (range[1] === '' && range[2] === '')) {
    res.writeHead(200, { ...base, 'content-length': String(size) });
    if (req.method === 'HEAD') return void res.end();
    await pipeline(createReadStream(file), res);
    return;
  }
  let start: number;
  let end: number;
  if (range[1] === '') {
    start = Math.max(0, size - Number(range[2]));
    end = size - 1;
  } else {
    start = Number(range[1]);
    end = range[2] === '' ? size - 1 : Math.min(size - 1, Number(range[2]));
  }
  if (start >= size || end < start) {
    res.writeHead(416, { ...base, 'content-range': `bytes */${size}` });
    return void res.end();
  }
  res.writeHead(206, { ...base, 'content-length': String(end - start + 1), 'content-range': `bytes ${start}-${end}/${size}` });
  if (req.method === 'HEAD') return void res.end();
  await pipeline(createReadStream(file, { start, end }), res);
}
