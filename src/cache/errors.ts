/** Typed errors of the frame cache and of remote sources. */
import { FramesmithError } from '../errors.js';

/**
 * Why a frame-cache operation failed: a bad budget/directory value (`invalid_config`), a malformed recipe,
 * source id or key (`invalid_recipe`), bad frame names or files at publish (`invalid_frames`), a source that is
 * not a readable regular file or changed while hashed, or a failed publish / partial-directory creation.
 */
export type CacheErrorKind =
  | 'invalid_config'
  | 'invalid_recipe'
  | 'invalid_frames'
  | 'source_unreadable'
  | 'source_changing'
  | 'publish_failed'
  | 'write_failed';

/** A frame-cache operation failed; `path` names the file or directory involved when there is one. */
export class CacheError extends FramesmithError<CacheErrorKind, { path?: string }> {
  override readonly name = 'CacheError';
}

/**
 * Why a URL fetch failed: unparseable URL, non-https or private address (refused unless `allowPrivateHosts`),
 * resolution failure, a non-200/304 answer, more than 5 redirects, a body shorter or longer than its
 * Content-Length, other network errors or timeouts, an aborted signal, or a local write failure.
 */
export type RemoteSourceErrorKind =
  | 'invalid_url'
  | 'insecure_scheme'
  | 'private_host'
  | 'dns_failed'
  | 'http_status'
  | 'too_many_redirects'
  | 'length_mismatch'
  | 'network'
  | 'cancelled'
  | 'write_failed';

/** A remote (URL) source could not be fetched; `url` is the address the caller asked for. */
export class RemoteSourceError extends FramesmithError<RemoteSourceErrorKind, { url: string }> {
  override readonly name = 'RemoteSourceError';
}

/** The errno code of a Node system error, or undefined. */
export function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : undefined;
}
