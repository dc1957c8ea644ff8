/**
 * The one base of every error framesmith throws. An error carries a machine-readable `code`, the
 * structured fields that say what failed (`element`, `file`, `url`, …), and a message worded once,
 * where the error is made: what went wrong and what to do. Layers that catch an error and throw their
 * own keep it as `cause` and copy its fields; none re-words another's message by pattern matching.
 *
 * `reason` is the message without its subject (`video "intro": ` in front of an extraction's), so a
 * layer that names the culprit differently (the element's label instead of the request id) can
 * compose its own message from the same words.
 */
export interface ErrorFields {
  /** Label of the element at fault (`video#intro`). */
  element?: string;
  /** Absolute path of the file at fault. */
  file?: string;
  /** URL at fault (a page, a remote source). */
  url?: string;
}

export class FramesmithError<Code extends string = string, Fields extends object = ErrorFields> extends Error {
  override readonly name: string = 'FramesmithError';
  readonly code: Code;
  readonly fields: Readonly<Fields>;
  /** The message without its subject (equal to `message` when there is none). */
  readonly reason: string;

  /**
   * `subject`, when given, names what failed at the front of the message: `${subject}: ${reason}`.
   */
  constructor(code: Code, reason: string, fields: Fields, options?: { cause?: unknown; subject?: string }) {
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

/** Whether `error` is a framesmith error with one of `codes`. */
export function hasCode<C extends string>(error: unknown, ...codes: C[]): error is FramesmithError<C> {
  return error instanceof FramesmithError && (codes as string[]).includes(error.code);
}
