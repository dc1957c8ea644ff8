/** Process exit codes shared by every command, and which error codes are the command line's fault. */
import type { ErrorCode } from '../error-codes.js';
import { FramesmithError } from '../errors.js';
/** The command did what it was asked (every render, video or check succeeded). */
export const EXIT_OK = 0;
/** The job ran and failed (a render failed, a video could not be extracted). */
export const EXIT_FAILED = 1;
/** The command line itself was wrong. */
export const EXIT_USAGE = 2;

/** Thrown by a command for a usage error that commander cannot see (e.g. an unreadable spec file). */
export class UsageError extends FramesmithError<'usage'> {
  override readonly name = 'UsageError';
}

/** Error codes that are the command line's fault (a bad flag, value, file or URL given): exit 2. */
export const USAGE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'usage',
  'invalid_option',
  'invalid_variables',
  'invalid_batch',
  'invalid_config',
  'invalid_range',
  'redis_url',
  'storage_url',
  'output_refused',
  'output_unwritable',
  'limit_exceeded',
  'outside_project',
]);

/** The exit status of a command that failed with `error`: EXIT_USAGE for a USAGE_CODES error, else EXIT_FAILED. */
export function exitCodeFor(error: unknown): number {
  return error instanceof FramesmithError && USAGE_CODES.has(error.code) ? EXIT_USAGE : EXIT_FAILED;
}
