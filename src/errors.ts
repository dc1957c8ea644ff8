/**
 * The one base of every error framesmith throws, and its one constructor shape:
 * `new XxxError(code, message, fields, { cause })`. An error carries a machine-readable `code` (one of
 * ERROR_CODES, src/error-codes.ts), the structured fields that say what failed (`element`, `file`,
 * `url`, `option`, …) and a message worded once, where the error is made: what went wrong and what to
 * do. Subclasses exist for `instanceof` and their `name`; they hold no state beside `fields`. Layers
 * that catch an error and throw their own keep it as `cause` and copy its fields; none re-words
 * another's message by pattern matching.
 *
 * A message names an option by its API name (`crf`, `browserTimeout`) and carries it in
 * `fields.option`; the CLI shows the flag instead (src/cli/option-flags.ts).
 *
 * `reason` is the message without its subject (`video "intro": ` in front of an extraction's), so a
 * layer that names the culprit differently (the element's label instead of the request id) can
 * compose its own message from the same words.
 */
import type { ErrorCode } from './error-codes.js';

/** The machine-readable code of a framesmith error: one of ERROR_CODES (src/error-codes.ts). */
export type { ErrorCode } from './error-codes.js';

/** What failed, as an error whose class declares no fields of its own carries it; each field present only when it applies. */
export interface ErrorFields {
  /** Label of the element at fault (`video#intro`). */
  element?: string;
  /** Absolute path of the file at fault. */
  file?: string;
  /** URL at fault (a page, a remote source). */
  url?: string;
  /** The option at fault, by its API name (`crf`); the CLI names its flag (`--crf`). */
  option?: string;
}

/**
 * The base of every error framesmith throws: `new FramesmithError(code, message, fields, { cause })`.
 * `code` is one of ERROR_CODES; `fields` name what failed; nothing else is stored on the error.
 */
export class FramesmithError<Code extends ErrorCode = ErrorCode, Fields extends object = ErrorFields> extends Error {
  override readonly name: string = 'FramesmithError';
  readonly code: Code;
  readonly fields: Readonly<Fields>;
  /** The message without its subject (equal to `message` when there is none). */
  readonly reason: string;

  /**
   * `subject`, when given, names what failed at the front of the message: `${subject}: ${reason}`.
   */
  constructor(code: Code, reason: string, fields: Fields, options?: FramesmithErrorOptions) {
    super(options?.subject ? `${options.subject}: ${reason}` : reason, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.code = code;
    this.fields = fields;
    this.reason = reason;
  }

  /** `{ name, code, message, ...fields }`: what `--json` prints and a queue carries across machines. */
  toJSON(): object {
    return { name: this.name, code: this.code, message: this.message, ...this.fields };
  }
}

/** The last argument of every error's constructor. */
export interface FramesmithErrorOptions {
  cause?: unknown;
  /** Names what failed at the front of the message: `${subject}: ${reason}`. */
  subject?: string;
}

/** Whether `error` is a framesmith error with one of `codes`. */
export function hasCode<C extends ErrorCode>(error: unknown, ...codes: C[]): error is FramesmithError<C> {
  return error instanceof FramesmithError && (codes as string[]).includes(error.code);
}
