/** Failures of the storage location itself (a shared directory or an S3 bucket), not of a plan in it. */
import { FramesmithError, type FramesmithErrorOptions } from '../errors.js';
import { redactUrl } from '../redact.js';

/** The `code` of a StorageError. */
export type StorageErrorCode =
  /** `--storage` is neither a directory path nor an `s3://bucket[/prefix]` URL. */
  | 'storage_url'
  /** The bucket cannot be reached or read with this machine's credentials. */
  | 'storage_unreachable'
  /** A transfer to or from the storage failed midway (retried as any chunk failure is). */
  | 'storage_transfer';

/**
 * The storage location cannot be named, reached or transferred to; `storage` (credentials redacted) is the location,
 * `key` the object at fault when one is.
 */
export class StorageError extends FramesmithError<StorageErrorCode, { storage: string; key?: string; option?: string }> {
  override readonly name = 'StorageError';
  constructor(
    code: StorageErrorCode,
    message: string,
    fields: { storage: string; key?: string; option?: string },
    options?: FramesmithErrorOptions,
  ) {
    // A storage URL or endpoint may carry credentials (s3://key:secret@…): never in a message.
    super(code, redactUrl(message), { ...fields, storage: redactUrl(fields.storage) }, options);
  }
}
