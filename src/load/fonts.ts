/**
 * The composition's fonts, resolved before the browser starts (the faces themselves: src/fonts/).
 *
 * - Google Fonts (`<link href="https://fonts.googleapis.com/css…">`, `@import url(…)` of it) whose
 *   families are all bundled are dropped: those families are drawn from the bundled faces, offline.
 *   When the render downloads (a remote cache), the other Google Fonts references are taken out too,
 *   and their families fetched as every family nothing provides is (below), with the URL they wrote.
 * - A font-family whose first family is generic gets Inter put first, and text renders with
 *   `text-rendering: geometricPrecision`, as HyperFrames does (src/fonts/generic.ts: what the generic
 *   families draw otherwise).
 * - Every family the CSS (style blocks, style attributes, the project's own stylesheets, downloaded
 *   ones) and the scripts ask for is resolved (src/fonts/usage.ts): the bundled faces to install; a
 *   family nothing else provides is fetched from Google Fonts through the remote cache, as HyperFrames
 *   fetches it (src/fonts/google.ts); a warning for each family still unprovided, naming it and the
 *   face drawn instead. What each family resolved to is reported (src/fonts/report.ts).
 * - Every character the document may draw (src/fonts/text.ts) that those faces do not cover adds the
 *   fallback subset that does (src/fonts/fallback.ts), so no script is drawn as empty boxes.
 * - What the machine's fonts may still draw under this machine's font delivery (src/fonts/delivery.ts)
 *   is a warning (src/fonts/platform.ts). The delivery itself happens when the page is served.
 */
import { readFileSync } from 'node:fs';
import type { HTMLElement } from 'node-html-parser';
import { normalizeFamily, resolveFamily } from '../fonts/catalog.js';
import { fallbackUnits } from '../fonts/fallback.js';
import { ALIASED_PREFIX, DECLARED_PREFIX, fontDir } from '../fonts/fontconfig.js';
import { preferDefaultForGenericPrimary } from '../fonts/generic.js';
import { nonAsciiCodePoints } from '../fonts/text.js';
import { fetchGoogleFamily, type GoogleFamilyMissing, type GoogleFetch } from '../fonts/google.js';
import { fontDelivery, projectFileOf } from '../fonts/delivery.js';
import { platformFontsWarning, unprovidedNote } from '../fonts/platform.js';
import { fontReport } from '../fonts/report.js';
import type { ResolvedFont } from '../fonts/resolved-font.js';
import { aliasedNames, familiesToInstall, isSystemName, scanFonts, unresolvedFamilies, type FontUsage } from '../fonts/usage.js';
import type { ServedAsset } from '../composition/model.js';
import type { RenderWarning } from '../warnings.js';
import { remoteRoute } from './remote-assets.js';

