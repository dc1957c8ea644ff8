/**
 * The faces framesmith decides on, given to the page as web fonts (`@font-face` rules pointing at the
 * package files, served by the project server under `WEB_FONTS_PREFIX`), for browsers that do not read
 * fontconfig (macOS's Core Text, Windows' DirectWrite; delivery.ts decides when). The browser then
 * draws the same files as on Linux, and the system's font lookup chooses nothing it is given a face for.
 *
 * The same faces as the fontconfig file (fontconfig.ts), under the same names:
 * - every bundled family of the render (each WOFF2 file of its package: every subset, weight and
 *   style), the generic families' faces under their private names (generic.ts), `EMOJI_FAMILY`, and
 *   `DEFAULT_FAMILY` (as `UNNAMED_DEFAULT_FAMILY` when nothing names it);
 * - the fallback units installed (fallback.ts), each its one file, under its package's family; a
 *   variable file covers its package's whole weight axis.
 * Each rule's `unicode-range` is its file's cmap coverage (coverage.ts), so the browser fetches a file
 * only for text it draws, and a character a file lacks goes on to the next family as fontconfig would.
 *
 * `tail` is what every font-family list gets appended (web-stacks.ts): the families the fontconfig file
 * appends for fallback (`EMOJI_FAMILY`, the other bundled faces with `DEFAULT_FAMILY` first, each
 * fallback unit under a private family of its own, in the chain's order), those having the basic
 * letters of the document's language first — fontconfig ranks a font with the text's language above
 * the order of appended families. After them the browser has only the machine's fonts.
 */
import { readdirSync } from 'node:fs';
import { DEFAULT_FAMILY, EMOJI_FAMILY, type BundledFamily } from './catalog.js';
import { covers, merge, subtract, type Ranges } from './cmap.js';
import { fontPackage, packageCoverage, subsetFiles, wholeCoverage, type FontPackage } from './coverage.js';
import { fallbackChain, unitName, type FallbackUnit } from './fallback.js';
import { cutFaceDir, cutFileName } from './face-dirs.js';
import { fallbackFamilies, fontDir, installedFaces, UNNAMED_DEFAULT_FAMILY } from './fontconfig.js';

/** The URL prefix the package files are served under: `<prefix><scope>/<id>@<version>/<file>`. */
export const WEB_FONTS_PREFIX = '/__framesmith/fonts/';

/** The web fonts of a render (from webFontPlan). */
export interface WebFontPlan {
  /** The `@font-face` rules, one per face of `faces`. */
  css: string;
  /** The faces, as the rules declare them. */
  faces: WebFace[];
  /** The package directories to serve, each under its URL prefix. */
  mounts: Array<{ prefix: string; dir: string }>;
  /** Every family name the rules declare, lower case. */
  declared: Set<string>;
  /** The families appended to every font-family list, in order (see the module comment). */
  tail: string[];
  /** System names (keys of `FONT_ALIASES`) drawn in HyperFrames' stand-in (fontconfig.ts `ALIASED_PREFIX`). */
  aliased: Set<string>;
  /** System names the page declares itself (fontconfig.ts `DECLARED_PREFIX`): left in font lists. */
  declaredNames: Set<string>;
  /** The name `DEFAULT_FAMILY` is declared under (`UNNAMED_DEFAULT_FAMILY` when nothing names it). */
  defaultName: string;
}

const quote = (family: string) => `"${family.replace(/["\\]/g, '\\$&')}"`;

/** `U+0-7F,U+A0-FF,…` for a ranges list. */
function unicodeRange(ranges: Ranges): string {
  return ranges.map(([a, b]) => (a === b ? `U+${a.toString(16)}` : `U+${a.toString(16)}-${b.toString(16)}`)).join(',');
}

function mountOf(pkg: FontPackage): { prefix: string; dir: string } {
  return { prefix: `${WEB_FONTS_PREFIX}${pkg.scope.slice(1)}/${pkg.id}@${pkg.version}/`, dir: pkg.filesDir };
}

/** One `@font-face` rule of a plan. */
export interface WebFace {
  family: string;
  /** The file's URL on the project server. */
  url: string;
  /** `400`, or a variable file's `100 900`. */
  weight: string;
  style: string;
  /** The file's coverage (its `unicode-range`). */
  ranges: Ranges;
  /** A face only for characters the others lack: the emoji face, a fallback unit. */
  fallback: boolean;
}

const faceCss = (f: WebFace) =>
  `@font-face{font-family:${quote(f.family)};src:url(${quote(f.url)}) format("${f.url.endsWith('.ttf') ? 'truetype' : 'woff2'}");font-weight:${f.weight};font-style:${f.style}${f.ranges.length > 0 ? `;unicode-range:${unicodeRange(f.ranges)}` : ''}}`;

