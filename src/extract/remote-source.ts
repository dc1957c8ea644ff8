/**
 * Remote (`https://`) video sources for the extraction engine: downloaded once into the frame cache's
 * remote/ folder (src/cache/remote.ts) before probing, so the rest of the engine sees a local file.
 * Failures become a per-video `ExtractError` naming the video and the URL.
 */
import type { LeaseTable } from '../cache/leases.js';
import { fetchAndLeaseRemoteSource } from '../cache/remote.js';
import { RemoteSourceError } from '../cache/errors.js';
import { ExtractError } from './errors.js';
import type { ExtractErrorKind } from './types.js';

/** True for an http(s) URL (anything else is a path). */
export function isRemoteSrc(src: unknown): src is string {
  return typeof src === 'string' && /^https?:\/\//i.test(src);
}

const KINDS: Record<RemoteSourceError['code'], { kind: ExtractErrorKind; retryable: boolean; fix: string }> = {
  invalid_url: { kind: 'invalid_request', retryable: false, fix: 'fix the URL' },
  insecure_scheme: { kind: 'invalid_request', retryable: false, fix: 'use an https:// URL' },
  private_host: {
    kind: 'invalid_request',
    retryable: false,
    fix: 'remote sources must be on public hosts; download the file and use its path',
  },
  dns_failed: { kind: 'source_missing', retryable: true, fix: 'check the host name and the network, then retry' },
  http_status: { kind: 'source_missing', retryable: true, fix: 'check that the URL serves the video, then retry' },
  too_many_redirects: { kind: 'source_missing', retryable: false, fix: 'use the final URL of the video' },
  length_mismatch: { kind: 'source_missing', retryable: true, fix: 'the download was cut short; retry' },
  network: { kind: 'source_missing', retryable: true, fix: 'check the network, then retry' },
  cancelled: { kind: 'cancelled', retryable: true, fix: 'the extraction was cancelled' },
  write_failed: { kind: 'internal', retryable: true, fix: 'check free space and permissions of the cache directory' },
};

/**
 * The local path of `url`'s content in `cacheDir`, leased in `leases` (cache GC keeps it until the
 * caller closes the table). Throws `ExtractError` for video `videoId`:
 * `invalid_request` (bad, insecure or private URL), `source_missing` (unreachable, HTTP error, cut
 * short), `cancelled`, or `internal` (could not write into the cache).
 */
export async function localCopyOf(
  url: string,
  videoId: string,
  cacheDir: string,
  leases: LeaseTable,
  options: { allowPrivateHosts?: boolean; signal?: AbortSignal; warn?: (message: string) => void },
): Promise<string> {
  try {
    return await fetchAndLeaseRemoteSource(
      url,
      { cacheDir, allowPrivateHosts: options.allowPrivateHosts ?? false, signal: options.signal, warn: options.warn },
      leases,
    );
  } catch (error) {
    if (error instanceof RemoteSourceError) {
      const { kind, retryable, fix } = KINDS[error.code];
      return Promise.reject(
        new ExtractError(kind, `cannot fetch ${url}: ${error.message} — ${fix}`, { videoId, file: url, retryable }, { cause: error }),
      );
    }
    return Promise.reject(
      new ExtractError(
        'internal',
        `cannot fetch ${url}: ${error instanceof Error ? error.message : String(error)}`,
        { videoId, file: url },
        { cause: error },
      ),
    );
  }
}
