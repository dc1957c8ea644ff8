/**
 * Which code points a font file maps to a glyph, read from its `cmap` table: the exact coverage
 * fontconfig and the browser see (a face's CSS `unicode-range` is only what it was cut from, not what
 * it holds).
 *
 * Reads WOFF2 (what `@fontsource` ships) without decompressing the whole font: the table directory,
 * then the Brotli stream up to the end of `cmap` (WOFF2 never transforms `cmap`), and TrueType/OpenType
 * files as they are. Subtables used: format 12 (full Unicode), else format 4 (BMP), from a Unicode or
 * Windows Unicode encoding.
 */
import { brotliDecompressSync } from 'node:zlib';

/** Sorted, disjoint, non-adjacent inclusive ranges of code points. */
export type Ranges = Array<[number, number]>;

const WOFF2 = 0x774f4632;
const CMAP_TAG = 0x636d6170;

/** The code points `font` (WOFF2 or TrueType/OpenType bytes) maps to a glyph other than .notdef. */
export function fontCoverage(font: Buffer): Ranges {
  const cmap = font.readUInt32BE(0) === WOFF2 ? woff2Cmap(font) : sfntCmap(font);
  return cmapCoverage(cmap);
}

function sfntCmap(font: Buffer): Buffer {
  const count = font.readUInt16BE(4);
  for (let i = 0; i < count; i++) {
    const at = 12 + i * 16;
    if (font.readUInt32BE(at) === CMAP_TAG)
      return font.subarray(font.readUInt32BE(at + 8), font.readUInt32BE(at + 8) + font.readUInt32BE(at + 12));
  }
  throw new Error('no cmap table');
}

/** WOFF2's variable-length unsigned integer (UIntBase128) at `at`: [value, next offset]. */
function base128(data: Buffer, at: number): [number, number] {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    const byte = data[at + i]!;
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) return [value, at + i + 1];
  }
  throw new Error('bad UIntBase128');
}

function woff2Cmap(font: Buffer): Buffer {
  if (font.readUInt32BE(4) === 0x74746366) throw new Error('WOFF2 collections are not read');
  const count = font.readUInt16BE(12);
  const compressedLength = font.readUInt32BE(20);
  let at = 48;
  let offset = 0;
  let cmap: { offset: number; length: number } | null = null;
  for (let i = 0; i < count; i++) {
    const flags = font[at++]!;
    const known = flags & 0x3f;
    let tag = -1;
    if (known === 63) {
      tag = font.readUInt32BE(at);
      at += 4;
    }
    let length: number;
    [length, at] = base128(font, at);
    const version = flags >> 6;
    // glyf (10) and loca (11) are transformed at version 0; every other table at a non-zero version.
    const transformed = known === 10 || known === 11 ? version === 0 : version !== 0;
    if (transformed) [length, at] = base128(font, at);
    if (known === 0 || tag === CMAP_TAG) cmap = { offset, length };
    offset += length;
  }
  if (!cmap) throw new Error('no cmap table');
  const stream = brotliDecompressSync(font.subarray(at, at + compressedLength));
  return stream.subarray(cmap.offset, cmap.offset + cmap.length);
}

function cmapCoverage(cmap: Buffer): Ranges {
  const count = cmap.readUInt16BE(2);
  let format4 = -1;
  for (let i = 0; i < count; i++) {
    const platform = cmap.readUInt16BE(4 + i * 8);
    const encoding = cmap.readUInt16BE(6 + i * 8);
    const offset = cmap.readUInt32BE(8 + i * 8);
    if (platform !== 0 && !(platform === 3 && (encoding === 1 || encoding === 10))) continue;
    const format = cmap.readUInt16BE(offset);
    if (format === 12) return format12(cmap.subarray(offset));
    if (format === 4 && format4 < 0) format4 = offset;
  }
  if (format4 < 0) throw new Error('no Unicode cmap subtable');
  return format4Coverage(cmap.subarray(format4));
}

function format12(table: Buffer): Ranges {
  const groups = table.readUInt32BE(12);
  const out: Ranges = [];
  for (let i = 0; i < groups; i++) {
    const at = 16 + i * 12;
    let start = table.readUInt32BE(at);
    const end = table.readUInt32BE(at + 4);
    // A group starting at glyph 0 maps its first code point to .notdef.
    if (table.readUInt32BE(at + 8) === 0) start++;
    if (start <= end) out.push([start, end]);
  }
  return merge(out);
}

function format4Coverage(table: Buffer): Ranges {
  const segments = table.readUInt16BE(6) / 2;
  const ends = 14;
  const starts = ends + segments * 2 + 2;
  const deltas = starts + segments * 2;
  const rangeOffsets = deltas + segments * 2;
  const out: Ranges = [];
  for (let s = 0; s < segments; s++) {
    const end = table.readUInt16BE(ends + s * 2);
    const start = table.readUInt16BE(starts + s * 2);
    const delta = table.readUInt16BE(deltas + s * 2);
    const rangeOffset = table.readUInt16BE(rangeOffsets + s * 2);
    for (let c = start; c <= end && c !== 0xffff; c++) {
      let glyph: number;
      if (rangeOffset === 0) glyph = (c + delta) & 0xffff;
      else {
        const at = rangeOffsets + s * 2 + rangeOffset + (c - start) * 2;
        glyph = at + 1 < table.length ? table.readUInt16BE(at) : 0;
        if (glyph !== 0) glyph = (glyph + delta) & 0xffff;
      }
      if (glyph !== 0) out.push([c, c]);
    }
  }
  return merge(out);
}

/** Sorts and merges overlapping or adjacent ranges. */
export function merge(ranges: Ranges): Ranges {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Ranges = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** Whether `ranges` (as `merge` returns them) hold `cp`. */
export function covers(ranges: Ranges, cp: number): boolean {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [a, b] = ranges[mid]!;
    if (cp < a) hi = mid - 1;
    else if (cp > b) lo = mid + 1;
    else return true;
  }
  return false;
}

/** The code points of `ranges` that are not in `removed` (both as `merge` returns them). */
export function subtract(ranges: Ranges, removed: Ranges): Ranges {
  const out: Ranges = [];
  for (const [a, b] of ranges) {
    let start = a;
    for (const [c, d] of removed) {
      if (d < start || c > b) continue;
      if (c > start) out.push([start, c - 1]);
      start = Math.max(start, d + 1);
      if (start > b) break;
    }
    if (start <= b) out.push([start, b]);
  }
  return out;
}
