/**
 * Remote sources: download a URL once into the cache directory and hand back a local path.
 *
 * Layout under `<cacheDir>/remote/`:
 *   urls/<sha256(url)>.json   what we know about the URL: validator (ETag / Last-Modified), blob, size
 *   blobs/<sha256(content)><ext>   the bytes, content-addressed (two URLs with one content share it)
 *   tmp/dl.<owner>.<random>   a download in progress (swept when its process is dead)
 *
 * Reuse policy: a stored URL with a validator is revalidated with one conditional request
 * (If-None-Match / If-Modified-Since); 304 reuses the stored file without downloading, 200 downloads
 * the new content. A stored URL whose server sent no validator is trusted as is — there is no cheap way
 * to revalidate it, and re-downloading on every render defeats the cache; `framesmith cache clear`
 * forgets it. If revalidation fails on the network, the stored file is used and a warning is given, so
 * a re-render works offline.
 *
 * Security: https only and public addresses only, unless `allowPrivateHosts` (which also permits
 * http). Every address a host resolves to is checked, and the connection is made to the checked
 * addresses themselves (the check runs inside the socket's DNS lookup), so a second DNS answer cannot
 * slip a private address in. Redirects are followed (at most 5) under the same rules.
 */
import { createHash } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { mkdir, open, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isPrivateAddress } from './address-policy.js';
import { RemoteSourceError, errnoCode } from './errors.js';
import { REMOTE, uniqueSuffix } from './layout.js';
import { ownToken } from './owner.js';
import type { LeaseTable } from './leases.js';
import { blobLeaseKey } from './remote-gc.js';

/** Options of `fetchRemoteSource`; `signal` aborts the request or download with `RemoteSourceError('cancelled')`. */
export interface FetchRemoteOptions {
  /** The cache directory (downloads live in its remote/ folder). */
  cacheDir: string;
  /** Permit http:// and hosts on private/loopback/link-local addresses. Default false. */
  allowPrivateHosts?: boolean;
  signal?: AbortSignal;
  /** Inactivity timeout per request, ms. Default 60 000. */
  timeoutMs?: number;
  /** Called as a download's bytes arrive: received so far, and the declared length (null: unknown). */
  onBytes?: (received: number, total: number | null) => void;
  /** Receives a warning when a stored copy is used because revalidation failed. Default: stderr. */
  warn?: (message: string) => void;
  /** The User-Agent header (a service may answer by it: Google Fonts sends WOFF2 to browsers). Default `framesmith`. */
  userAgent?: string;
  /**
   * Use a stored copy as is, without revalidating it (content that does not change at its URL, e.g.
   * versioned font files): a second use needs no network at all. Default false.
   */
  trustStored?: boolean;
}

/** Process-wide counters (tests and metrics): requests sent and bodies downloaded. */
export const remoteStats = { requests: 0, downloads: 0 };

interface UrlRecord {
  url: string;
  etag: string | null;
  lastModified: string | null;
  blob: string;
  size: number;
}

const MAX_REDIRECTS = 5;
const inFlight = new Map<string, Promise<string>>();

/**
 * The local path of `url`'s content, downloading it into the cache when needed (see the module
 * comment for the reuse policy). Concurrent calls for the same cache directory and URL in this process
 * share one download. Throws `RemoteSourceError`; nothing partial is left behind on failure.
 */
export function fetchRemoteSource(url: string, options: FetchRemoteOptions): Promise<string> {
  const dedupeKey = `${path.resolve(options.cacheDir)}\0${url}`;
  let pending = inFlight.get(dedupeKey);
  if (!pending) {
    pending = fetchOrReuse(url, options).finally(() => inFlight.delete(dedupeKey));
    inFlight.set(dedupeKey, pending);
  }
  return pending;
}

/**
 * `fetchRemoteSource`, then a lease on the downloaded file in `leases` (a LeaseTable of the same cache
 * directory), so cache GC keeps it while this process uses it; `leases.close()` or
 * `release(remoteLeaseKey(file))` ends that. The lease is taken before the file is checked again: if
 * GC removed it in between, it is fetched again.
 */
export async function fetchAndLeaseRemoteSource(url: string, options: FetchRemoteOptions, leases: LeaseTable): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const file = await fetchRemoteSource(url, options);
    const key = remoteLeaseKey(file);
    await leases.acquire(key);
    if (
      await stat(file).then(
        () => true,
        () => false,
      )
    )
      return file;
    await leases.release(key);
    if (attempt >= 2)
      throw new RemoteSourceError(
        'write_failed',
        `the download of ${url} keeps disappearing from ${options.cacheDir}; is another tool deleting files there?`,
        { url },
      );
  }
}

/** The lease key protecting a downloaded file (a path returned by fetchRemoteSource). */
export function remoteLeaseKey(file: string): string {
  return blobLeaseKey(path.basename(file));
}

