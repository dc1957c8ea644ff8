/**
 * Time expressions of timed elements and their resolution to absolute composition seconds.
 *
 * A time is either seconds (`2`, `1.5`, `0.25s`) or a reference to another element by id: `intro`
 * (the moment `#intro` ends), `intro + 0.5`, `intro - 0.5`. Seconds are relative to the enclosing
 * composition (0 at the root, the host's start inside a nested composition); a reference denotes an
 * absolute moment (when that element ends), wherever the two elements live.
 */

/** A parsed time: seconds relative to the enclosing composition, or the end of element `id` plus `offset` seconds. */
export type TimeExpr = { kind: 'seconds'; value: number } | { kind: 'ref'; id: string; offset: number };

const SECONDS = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*s?$/;
const REFERENCE = /^([A-Za-z_][\w:.-]*?)\s*(?:([+-])\s*(\d+(?:\.\d*)?|\.\d+)\s*s?)?$/;

/**
 * Parses a time expression; `null` when it is neither a number of seconds nor a reference. A negative
 * number parses (the caller rejects it with the element's name).
 */
export function parseTimeExpr(text: string): TimeExpr | null {
  const value = text.trim();
  const seconds = SECONDS.exec(value);
  if (seconds) return { kind: 'seconds', value: Number(seconds[1]) };
  const ref = REFERENCE.exec(value);
  if (ref && !/^(nan|infinity)$/i.test(ref[1]!)) {
    const sign = ref[2] === '-' ? -1 : 1;
    return { kind: 'ref', id: ref[1]!, offset: ref[3] ? sign * Number(ref[3]) : 0 };
  }
  return null;
}

/** Parses a plain non-negative number of seconds (`data-duration`, `data-media-start`); `null` otherwise. */
export function parseSeconds(text: string): number | null {
  const m = SECONDS.exec(text.trim());
  if (!m) return null;
  const value = Number(m[1]);
  return Number.isFinite(value) ? value : null;
}

/** Parses a finite number (`data-volume`, `data-playback-rate`); `null` otherwise. */
export function parseNumber(text: string): number | null {
  const t = text.trim();
  if (!/^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i.test(t)) return null;
  const value = Number(t);
  return Number.isFinite(value) ? value : null;
}