/** Every WOFF2 file of a static bundled package (or the files of a cut face), as `@font-face` rules under `family`. */
function staticRules(face: BundledFamily, family: string, dir: string): { rules: WebFace[]; mount: { prefix: string; dir: string } } {
  if (face.cut) {
    const mount = { prefix: `${WEB_FONTS_PREFIX}cut/${face.id}@${face.version}/`, dir: cutFaceDir(dir, face) };
    const ranges = face.cut.charset;
    const rules = face.cut.faces.map((whole) => ({
      family,
      url: mount.prefix + cutFileName(face, whole),
      weight: String(whole.weight),
      style: whole.style,
      ranges,
      fallback: false,
    }));
    return { rules, mount };
  }
  const pkg = fontPackage('@fontsource', face.id);
  const mount = mountOf(pkg);
  const coverage = packageCoverage(pkg, dir);
  const name = new RegExp(`^${face.id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(.+)-(\\d+)-(normal|italic)\\.woff2$`);
  const rules: WebFace[] = [];
  for (const file of readdirSync(pkg.filesDir).sort()) {
    const m = name.exec(file);
    if (m)
      rules.push({
        family,
        url: mount.prefix + file,
        weight: m[2]!,
        style: m[3]!,
        ranges: coverage.get(m[1]!) ?? [],
        fallback: family === EMOJI_FAMILY,
      });
  }
  return { rules, mount };
}

/** The private family a fallback unit is also declared under, so the tail can order units one by one. */
export const unitFamily = (unit: FallbackUnit) => `framesmith fallback ${unit.pkg.id} ${unit.subset}`;

/**
 * The characters a font must have for fontconfig to give it the language of `lang` (a BCP 47 tag; its
 * orthography's basic letters), or null for languages this does not tell (CJK, Indic scripts, …).
 */
function languageLetters(lang: string | undefined): Ranges | null {
  const primary = (lang || 'en').toLowerCase().split(/[-_]/)[0]!;
  if (/^(ja|zh|ko|hi|mr|ne|bn|ta|te|kn|ml|gu|pa|or|si|lo|km|my|ka|hy|am|bo|dz|yi)$/.test(primary)) return null;
  if (/^(ru|uk|be|bg|sr|mk|kk|ky|mn|tg)$/.test(primary)) return [[0x410, 0x44f]];
  if (primary === 'el')
    return [
      [0x391, 0x3a1],
      [0x3a3, 0x3a9],
      [0x3b1, 0x3c9],
    ];
  if (primary === 'he') return [[0x5d0, 0x5ea]];
  if (/^(ar|fa|ur)$/.test(primary))
    return [
      [0x627, 0x63a],
      [0x641, 0x64a],
    ];
  if (primary === 'th') return [[0xe01, 0xe2e]];
  // fontconfig's English orthography (fc-lang/en.orth), standing for every language in Latin script.
  return [
    [0x41, 0x5a],
    [0x61, 0x7a],
    [0xc0, 0xc0],
    [0xc7, 0xcb],
    [0xcf, 0xcf],
    [0xd1, 0xd1],
    [0xd4, 0xd4],
    [0xd6, 0xd6],
    [0xe0, 0xe0],
    [0xe7, 0xeb],
    [0xef, 0xef],
    [0xf1, 0xf1],
    [0xf4, 0xf4],
    [0xf6, 0xf6],
  ];
}

/** Whether `ranges` has every code point of `needed`. */
const coversAll = (ranges: Ranges, needed: Ranges) =>
  needed.every(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => a + i).every((cp) => covers(ranges, cp)));

let emojiRanges: Ranges | undefined;
/** The code points whose default presentation is emoji (`\p{Emoji_Presentation}`), as ranges. */
function emojiPresentation(): Ranges {
  if (emojiRanges) return emojiRanges;
  const found: Ranges = [];
  const pattern = /\p{Emoji_Presentation}/u;
  for (let cp = 0x2000; cp <= 0x1faff; cp++) if (pattern.test(String.fromCodePoint(cp))) found.push([cp, cp]);
  emojiRanges = merge(found);
  return emojiRanges;
}

/** A fallback unit's one file (coverage.ts `subsetFiles`) as `@font-face` rules under its package's family and its own. */
function unitRule(unit: FallbackUnit, dir: string): { rules: WebFace[]; mount: { prefix: string; dir: string } } {
  const file = subsetFiles(unit.pkg).get(unit.subset);
  if (!file) throw new Error(`${unit.pkg.scope}/${unit.pkg.id} has no subset ${unit.subset}`);
  const mount = mountOf(unit.pkg);
  // Declared at its file's weight only, a variable file too: Chromium on Linux falls back with no weight
  // asked (fontconfig gives the regular instance) and emboldens it for bold text; a weight range here
  // would draw the variable font's true bold instead.
  const weight = /-(\d+)-normal\.woff2$/.exec(file)?.[1] ?? '400';
  // A unit that also draws emoji in black and white (DejaVu Sans has the emoticons) leaves them to the
  // emoji face, as Chromium on Linux sends an emoji-presentation character to the colour font first.
  const ranges = subtract(packageCoverage(unit.pkg, dir).get(unit.subset) ?? [], emojiPresentation());
  return {
    rules: [unit.pkg.family, unitFamily(unit)].map((family) => ({
      family,
      url: mount.prefix + file,
      weight,
      style: 'normal',
      ranges,
      fallback: true,
    })),
    mount,
  };
}

