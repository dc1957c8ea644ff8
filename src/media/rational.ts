/**
 * Exact frame rates. 30000/1001 is not 29.97: frame k of a render is at k * den / num seconds, and
 * computing that from a rounded float drifts by a frame every few minutes.
 */
export interface Rational {
  readonly num: number;
  readonly den: number;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return Math.abs(a);
}

/** Reduces num/den; throws on a zero or non-integer denominator. */
export function rational(num: number, den = 1): Rational {
  if (!Number.isInteger(num) || !Number.isInteger(den) || den === 0) throw new RangeError(`invalid rational ${num}/${den}`);
  const sign = den < 0 ? -1 : 1;
  const g = gcd(num, den) || 1;
  return { num: (sign * num) / g, den: (sign * den) / g };
}

/**
 * Parses a frame rate: a number (30, 29.97, 23.976 — decimals with up to 6 digits become exact
 * fractions), or a string "30", "30000/1001", "29.97". Returns `null` for anything else or for a
 * value that is not positive and finite.
 */
export function parseRational(value: number | string): Rational | null {
  const text = String(value).trim();
  const frac = /^(\d+)\s*\/\s*(\d+)$/.exec(text);
  let result: Rational;
  if (frac) {
    const den = Number(frac[2]);
    if (den === 0) return null;
    result = rational(Number(frac[1]), den);
  } else if (/^\d+(\.\d{1,6})?$/.test(text)) {
    const [, decimals = ''] = text.split('.');
    const scale = 10 ** decimals.length;
    result = rational(Math.round(Number(text) * scale), scale);
  } else {
    return null;
  }
  return result.num > 0 ? result : null;
}

/** The value of `r` as a float (num / den); inexact for non-terminating fractions such as 30000/1001. */
export function toNumber(r: Rational): number {
  return r.num / r.den;
}

/** "30000/1001", or "30" when the denominator is 1. */
export function formatRational(r: Rational): string {
  return r.den === 1 ? String(r.num) : `${r.num}/${r.den}`;
}

/** Seconds at which frame `index` of a `fps` stream starts: index * den / num, computed exactly in integers first. */
export function frameTime(index: number, fps: Rational): number {
  return (index * fps.den) / fps.num;
}
