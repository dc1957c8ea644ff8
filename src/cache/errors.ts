/** Typed errors of the frame cache and of remote sources. */
import { FramesmithError } from '../errors.js';

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
