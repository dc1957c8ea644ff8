/**
 * Remote media in a composition: a `<video>`/`<audio>` whose src is an http(s) URL. The render reads
 * media with ffmpeg from local files, so each URL is downloaded once (src/cache/remote.ts: https and
 * public hosts only unless allowed, revalidated with ETag / Last-Modified, content-addressed) before
 * anything probes it, and the element's `src` becomes the local copy. The page still names the URL;
 * it never loads it (the media guard), so only our copy is read.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { RemoteSourceError } from '../cache/errors.js';
import { LeaseTable } from '../cache/leases.js';
import { fetchAndLeaseRemoteSource, fetchRemoteSource, type FetchRemoteOptions } from '../cache/remote.js';
import { type MediaError, mediaError, type MediaErrorCode } from '../media/errors.js';

/** Where and how a render's remote media are downloaded (RemoteMedia). */
export interface RemoteMediaOptions {
  /**
   * Where downloads are kept: the frame cache directory (they are reused by later renders), or null to
   * download into a temporary directory that `dispose()` removes.
   */
  cacheDir: string | null;
  /** Permit http:// and private or loopback hosts (a local dev server). Default false. */
  allowPrivateHosts?: boolean;
  signal?: AbortSignal;
  warn?: (message: string) => void;
  /** Bytes received so far over every download of this render, and their declared total. */
  onProgress?: (received: number, total: number) => void;
}

/** How a non-media URL is requested (see FetchRemoteOptions). */
export type RemoteFetchHow = Pick<FetchRemoteOptions, 'userAgent' | 'trustStored' | 'timeoutMs'>;

/** True for an http(s) URL. */
export function isRemoteMedia(src: string): boolean {
  return /^https?:\/\//i.test(src);
}

// The error code of each download failure. Their messages already say what to do, except that the
// render has a flag for local servers.
const CODES: Record<RemoteSourceError['code'], MediaErrorCode> = {
  invalid_url: 'media_missing',
  insecure_scheme: 'media_missing',
  private_host: 'media_missing',
  dns_failed: 'media_missing',
  http_status: 'media_missing',
  too_many_redirects: 'media_missing',
  length_mismatch: 'media_failed',
  network: 'media_failed',
  cancelled: 'cancelled',
  write_failed: 'media_failed',
};
const LOCAL_SERVER_HINT = ' (for a local server, set `allowPrivateHosts`)';

/** Downloads a render's remote media, each URL once, and hands back local paths. */
export class RemoteMedia {
  private readonly copies = new Map<string, Promise<string>>();
  /** Per URL being downloaded: bytes received and declared length (0 while unknown). */
  private readonly transfers = new Map<string, { received: number; total: number }>();
  private tempDir: Promise<string> | undefined;
  /** Cache leases on the downloads, so cache GC leaves them alone until `dispose()`. */
  private readonly leases: LeaseTable | null;

  constructor(private readonly options: RemoteMediaOptions) {
    this.leases = options.cacheDir ? new LeaseTable(options.cacheDir) : null;
  }

  /**
   * The local file for `src`: `src` itself unless it is an http(s) URL, whose content is downloaded
   * (once per URL per render). Throws `MediaError` naming `element` (when given) and the URL.
   */
  async local(src: string, element?: string): Promise<string> {
    if (!isRemoteMedia(src)) return src;
    let copy = this.copies.get(src);
    if (!copy) {
      copy = this.download(src);
      this.copies.set(src, copy);
    }
    try {
      return await copy;
    } catch (error) {
      throw this.failure(error, src, element);
    }
  }

  /**
   * The local copy of an http(s) URL that is not media (a script, stylesheet, image or font the page
   * refers to), downloaded under the same policy and cache. Throws `RemoteSourceError`, whose message
   * says what went wrong and what to do. `how`: the request's User-Agent and whether a stored copy
   * is used without revalidation (FetchRemoteOptions), for the first request of `url` in this render.
   */
  fetch(url: string, how: RemoteFetchHow = {}): Promise<string> {
    let copy = this.copies.get(url);
    if (!copy) {
      copy = this.download(url, how);
      this.copies.set(url, copy);
    }
    return copy;
  }

  /** The flag that lifts the https / public-host policy, when `error` is that policy's refusal. */
  static hint(error: unknown): string {
    return error instanceof RemoteSourceError && (error.code === 'insecure_scheme' || error.code === 'private_host')
      ? LOCAL_SERVER_HINT
      : '';
  }

  /** Drops the cache leases, or removes the temporary download directory. */
  async dispose(): Promise<void> {
    this.leases?.close();
    const dir = await this.tempDir?.catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  }

  private async download(url: string, how: RemoteFetchHow = {}): Promise<string> {
    const onBytes = (received: number, total: number | null) => {
      this.transfers.set(url, { received, total: total ?? received });
      let sumReceived = 0;
      let sumTotal = 0;
      for (const t of this.transfers.values()) {
        sumReceived += t.received;
        sumTotal += t.total;
      }
      this.options.onProgress?.(sumReceived, sumTotal);
    };
    const fetchOptions = {
      allowPrivateHosts: this.options.allowPrivateHosts ?? false,
      signal: this.options.signal,
      warn: this.options.warn,
      onBytes,
      ...how,
    };
    if (this.options.cacheDir && this.leases)
      return fetchAndLeaseRemoteSource(url, { ...fetchOptions, cacheDir: this.options.cacheDir }, this.leases);
    this.tempDir ??= mkdtemp(path.join(os.tmpdir(), 'framesmith-remote-'));
    const cacheDir = await this.tempDir;
    return fetchRemoteSource(url, { ...fetchOptions, cacheDir });
  }

  private failure(error: unknown, url: string, element: string | undefined): MediaError {
    const who = element ? `${element}: ` : '';
    if (error instanceof RemoteSourceError) {
      const hint = error.code === 'insecure_scheme' || error.code === 'private_host' ? LOCAL_SERVER_HINT : '';
      return mediaError(
        [{ code: CODES[error.code], element, file: url, message: `${who}cannot download ${url}: ${error.message}${hint}` }],
        { cause: error },
      );
    }
    const detail = error instanceof Error ? error.message : String(error);
    return mediaError([{ code: 'media_failed', element, file: url, message: `${who}cannot download ${url}: ${detail}` }], { cause: error });
  }
}
