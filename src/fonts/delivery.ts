/**
 * How a render gives the browser framesmith's faces:
 * - `fontconfig` (Linux): a fontconfig file of our own (fontconfig.ts), which Chromium reads on Linux
 *   only; the page is served as it is;
 * - `web` (every other system): the faces as web fonts (web-fonts.ts) served by the project server and
 *   the page's font lists rewritten to name them (web-stacks.ts), so macOS's Core Text and Windows'
 *   DirectWrite choose nothing framesmith decided on. On Linux the browser then gets a fontconfig file
 *   with the machine's fonts only (`prepareMachineFonts`), as a browser elsewhere has its system's.
 *
 * `FRAMESMITH_FONT_DELIVERY=web` or `=fontconfig` forces one (`web` on Linux shows what a Mac draws;
 * `fontconfig` elsewhere gives the browser the file it ignores there).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'node-html-parser';
import { FramesmithError } from '../errors.js';
import { installCutFaces, prepareFonts, prepareMachineFonts } from './fontconfig.js';
import { webFontPlan } from './web-fonts.js';
import { webDocument, webStylesheet } from './web-stacks.js';

/** The two ways of giving the browser its faces (see the module comment). */
export type FontDelivery = 'fontconfig' | 'web';

/**
 * The delivery on `platform`: `FRAMESMITH_FONT_DELIVERY` when set (`web` or `fontconfig`; anything else
 * throws `invalid_option`), else `fontconfig` on Linux and `web` elsewhere.
 */
export function fontDelivery(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): FontDelivery {
  const forced = env.FRAMESMITH_FONT_DELIVERY?.trim().toLowerCase();
  if (forced === 'web' || forced === 'fontconfig') return forced;
  if (forced) {
    throw new FramesmithError(
      'invalid_option',
      `FRAMESMITH_FONT_DELIVERY must be "web" or "fontconfig" (got "${env.FRAMESMITH_FONT_DELIVERY}"); unset it to use fontconfig on Linux and web fonts elsewhere`,
      {},
    );
  }
  return platform === 'linux' ? 'fontconfig' : 'web';
}

/** What deliverFonts serves through (the project server's methods it uses). */
export interface FontServer {
  mount(prefix: string, dir: string): void;
  serveText(file: string, text: string, contentType?: string): void;
}

/** The page deliverFonts sets fonts up for. */
export interface FontPage {
  /** The directory served at the origin's root. */
  rootDir: string;
  /** The HTML file rendered (absolute), answered with `html`. */
  entryFile: string;
  html: string;
}

/**
 * Sets `fonts` (bundled families, fallback units, `aliased:` names: what prepareFonts takes) up for
 * `page` and returns the fontconfig file to give the browser. Under the `web` delivery it also mounts
 * the font packages on `server`, serves `page.entryFile` rewritten (`webDocument`) and each stylesheet
 * the page links from the project, rewritten (`webStylesheet`); called again with more fonts, it serves
 * them afresh.
 */
export async function deliverFonts(
  server: FontServer,
  page: FontPage,
  fonts: readonly string[],
  delivery = fontDelivery(),
): Promise<string> {
  if (delivery === 'fontconfig') return (await prepareFonts(fonts)).configFile;
  const document = parse(page.html, { comment: false, blockTextElements: { script: true, noscript: true, style: true, pre: true } });
  // The generic families' cut faces are made on disk first: the plan only names them.
  const plan = webFontPlan(fonts, document.querySelector('html')?.getAttribute('lang'), await installCutFaces());
  for (const m of plan.mounts) server.mount(m.prefix, m.dir);
  server.serveText(page.entryFile, webDocument(page.html, plan), 'text/html; charset=utf-8');
  for (const link of document.querySelectorAll('link[rel~="stylesheet"][href]')) {
    const file = projectFileOf(link.getAttribute('href')!, path.resolve(page.rootDir), path.dirname(page.entryFile));
    if (file && existsSync(file)) server.serveText(file, webStylesheet(readFileSync(file, 'utf8'), plan), 'text/css; charset=utf-8');
  }
  return prepareMachineFonts();
}

/**
 * The file inside `rootDir` a URL reference names — relative to `baseDir`, or to `rootDir` when it
 * starts with `/`; query and fragment dropped, percent-decoding applied — or null for a URL with a
 * scheme or host, or a path outside `rootDir`. The file need not exist.
 */
export function projectFileOf(ref: string, rootDir: string, baseDir: string): string | null {
  const bare = ref.trim().replace(/[?#].*$/, '');
  if (!bare || /^([a-z][a-z0-9+.-]*:|\/\/)/i.test(bare)) return null;
  let decoded = bare;
  try {
    decoded = decodeURIComponent(bare);
  } catch {
    // as written
  }
  const file = decoded.startsWith('/') ? path.join(rootDir, decoded) : path.resolve(baseDir, decoded);
  return file.startsWith(rootDir + path.sep) ? file : null;
}
