/** Failures of the distributed mode itself (the queue, Redis); a chunk's own failure is its RenderError. */
import { FramesmithError, type FramesmithErrorOptions } from '../errors.js';
import { redactUrl } from '../redact.js';

/** The `code` of a DistributedError. */
export type DistributedErrorCode =
  /** No Redis answers at the URL (refused, unknown host, or silent). */
  | 'redis_unreachable'
  /** Redis stopped answering while a render waited for its chunks (see `watchRedis`). */
  | 'redis_lost'
  /** The URL is not a redis:// or rediss:// URL. */
  | 'redis_url'
  /** A chunk failed for good on the workers; the message is the chunk's own error. */
  | 'chunk_failed'
  /** A FRAMESMITH_*_MS timing of the environment is not a duration (timings.ts). */
  | 'invalid_config';

/** Its message and `redis` field never hold a password: both go through `redactUrl`. */
export class DistributedError<
  Fields extends { redis?: string; option?: string } = { redis?: string; option?: string },
> extends FramesmithError<DistributedErrorCode, Fields> {
  override readonly name: string = 'DistributedError';
  constructor(code: DistributedErrorCode, message: string, fields: Fields, options?: FramesmithErrorOptions) {
    super(code, redactUrl(message), fields.redis !== undefined ? { ...fields, redis: redactUrl(fields.redis) } : fields, options);
  }
}
