/**
 * The composition's fonts, resolved before the browser starts (the faces themselves: src/fonts/).
 *
 * - Google Fonts (`<link href="https://fonts.googleapis.com/css…">`, `@import url(…)` of it) whose
 *   families are all bundled are dropped: those families are drawn from the bundled faces, offline.
 *   A link naming a family framesmith does not bundle is left to remote-assets.ts, which downloads it
 *   through the remote cache like any stylesheet.
 * - A font-family whose first family is generic gets Inter put first, and text renders with
 *   `text-rendering: geometricPrecision`, as HyperFrames does (src/fonts/generic.ts: what the generic
 *   families draw otherwise).
 * - Every family the CSS (style blocks, style attributes, the project's own stylesheets, downloaded
 *   ones) and the scripts ask for is resolved (src/fonts/usage.ts): the bundled faces to install, and
 *   a warning for each family nothing provides, naming it and the face drawn instead.
 * - Every character the document may draw (src/fonts/text.ts) that those faces do not cover adds the
 *   fallback subset that does (src/fonts/fallback.ts), so no script is drawn as empty boxes.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { HTMLElement } from 'node-html-parser';
import { resolveFamily } from '../fonts/catalog.js';
import { fallbackUnits } from '../fonts/fallback.js';
import { fontDir } from '../fonts/fontconfig.js';
import { preferDefaultForGenericPrimary } from '../fonts/generic.js';
import { nonAsciiCodePoints } from '../fonts/text.js';
import { familiesToInstall, scanFonts, unresolvedFamilies } from '../fonts/usage.js';
import type { RenderWarning } from '../warnings.js';

const GOOGLE_CSS = /^(?:https?:)?\/\/fonts\.googleapis\.com\/css2?\?/i;
const GOOGLE_HOSTS = /^(?:https?:)?\/\/fonts\.(?:googleapis|gstatic)\.com\//i;
const GOOGLE_IMPORT = /@import\s+(?:url\(\s*(['"]?)([^'")]+)\1\s*\)|(['"])([^'"]+)\3)[^;]*;/gi;

/** The families a Google Fonts CSS URL asks for (css2 `family=Name:wght@…`, css `family=A:400|B`). */
export function googleFamilies(url: string): string[] {
  const query = new URL(url.startsWith('//') ? `https:${url}` : url).searchParams;
  return query.getAll('family').flatMap((value) => value.split('|')).map((f) => f.split(':')[0]!.replace(/\+/g, ' ').trim()).filter(Boolean);
}

const allBundled = (url: string) => {
  const families = googleFamilies(url);
  return families.length > 0 && families.every((f) => resolveFamily(f).kind === 'bundled');
};

/** Drops Google Fonts references whose families are all bundled (before remote assets are fetched). */
export function dropBundledGoogleFonts(document: HTMLElement): void {
  for (const link of document.querySelectorAll('link[href]')) {
    const href = link.getAttribute('href')!.trim();
    if (GOOGLE_CSS.test(href) ? allBundled(href) : GOOGLE_HOSTS.test(href) && /preconnect|dns-prefetch/i.test(link.getAttribute('rel') ?? '')) link.remove();
  }
  for (const style of document.querySelectorAll('style')) {
    const text = style.innerHTML;
    if (!/fonts\.googleapis\.com/i.test(text)) continue;
    style.set_content(text.replace(GOOGLE_IMPORT, (whole, _q, a?: string, _q2?: string, b?: string) => {
      const url = a ?? b ?? '';
      return GOOGLE_CSS.test(url) && allBundled(url) ? '' : whole;
    }));
  }
}

/**
 * The bundled families `document` needs, then the fallback units its text needs, warning (through
 * `warn`) about families nothing provides. `extraCss` are stylesheets the document loads that are not
 * in it (downloaded ones); `extraText`, other text it may draw (its variables' values).
 */
export function resolveFonts(document: HTMLElement, rootDir: string, extraCss: readonly string[], warn: (w: RenderWarning) => void, extraText: readonly string[] = []): string[] {
  // Inter in front of a generic first family, as HyperFrames does (src/fonts/generic.ts), before reading.
  preferDefaultForGenericPrimary(document);
  geometricTextRendering(document);
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
  const usage = scanFonts(css, scripts);
  for (const { family, used } of unresolvedFamilies(usage)) {
    warn({ code: 'font_fallback', message: `font family "${family}" is not bundled and no @font-face declares it: drawn in ${used} instead; add its files with @font-face, or use a bundled family (see the README's font list)` });
  }
  const families = familiesToInstall(usage);
  const text = nonAsciiCodePoints([document.toString(), ...css, ...scripts, ...extraText]);
  if (text.size === 0) return families;
  const lang = document.querySelector('html')?.getAttribute('lang');
  return [...families, ...fallbackUnits(text, families, lang, fontDir()).units];
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
  const bare = ref.trim().replace(/[?#].*$/, '');
  if (!bare || /^([a-z][a-z0-9+.-]*:|\/\/)/i.test(bare)) return null;
  let decoded = bare;
  try {
    decoded = decodeURIComponent(bare);
  } catch {
    // as written
  }
  const file = path.resolve(rootDir, decoded.replace(/^\/+/, ''));
  return file.startsWith(rootDir + path.sep) ? file : null;
}

function readQuietly(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
