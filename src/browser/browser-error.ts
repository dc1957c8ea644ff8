/** The error of finding, unpacking, verifying or starting the browser. */
import { FramesmithError } from '../errors.js';

/** The browser could not be found, unpacked, verified or started. `fix` says what the user should do. */
export class BrowserError extends FramesmithError<'browser', { fix: string }> {
  override readonly name = 'BrowserError';
  /** What went wrong, without the fix (the message is `${problem} — ${fix}`). */
  readonly problem: string;
  constructor(problem: string, readonly fix: string, options?: { cause?: unknown }) {
    super('browser', `${problem} — ${fix}`, { fix }, options);
    this.problem = problem;
  }
}
