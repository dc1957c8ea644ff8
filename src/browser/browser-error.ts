/** The error of finding, unpacking, verifying or starting the browser. */
import { FramesmithError } from '../errors.js';

/** What a browser failure names: what went wrong, and what the user should do. */
export interface BrowserErrorFields {
  /** What went wrong, without the fix. */
  problem: string;
  fix: string;
}

/** The browser could not be found, unpacked, verified or started. Made by `browserError`. */
export class BrowserError extends FramesmithError<'browser', BrowserErrorFields> {
  override readonly name = 'BrowserError';
}

/** The BrowserError whose message is `${problem} — ${fix}`. */
export function browserError(problem: string, fix: string, options?: { cause?: unknown }): BrowserError {
  return new BrowserError('browser', `${problem} — ${fix}`, { problem, fix }, options);
}