const GOOGLE_CSS = /^(?:https?:)?\/\/fonts\.googleapis\.com\/css2?\?/i;
const GOOGLE_HOSTS = /^(?:https?:)?\/\/fonts\.(?:googleapis|gstatic)\.com\//i;
const GOOGLE_IMPORT = /@import\s+(?:url\(\s*(['"]?)([^'")]+)\1\s*\)|(['"])([^'"]+)\3)[^;]*;/gi;

/** The families a Google Fonts CSS URL asks for (css2 `family=Name:wght@…`, css `family=A:400|B`). */
export function googleFamilies(url: string): string[] {
  const query = new URL(url.startsWith('//') ? `https:${url}` : url).searchParams;
  return query
    .getAll('family')
    .flatMap((value) => value.split('|'))
    .map((f) => f.split(':')[0]!.replace(/\+/g, ' ').trim())
    .filter(Boolean);
}

const allBundled = (url: string) => {
  const families = googleFamilies(url);
  return families.length > 0 && families.every((f) => resolveFamily(f).kind === 'bundled');
};

/** Drops Google Fonts references whose families are all bundled (before remote assets are fetched). */
export function dropBundledGoogleFonts(document: HTMLElement): void {
  for (const link of document.querySelectorAll('link[href]')) {
    const href = link.getAttribute('href')!.trim();
    if (
      GOOGLE_CSS.test(href) ? allBundled(href) : GOOGLE_HOSTS.test(href) && /preconnect|dns-prefetch/i.test(link.getAttribute('rel') ?? '')
    )
      link.remove();
  }
  dropGoogleImports(document, allBundled);
}

/**
 * Removes from the `<style>` blocks of `document` every `@import` of a Google Fonts stylesheet whose URL
 * `take` accepts (it may record the URL); other imports stay as written.
 */
function dropGoogleImports(document: HTMLElement, take: (url: string) => boolean): void {
  for (const style of document.querySelectorAll('style')) {
    const text = style.innerHTML;
    if (!/fonts\.googleapis\.com/i.test(text)) continue;
    style.set_content(
      text.replace(GOOGLE_IMPORT, (whole, _q, a?: string, _q2?: string, b?: string) => {
        const url = a ?? b ?? '';
        return GOOGLE_CSS.test(url) && take(url) ? '' : whole;
      }),
    );
  }
}

/**
 * Takes the Google Fonts stylesheets left in `document` (links and `@import`s of families not all
 * bundled) out of it, returning their URLs by the normalized family they ask for: resolveFonts fetches
 * them as HyperFrames does (src/fonts/google.ts), before remote-assets.ts would download them as plain
 * stylesheets.
 */
export function takeGoogleFontLinks(document: HTMLElement): Map<string, { family: string; urls: string[] }> {
  const found = new Map<string, { family: string; urls: string[] }>();
  const record = (url: string) => {
    for (const family of googleFamilies(url)) {
      const key = normalizeFamily(family);
      const entry = found.get(key) ?? { family, urls: [] };
      if (!entry.urls.includes(url)) entry.urls.push(url);
      found.set(key, entry);
    }
  };
  for (const link of document.querySelectorAll('link[href]')) {
    const href = link.getAttribute('href')!.trim();
    if (!GOOGLE_CSS.test(href) || !/\bstylesheet\b/i.test(link.getAttribute('rel') ?? '')) continue;
    record(href);
    link.remove();
  }
  dropGoogleImports(document, (url) => {
    record(url);
    return true;
  });
  return found;
}

/** How resolveFonts reaches Google Fonts: the download, and the stylesheets the page linked (takeGoogleFontLinks). */
export interface GoogleFontsAccess {
  fetch: GoogleFetch;
  authored: ReadonlyMap<string, { family: string; urls: string[] }>;
}

/** The fonts of a document (resolveFonts). */
export interface FontResolution {
  /** The bundled families to install, then the fallback units its text needs. */
  families: string[];
  /** Every family → face, and the fallback faces (src/fonts/report.ts). */
  report: ResolvedFont[];
  /** Font files fetched from Google Fonts, for the project server. */
  assets: ServedAsset[];
}

/**
 * The bundled families `document` needs, then the fallback units its text needs, warning (through
 * `warn`) about families nothing provides. `extraCss` are stylesheets the document loads that are not
 * in it (downloaded ones); `extraText`, other text it may draw (its variables' values). With `google`,
 * every family nothing else provides is first fetched from Google Fonts (src/fonts/google.ts) and
 * declared in a `<style>` after every stylesheet of `document`.
 */
export async function resolveFonts(
  document: HTMLElement,
  rootDir: string,
  extraCss: readonly string[],
  warn: (w: RenderWarning) => void,
  extraText: readonly string[] = [],
  google?: GoogleFontsAccess,
): Promise<FontResolution> {
  // Inter in front of a generic first family, as HyperFrames does (src/fonts/generic.ts), before reading.
  preferDefaultForGenericPrimary(document);
  geometricTextRendering(document);
  const { css, scripts } = documentSources(document, rootDir, extraCss);
  const usage = scanFonts(css, scripts);
  const text = nonAsciiCodePoints([document.toString(), ...css, ...scripts, ...extraText]);
  const fetched: GoogleResult = google
    ? await addGoogleFamilies(document, usage, text, google)
    : { assets: [], families: new Set(), failures: new Map() };
  for (const key of fetched.families) usage.declared.add(key);
  // Under web delivery a family nothing provides reaches the system's lookup (src/fonts/platform.ts).
  const delivery = fontDelivery();
  const machineNote = unprovidedNote(delivery);
  for (const { family, used } of unresolvedFamilies(usage)) {
    const google = fetched.failures.get(normalizeFamily(family));
    const fix =
      google && !google.unknown
        ? `render once with the network (Google Fonts is then cached), vendor it with \`framesmith fonts add "${family}"\`, or add its files with @font-face`
        : "add its files with @font-face, or use a bundled family (see the README's font list)";
    warn({
      code: 'font_fallback',
      font: { family, face: used, source: 'fallback' },
      message: `font family "${family}" is not bundled and no @font-face declares it: drawn in ${used} instead${google ? ` (Google Fonts: ${google.reason})` : ''}; ${fix}${machineNote}`,
    });
  }
  const families = familiesToInstall(usage);
  // Faces the browser cannot be given here (src/fonts/delivery.ts).
  const machine = platformFontsWarning(delivery, process.platform, families);
  if (machine) warn(machine);
  const units = text.size === 0 ? [] : fallbackUnits(text, families, document.querySelector('html')?.getAttribute('lang'), fontDir()).units;
  // HyperFrames' stand-in only for the system names a font-family declaration names (fontconfig.ts).
  const aliased = aliasedNames(usage).map((key) => `${ALIASED_PREFIX}${key}`);
  const declared = [...usage.declared].filter(isSystemName).map((key) => `${DECLARED_PREFIX}${key}`);
  return {
    families: [...families, ...units, ...aliased, ...declared],
    report: fontReport(usage, fetched.families, units),
    assets: fetched.assets,
  };
}

/** The CSS and scripts of `document` (its own, its local files and `extraCss`), for the font scan. */
function documentSources(document: HTMLElement, rootDir: string, extraCss: readonly string[]): { css: string[]; scripts: string[] } {
  const css: string[] = [...extraCss];
  const scripts: string[] = [];
  for (const style of document.querySelectorAll('style')) css.push(style.innerHTML);
  for (const el of document.querySelectorAll('[style]')) css.push(`x{${el.getAttribute('style')}}`);
  for (const link of document.querySelectorAll('link[rel~="stylesheet"][href]')) {
    const local = localFile(link.getAttribute('href')!, rootDir);
    if (local) css.push(readQuietly(local));
  }
  for (const script of document.querySelectorAll('script')) {
    const src = script.getAttribute('src');
    if (src === undefined) scripts.push(script.innerHTML);
    else {
      const local = localFile(src, rootDir);
      if (local && !/node_modules|gsap/i.test(local)) scripts.push(readQuietly(local));
    }
  }
  return { css, scripts };
}

interface GoogleResult {
  assets: ServedAsset[];
  /** The families fetched (normalized). */
  families: Set<string>;
  /** Why the others were not (by normalized family). */
  failures: Map<string, GoogleFamilyMissing>;
}

/** ASCII's printable characters: every document may draw them. */
const ASCII = Array.from({ length: 0x7f - 0x20 }, (_, i) => 0x20 + i);

/**
 * Every family `usage` names or the page linked that nothing provides (not bundled, an alias, generic
 * or declared), fetched from Google Fonts with the faces `text` (and ASCII) needs, declared in a `<style>` placed
 * after every stylesheet of `document` as HyperFrames places its own. Returns the files to serve, the
 * families fetched (normalized) and, for the others, why not.
 */
async function addGoogleFamilies(
  document: HTMLElement,
  usage: FontUsage,
  text: ReadonlySet<number>,
  google: GoogleFontsAccess,
): Promise<GoogleResult> {
  // The families the page links, named in its CSS or not (a canvas may draw them), and those it names.
  const wanted = new Map<string, string>();
  for (const [key, { family }] of google.authored)
    if (!usage.declared.has(key) && resolveFamily(family).kind === 'unknown') wanted.set(key, family);
  for (const name of usage.lists.flat()) {
    const family = name
      .trim()
      .replace(/^(['"])(.*)\1$/, '$2')
      .trim();
    const key = normalizeFamily(family);
    if (key && !usage.declared.has(key) && !wanted.has(key) && resolveFamily(family).kind === 'unknown') wanted.set(key, family);
  }
  const result: GoogleResult = { assets: [], families: new Set(), failures: new Map() };
  if (wanted.size === 0) return result;
  const codePoints = new Set([...ASCII, ...text]);
  const rules: string[] = [];
  await Promise.all(
    [...wanted].map(async ([key, family]) => {
      const faces = await fetchGoogleFamily(family, codePoints, google.fetch, remoteRoute, { authored: google.authored.get(key)?.urls });
      if (!faces.ok) return result.failures.set(key, faces);
      result.assets.push(...faces.assets);
      result.families.add(key);
      rules.push(faces.css);
    }),
  );
  if (rules.length === 0) return result;
  const style = `<style data-framesmith-google-fonts>\n${rules.sort().join('\n')}\n</style>`;
  const sheets = document.querySelectorAll('style, link[rel~="stylesheet"]');
  const last = sheets[sheets.length - 1];
  if (last) last.insertAdjacentHTML('afterend', style);
  else (document.querySelector('head') ?? document).insertAdjacentHTML('beforeend', style);
  return result;
}

/**
 * HyperFrames puts `html,body,*{text-rendering:geometricPrecision}` first in every document's head (no
 * selector is weaker, so any rule of the page overrides it): glyph metrics are not rounded to whole
 * pixels, which moves lines of a face by a pixel against the default. Done the same here, so text sits
 * where HyperFrames draws it.
 */
export function geometricTextRendering(document: HTMLElement): void {
  const head = document.querySelector('head');
  if (!head || head.querySelector('style[data-framesmith-text-rendering]')) return;
  head.insertAdjacentHTML('afterbegin', '<style data-framesmith-text-rendering>html,body,*{text-rendering:geometricPrecision}</style>');
}

function localFile(ref: string, rootDir: string): string | null {
  return projectFileOf(ref, rootDir, rootDir);
}

function readQuietly(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
