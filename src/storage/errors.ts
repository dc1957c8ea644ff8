/** Failures of the storage location itself (a shared directory or an S3 bucket), not of a plan in it. */
import { FramesmithError } from '../errors.js';
import { redactUrl } from '../redact.js';

export type StorageErrorCode =
  /** `--storage` is neither a directory path nor an `s3://bucket[/prefix]` URL. */
  | 'storage_url'
  /** The bucket cannot be reached or read with this machine's credentials. */
  | 'storage_unreachable'
  /** A transfer to or from the storage failed midway (retried as any chunk failure is). */
  | 'storage_transfer';

export class StorageError extends FramesmithError<StorageErrorCode, { storage: string; key?: string }> {
  override readonly name = 'StorageError';
  constructor(code: StorageErrorCode, message: string, readonly storage: string, key?: string, options?: { cause?: unknown }) {
    // A storage URL or endpoint may carry credentials (s3://key:secret@…): never in a message.
    super(code, redactUrl(message), { storage: redactUrl(storage), ...(key !== undefined ? { key } : {}) }, options);
  }
}