function checkUrl(raw: string, original: string, allowPrivate: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new RemoteSourceError('invalid_url', `"${raw}" is not a valid URL; give an absolute https:// address`, { url: original });
  }
  const secure = url.protocol === 'https:';
  if (!secure && !(allowPrivate && url.protocol === 'http:')) {
    throw new RemoteSourceError(
      'insecure_scheme',
      `refusing ${url.protocol}// source ${raw}: only https:// URLs are fetched; serve it over https or download it and use a local path`,
      { url: original },
    );
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && isIP(host) && isPrivateAddress(host)) {
    throw new RemoteSourceError('private_host', `refusing ${raw}: ${host} is a private, loopback or link-local address`, { url: original });
  }
  return url;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A socket lookup that refuses hosts with any non-public address (the connection then uses these very addresses). */
function guardedLookup(original: string, allowPrivate: boolean, refused: { error?: RemoteSourceError }) {
  return (hostname: string, options: { family?: number | string; all?: boolean }, callback: LookupCallback): void => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : Number(options.family ?? 0);
    dnsLookup(hostname, { all: true, family: family === 4 || family === 6 ? family : 0 }, (error, addresses) => {
      if (error) return callback(error, []);
      const bad = allowPrivate ? undefined : addresses.find((a) => isPrivateAddress(a.address));
      if (bad || addresses.length === 0) {
        refused.error = bad
          ? new RemoteSourceError(
              'private_host',
              `refusing ${original}: host ${hostname} resolves to ${bad.address}, a private, loopback or link-local address`,
              { url: original },
            )
          : new RemoteSourceError('dns_failed', `host ${hostname} has no address; check the URL`, { url: original });
        const failure = Object.assign(new Error(refused.error.message), { code: 'EREFUSED_PRIVATE' });
        return callback(failure, []);
      }
      if (options.all) callback(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: http.IncomingMessage;
}

function request(url: URL, original: string, headers: Record<string, string>, options: FetchRemoteOptions): Promise<Response> {
  const refused: { error?: RemoteSourceError } = {};
  const module = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    remoteStats.requests++;
    const req = module.request(
      url,
      {
        method: 'GET',
        headers: { 'user-agent': options.userAgent ?? 'framesmith', 'accept-encoding': 'identity', ...headers },
        lookup: guardedLookup(original, options.allowPrivateHosts ?? false, refused) as never,
        signal: options.signal,
      },
      (res) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res }),
    );
    req.setTimeout(options.timeoutMs ?? 60_000, () =>
      req.destroy(
        new RemoteSourceError('network', `no data from ${url.host} for ${options.timeoutMs ?? 60_000} ms; try again later`, {
          url: original,
        }),
      ),
    );
    req.once('error', (error) => reject(refused.error ?? mapNetworkError(error, original, options.signal)));
    req.end();
  });
}

function mapNetworkError(error: unknown, original: string, signal?: AbortSignal): RemoteSourceError {
  if (error instanceof RemoteSourceError) return error;
  if (signal?.aborted)
    return new RemoteSourceError('cancelled', `download of ${original} was cancelled`, { url: original }, { cause: error });
  const code = errnoCode(error);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return new RemoteSourceError(
      'dns_failed',
      `cannot resolve the host of ${original} (${code}); check the URL`,
      { url: original },
      { cause: error },
    );
  return new RemoteSourceError(
    'network',
    `cannot fetch ${original} (${code ?? (error instanceof Error ? error.message : String(error))})`,
    { url: original },
    { cause: error },
  );
}

/** Follows redirects; resolves with the final non-redirect response (body not yet read). */
async function requestFollowing(original: string, headers: Record<string, string>, options: FetchRemoteOptions): Promise<Response> {
  let current = checkUrl(original, original, options.allowPrivateHosts ?? false);
  for (let hop = 0; ; hop++) {
    const res = await request(current, original, headers, options);
    if (![301, 302, 303, 307, 308].includes(res.status)) return res;
    res.body.resume();
    const location = res.headers.location;
    if (!location) return res;
    if (hop >= MAX_REDIRECTS)
      throw new RemoteSourceError('too_many_redirects', `${original} redirects more than ${MAX_REDIRECTS} times`, { url: original });
    current = checkUrl(new URL(location, current).toString(), original, options.allowPrivateHosts ?? false);
  }
}

function remoteDir(cacheDir: string, sub: string): string {
  return path.join(cacheDir, REMOTE, sub);
}

async function readRecord(file: string, url: string): Promise<UrlRecord | null> {
  try {
    const record = JSON.parse(await readFile(file, 'utf8')) as UrlRecord;
    if (record.url !== url || typeof record.blob !== 'string' || record.blob.includes('/')) return null;
    return record;
  } catch {
    return null;
  }
}

async function blobIntact(cacheDir: string, record: UrlRecord): Promise<boolean> {
  try {
    return (await stat(path.join(remoteDir(cacheDir, 'blobs'), record.blob))).size === record.size;
  } catch {
    return false;
  }
}

