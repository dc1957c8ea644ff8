/** Process exit codes shared by every command. */
import { FramesmithError } from '../errors.js';
export const EXIT_OK = 0;
/** The job ran and failed (a render failed, a video could not be extracted). */
export const EXIT_FAILED = 1;
/** The command line itself was wrong. */
export const EXIT_USAGE = 2;

/** Thrown by a command for a usage error that commander cannot see (e.g. an unreadable spec file). */
export class UsageError extends FramesmithError<'usage'> {
  override readonly name = 'UsageError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('usage', message, {}, options);
  }
}
