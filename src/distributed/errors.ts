/** Failures of the distributed mode itself (the queue, Redis); a chunk's own failure is its RenderError. */
import { FramesmithError } from '../errors.js';
import { redactUrl } from '../redact.js';

export type DistributedErrorCode =
  /** No Redis answers at the URL (refused, unknown host, or silent). */
  | 'redis_unreachable'
  /** Redis stopped answering while a render waited for its chunks (see `watchRedis`). */
  | 'redis_lost'
  /** The URL is not a redis:// or rediss:// URL. */
  | 'redis_url'
  /** A chunk failed for good on the workers; the message is the chunk's own error. */
  | 'chunk_failed';

/** Its message and `redis` field never hold a password: both go through `redactUrl`. */
export class DistributedError extends FramesmithError<DistributedErrorCode, { redis?: string }> {
  override readonly name = 'DistributedError';
  constructor(code: DistributedErrorCode, message: string, redis?: string, options?: { cause?: unknown }) {
    super(code, redactUrl(message), redis !== undefined ? { redis: redactUrl(redis) } : {}, options);
  }
}