async function fetchOrReuse(url: string, options: FetchRemoteOptions): Promise<string> {
  const { cacheDir } = options;
  const warn = options.warn ?? ((m: string) => process.stderr.write(`framesmith: ${m}\n`));
  checkUrl(url, url, options.allowPrivateHosts ?? false);
  const recordFile = path.join(remoteDir(cacheDir, 'urls'), `${createHash('sha256').update(url).digest('hex')}.json`);
  const stored = await readRecord(recordFile, url);
  const usable = stored && (await blobIntact(cacheDir, stored)) ? stored : null;
  // Reusing a blob refreshes its last use (its mtime), which GC evicts by.
  const blobPath = (record: UrlRecord) => {
    const file = path.join(remoteDir(cacheDir, 'blobs'), record.blob);
    const now = new Date();
    utimes(file, now, now).catch(() => {});
    return file;
  };
  if (usable && (options.trustStored || (!usable.etag && !usable.lastModified))) return blobPath(usable);

  const headers: Record<string, string> = {};
  if (usable?.etag) headers['if-none-match'] = usable.etag;
  else if (usable?.lastModified) headers['if-modified-since'] = usable.lastModified;
  let res: Response;
  try {
    res = await requestFollowing(url, headers, options);
  } catch (error) {
    if (usable && error instanceof RemoteSourceError && (error.code === 'network' || error.code === 'dns_failed')) {
      warn(`could not revalidate ${url} (${error.message}); using the copy downloaded earlier`);
      return blobPath(usable);
    }
    throw error;
  }
  if (res.status === 304 && usable) {
    res.body.resume();
    return blobPath(usable);
  }
  if (res.status !== 200) {
    res.body.resume();
    throw new RemoteSourceError('http_status', `${url} answered HTTP ${res.status}; check the URL`, { url });
  }
  const record = await download(url, res, options);
  await writeAtomically(recordFile, JSON.stringify(record));
  return blobPath(record);
}

/** Streams the body into tmp/, hashing as it goes, checks the length, and moves it to blobs/. */
async function download(url: string, res: Response, options: FetchRemoteOptions): Promise<UrlRecord> {
  const tmpDir = remoteDir(options.cacheDir, 'tmp');
  const blobDir = remoteDir(options.cacheDir, 'blobs');
  try {
    await mkdir(tmpDir, { recursive: true });
    await mkdir(blobDir, { recursive: true });
  } catch (error) {
    res.body.resume();
    throw new RemoteSourceError(
      'write_failed',
      `cannot create ${tmpDir} (${errnoCode(error)}); check the cache directory`,
      { url },
      { cause: error },
    );
  }
  const temp = path.join(tmpDir, `dl.${ownToken()}.${uniqueSuffix()}`);
  const declared = res.headers['content-length'] !== undefined ? Number(res.headers['content-length']) : null;
  const hash = createHash('sha256');
  let received = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.length;
      hash.update(chunk);
      options.onBytes?.(received, declared);
      done(null, chunk);
    },
  });
  try {
    // Create the file before streaming: a write stream opens its file asynchronously, and a body that
    // fails at once would let that open land after the clean-up below, leaving a stray temp file.
    const handle = await open(temp, 'wx');
    try {
      await pipeline(res.body, counter, handle.createWriteStream(), { signal: options.signal });
    } catch (error) {
      if (declared !== null && received < declared && !options.signal?.aborted) {
        throw new RemoteSourceError(
          'length_mismatch',
          `${url} ended after ${received} of ${declared} bytes (Content-Length); try again`,
          { url },
          { cause: error },
        );
      }
      throw mapNetworkError(error, url, options.signal);
    }
    if (declared !== null && received !== declared) {
      throw new RemoteSourceError('length_mismatch', `${url} sent ${received} bytes but its Content-Length says ${declared}; try again`, {
        url,
      });
    }
    remoteStats.downloads++;
    const digest = hash.digest('hex');
    const ext = path.extname(new URL(url).pathname).toLowerCase();
    const blob = `${digest}${/^\.[a-z0-9]{1,8}$/.test(ext) ? ext : ''}`;
    try {
      await rename(temp, path.join(blobDir, blob));
    } catch (error) {
      throw new RemoteSourceError(
        'write_failed',
        `cannot store download of ${url} in ${blobDir} (${errnoCode(error)})`,
        { url },
        { cause: error },
      );
    }
    const etag = typeof res.headers.etag === 'string' ? res.headers.etag : null;
    const lastModified = typeof res.headers['last-modified'] === 'string' ? res.headers['last-modified'] : null;
    return { url, etag, lastModified, blob, size: received };
  } finally {
    await rm(temp, { force: true }).catch(() => {});
  }
}

async function writeAtomically(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${ownToken()}.${uniqueSuffix()}.tmp`;
  try {
    await writeFile(temp, text);
    await rename(temp, file);
  } finally {
    await rm(temp, { force: true }).catch(() => {});
  }
}
