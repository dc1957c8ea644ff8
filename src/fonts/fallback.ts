/**
 * The fallback chain: the faces a character is drawn from when the family that asked for it has no
 * glyph for it, so no script is drawn as empty boxes (.notdef).
 *
 * After the requested family (and the faces installed for the composition's families, and emoji), in
 * this order: DejaVu Sans — first, as on Debian, HyperFrames' reference machine, where fontconfig sorts
 * it first for any character a page's fonts lack, so its arrows, box drawing, math, dingbats, Greek,
 * Cyrillic, Arabic and Hebrew are the ones HyperFrames draws there — then Noto Sans (extended Latin,
 * Greek, Cyrillic, Vietnamese, Devanagari), the scripts (Arabic,
 * Hebrew, Devanagari, Bengali, Tamil, Telugu, Kannada, Thai), Noto Sans Symbols 2 (arrows, geometric
 * shapes, dingbats, Braille), Noto Sans Math (operators, arrows, box drawing, music signs), Noto Sans
 * Symbols, then CJK — Japanese, Korean, Simplified then Traditional Chinese, the order of the Noto CJK
 * collection, with the one of the document's language (`<html lang>`: ja, ko, zh-TW/HK/Hant, zh) first.
 * The machine's own fonts come after all of these (fontconfig.ts).
 *
 * The packages are split by subset; a render installs only the subsets its text needs: for each
 * character no installed face covers, the first subset of the chain that does (a "fallback unit",
 * written `fallback:<id>:<subset>` among the families a render installs).
 */
import { bundledFamilies, EMOJI_FAMILY, DEFAULT_FAMILY } from './catalog.js';
import { covers, merge, type Ranges } from './cmap.js';
import { fontPackage, packageCoverage, subsetCovering, wholeCoverage, type FontPackage } from './coverage.js';

const CJK = { ja: 'noto-sans-jp', ko: 'noto-sans-kr', sc: 'noto-sans-sc', tc: 'noto-sans-tc' } as const;

/**
 * The chain before CJK: [scope, id, the only subset used]. A script's package also ships Latin, math
 * and symbol subsets of its own design: only its script subset stands in the chain.
 */
const CHAIN: Array<[FontPackage['scope'], string, string?]> = [
  ['@fontsource', 'dejavu-sans'],
  ['@fontsource-variable', 'noto-sans'],
  ...['arabic', 'hebrew', 'devanagari', 'bengali', 'tamil', 'telugu', 'kannada', 'thai'].map(
    (s): [FontPackage['scope'], string, string] => ['@fontsource-variable', `noto-sans-${s}`, s],
  ),
  // After the scripts: Noto Sans Math also holds Arabic and Hebrew letters (for formulas), unshaped.
  ['@fontsource', 'noto-sans-symbols-2'],
  ['@fontsource', 'noto-sans-math'],
  ['@fontsource-variable', 'noto-sans-symbols'],
];

/** The CJK family preferred for a BCP 47 language tag, or null. */
export function cjkPreference(lang: string | undefined): keyof typeof CJK | null {
  const tag = (lang ?? '').toLowerCase();
  if (/^ja\b/.test(tag)) return 'ja';
  if (/^ko\b/.test(tag)) return 'ko';
  if (/^zh\b/.test(tag)) return /\b(tw|hk|mo|hant)\b/.test(tag) ? 'tc' : 'sc';
  return null;
}

/** One package of the fallback chain, and the only subset of it used (undefined: every subset). */
export interface ChainEntry {
  pkg: FontPackage;
  /** The one subset used, else all. */
  only?: string;
}

/** The chain in order, for a document in `lang`. */
export function fallbackChain(lang?: string): ChainEntry[] {
  const first = cjkPreference(lang);
  const cjk = (['ja', 'ko', 'sc', 'tc'] as const)
    .slice()
    .sort((a, b) => Number(b === first) - Number(a === first))
    .map((k) => CJK[k]);
  return [...CHAIN, ...cjk.map((id): [FontPackage['scope'], string] => ['@fontsource-variable', id])].map(([scope, id, only]) => ({
    pkg: fontPackage(scope, id),
    only,
  }));
}

const ALL_CJK_IDS = new Set<string>(Object.values(CJK));
/** The chain package of id `id`. */
export function chainPackage(id: string): FontPackage | null {
  const entry = CHAIN.find(([, i]) => i === id);
  if (entry) return fontPackage(entry[0], entry[1]);
  return ALL_CJK_IDS.has(id) ? fontPackage('@fontsource-variable', id) : null;
}

/** One subset of a chain package: what a render installs for characters no other face covers. */
export interface FallbackUnit {
  pkg: FontPackage;
  subset: string;
}

/** `fallback:<id>:<subset>` ↔ unit. */
export const unitName = (u: FallbackUnit) => `fallback:${u.pkg.id}:${u.subset}`;
/**
 * The unit `name` (`fallback:<id>:<subset>`) stands for; null when it is not of that form or `<id>`
 * is no chain package. The subset is not checked against the package.
 */
export function parseUnit(name: string): FallbackUnit | null {
  const m = /^fallback:([a-z0-9-]+):(.+)$/.exec(name);
  const pkg = m ? chainPackage(m[1]!) : null;
  return pkg ? { pkg, subset: m![2]! } : null;
}

/**
 * Whether a code point needs a glyph of its own: not ASCII (every installed set has DEFAULT_FAMILY),
 * not a control, format character (joiners, marks of direction), separator or variation selector.
 */
export function needsGlyph(cp: number): boolean {
  if (cp < 0x80) return false;
  if ((cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef) || (cp >= 0xe0000 && cp <= 0xe007f)) return false;
  return !/^[\p{Cc}\p{Cf}\p{Z}\p{Cs}]$/u.test(String.fromCodePoint(cp));
}

/** What the bundled families `families` (and always DEFAULT_FAMILY and EMOJI_FAMILY) cover. */
export function familiesCoverage(families: Iterable<string>, dir: string): Ranges {
  const catalog = bundledFamilies();
  const ranges: Ranges = [];
  for (const name of new Set([DEFAULT_FAMILY, EMOJI_FAMILY, ...families])) {
    const face = catalog.get(name.toLowerCase());
    if (face) ranges.push(...wholeCoverage(packageCoverage(fontPackage('@fontsource', face.id), dir)));
    const unit = parseUnit(name);
    if (unit) ranges.push(...(packageCoverage(unit.pkg, dir).get(unit.subset) ?? []));
  }
  return merge(ranges);
}

/**
 * The fallback units to install so that every code point of `text` that `families` do not cover is
 * drawn (see the module comment), and the code points no face of the chain covers either.
 */
export function fallbackUnits(
  text: Iterable<number>,
  families: readonly string[],
  lang: string | undefined,
  dir: string,
): { units: string[]; uncovered: number[] } {
  let covered: Ranges | null = null;
  const units = new Set<string>();
  const uncovered: number[] = [];
  const chain = fallbackChain(lang);
  for (const cp of new Set(text)) {
    if (!needsGlyph(cp)) continue;
    covered ??= familiesCoverage(families, dir);
    if (covers(covered, cp)) continue;
    let found = false;
    for (const { pkg, only } of chain) {
      const index = packageCoverage(pkg, dir);
      const subset = only ? (covers(index.get(only) ?? [], cp) ? only : null) : subsetCovering(index, cp);
      if (subset !== null) {
        units.add(unitName({ pkg, subset }));
        found = true;
        break;
      }
    }
    if (!found) uncovered.push(cp);
  }
  return { units: [...units].sort(), uncovered };
}