/**
 * The web fonts for `fonts` — the list a render installs (bundled family names, fallback units,
 * `aliased:<name>`, `declared:<name>`; unknown names are ignored), as prepareFonts takes it — for a document in `lang`
 * (see the module comment).
 */
export function webFontPlan(fonts: Iterable<string>, lang?: string, dir = fontDir()): WebFontPlan {
  const installed = installedFaces(fonts);
  const defaultName = installed.defaultNamed ? DEFAULT_FAMILY : UNNAMED_DEFAULT_FAMILY;
  const listed = (family: string) => (family === DEFAULT_FAMILY ? defaultName : family);
  const { faces, units } = installed;
  const rules: WebFace[] = [];
  const mounts = new Map<string, { prefix: string; dir: string }>();
  const declared = new Set<string>();
  for (const face of faces) {
    const family = listed(face.family);
    const made = staticRules(face, family, dir);
    rules.push(...made.rules);
    mounts.set(made.mount.prefix, made.mount);
    declared.add(family.toLowerCase());
  }
  for (const unit of units) {
    const made = unitRule(unit, dir);
    rules.push(...made.rules);
    mounts.set(made.mount.prefix, made.mount);
    declared.add(unit.pkg.family.toLowerCase());
    declared.add(unitFamily(unit).toLowerCase());
  }
  // The fallback in fontconfig's order: the families it appends (emoji, bundled, the chain's units), a
  // font having the language of the text (fontconfig's lang, ranked above a weak family) before one
  // that has not, each group in the list's order.
  const faceOf = (family: string) => faces.find((f) => f.family === family)!;
  const coverageOf = (face: BundledFamily) => wholeCoverage(packageCoverage(fontPackage('@fontsource', face.id), dir));
  const order = fallbackChain(lang).map((e) => e.pkg.id);
  const chain = [...units].sort((a, b) => order.indexOf(a.pkg.id) - order.indexOf(b.pkg.id) || unitName(a).localeCompare(unitName(b)));
  const entries = [
    { family: EMOJI_FAMILY, ranges: () => coverageOf(faceOf(EMOJI_FAMILY)) },
    ...fallbackFamilies(faces).map((family) => ({ family: listed(family), ranges: () => coverageOf(faceOf(family)) })),
    ...chain.map((unit) => ({ family: unitFamily(unit), ranges: () => merge(packageCoverage(unit.pkg, dir).get(unit.subset) ?? []) })),
  ];
  const letters = languageLetters(lang);
  const ranked = letters ? entries.map((e) => ({ ...e, has: coversAll(e.ranges(), letters) })) : entries.map((e) => ({ ...e, has: true }));
  const tail = [...ranked.filter((e) => e.has), ...ranked.filter((e) => !e.has)].map((e) => e.family);
  return {
    css: rules.map(faceCss).join('\n'),
    faces: rules,
    mounts: [...mounts.values()],
    declared,
    tail,
    aliased: new Set(installed.aliased),
    declaredNames: new Set(installed.declared),
    defaultName,
  };
}

/**
 * The URLs of the faces a page loads before its own scripts run (web-runtime.ts), as a browser has its
 * system's fonts at once: a script that measures text while the page loads (lines split, text fitted)
 * then measures it in the faces Linux draws. The faces of `plan` in a style of `styles`, at a weight
 * of `weights` (a variable file: any), covering a character of `text` (the document's non-ASCII
 * characters) or, but for the fallback units, the ASCII letters; never the emoji face.
 */
export function primedFaces(
  plan: WebFontPlan,
  text: ReadonlySet<number>,
  weights: ReadonlySet<number>,
  styles: ReadonlySet<string>,
): string[] {
  const urls = new Set<string>();
  for (const face of plan.faces) {
    if (!styles.has(face.style)) continue;
    const [min, max = min] = face.weight.split(' ').map(Number);
    if (![...weights].some((w) => w >= min! && w <= max!)) continue;
    // The emoji face's files are megabytes each: loaded as the page draws them, not before.
    if (face.family === EMOJI_FAMILY) continue;
    if ([...text].some((cp) => covers(face.ranges, cp)) || (!face.fallback && covers(face.ranges, 0x61))) urls.add(face.url);
  }
  return [...urls];
}
