/**
 * Families framesmith does not bundle, fetched from Google Fonts as HyperFrames 0.8.170 fetches them
 * at render time (link or no link): one css2 request per family,
 * `<base>?family=<name>:ital,wght@0,100;0,200;…;0,900;1,400;1,700` with a desktop Chrome User-Agent
 * (so Google answers WOFF2 split by `unicode-range`), every `@font-face` of the answer declared again
 * for the page with `font-display: block`, after every stylesheet of the document. A family the page
 * links a Google Fonts stylesheet for (`<link>`, `@import`) is asked with that stylesheet's URL
 * instead (its weights), and with the request above when that yields no face.
 *
 * One difference, for the cache: HyperFrames adds the page's characters (`&text=…`), so its answer
 * holds only those glyphs and changes with every edit of the text. framesmith asks for the whole
 * family and downloads the files whose `unicode-range` holds a character the document may draw (ASCII
 * always): the same faces, and a later render of edited text still works offline.
 *
 * The stylesheet and the font files go through the remote cache (src/cache/remote.ts) and are used as
 * stored afterwards, without revalidation: the second render needs no network. The endpoint is
 * `FRAMESMITH_GOOGLE_FONTS_URL` when set (a mirror, or a test server), else Google's.
 */
import { readFile } from 'node:fs/promises';
import postcss from 'postcss';
import type { ServedAsset } from '../composition/model.js';
import { FramesmithError } from '../errors.js';
import { normalizeFamily } from './catalog.js';
import { splitFamilies } from './catalog.js';

/** The environment variable naming another css2 endpoint. */
export const GOOGLE_FONTS_ENV = 'FRAMESMITH_GOOGLE_FONTS_URL';
/** Google's css2 endpoint. */
export const GOOGLE_FONTS_CSS2 = 'https://fonts.googleapis.com/css2';
/** The User-Agent HyperFrames sends: Google answers it with WOFF2 files split by unicode-range. */
export const GOOGLE_FONTS_USER_AGENT =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
/** The styles HyperFrames asks for: every weight upright, 400 and 700 italic. */
const AXES = 'ital,wght@0,100;0,200;0,300;0,400;0,500;0,600;0,700;0,800;0,900;1,400;1,700';

/** The css2 endpoint: `FRAMESMITH_GOOGLE_FONTS_URL`, else Google's. */
export function googleFontsBase(env: NodeJS.ProcessEnv = process.env): string {
  return env[GOOGLE_FONTS_ENV]?.trim() || GOOGLE_FONTS_CSS2;
}

/** The css2 request for `family` (see the module comment). */
export function googleFamilyUrl(family: string, base = googleFontsBase()): string {
  return `${base}${base.includes('?') ? '&' : '?'}family=${encodeURIComponent(family)}:${AXES}`;
}

/** One `@font-face` of a css2 answer. */
export interface GoogleFace {
  style: string;
  weight: string;
  /** The font file, absolute. */
  url: string;
  /** Its `format()` hint, when given. */
  format?: string;
  unicodeRange?: string;
}

/** The faces of `family` in a css2 answer fetched from `cssUrl` (faces of other families are left out). */
export function parseGoogleCss(css: string, family: string, cssUrl: string): GoogleFace[] {
  const faces: GoogleFace[] = [];
  let root: postcss.Root;
  try {
    root = postcss.parse(css);
  } catch {
    return faces;
  }
  root.walkAtRules(/^font-face$/i, (rule) => {
    const decls = new Map<string, string>();
    rule.walkDecls((d) => {
      decls.set(d.prop.toLowerCase(), d.value.trim());
    });
    const named = decls.get('font-family');
    if (named && normalizeFamily(splitFamilies(named)[0] ?? '') !== normalizeFamily(family)) return;
    const src = /url\(\s*(['"]?)([^'")]+)\1\s*\)(?:\s*format\(\s*['"]?([\w-]+)['"]?\s*\))?/i.exec(decls.get('src') ?? '');
    if (!src) return;
    let url: string;
    try {
      url = new URL(src[2]!, cssUrl).href;
    } catch {
      return;
    }
    faces.push({
      style: decls.get('font-style') ?? 'normal',
      weight: decls.get('font-weight') ?? '400',
      url,
      ...(src[3] ? { format: src[3] } : {}),
      ...(decls.get('unicode-range') ? { unicodeRange: decls.get('unicode-range') } : {}),
    });
  });
  return faces;
}

/** Whether a CSS `unicode-range` (`U+0000-00FF, U+0131, U+4??`) holds one of `codePoints`. */
export function rangeHoldsAny(unicodeRange: string, codePoints: ReadonlySet<number>): boolean {
  const ranges = unicodeRange.split(',').flatMap((part) => {
    const m = /^\s*u\+([0-9a-f?]{1,6})(?:-([0-9a-f]{1,6}))?\s*$/i.exec(part);
    if (!m) return [];
    const lo = Number.parseInt(m[1]!.replace(/\?/g, '0'), 16);
    const hi = m[2] ? Number.parseInt(m[2], 16) : Number.parseInt(m[1]!.replace(/\?/g, 'f'), 16);
    return [[lo, hi] as const];
  });
  for (const cp of codePoints) if (ranges.some(([lo, hi]) => cp >= lo && cp <= hi)) return true;
  return false;
}

/** Downloads a URL through the render's remote cache (RemoteMedia.fetch); its error says why it failed. */
export type GoogleFetch = (url: string, how: { userAgent: string; trustStored: boolean; timeoutMs: number }) => Promise<string>;

/** A family fetched from Google Fonts: the faces to declare for it and the files to serve. */
export interface GoogleFamilyFaces {
  ok: true;
  /** `@font-face` rules for the page, their sources on the project server. */
  css: string;
  /** What the project server must answer for them. */
  assets: ServedAsset[];
  /** How many faces were declared. */
  faces: number;
}

/** A family Google Fonts did not provide; the render warns with `reason` and falls back. */
export interface GoogleFamilyMissing {
  ok: false;
  /** Why, for the warning. */
  reason: string;
  /** Google Fonts answered, without the family (an HTTP error, no face): the network would not help. */
  unknown: boolean;
}

/** A Google Fonts stylesheet URL a page names, asked of the configured endpoint (a css2 URL goes to `base`). */
export function endpointUrl(url: string, base = googleFontsBase()): string {
  const parsed = new URL(url.startsWith('//') ? `https:${url}` : url);
  if (base === GOOGLE_FONTS_CSS2 || parsed.pathname !== '/css2') return parsed.href;
  return `${base}${base.includes('?') ? '&' : '?'}${parsed.search.slice(1)}`;
}

/**
 * `family` from Google Fonts: the faces of the stylesheets the page links for it (`authored`, as
 * HyperFrames asks them), else of the css2 request above; those whose unicode-range holds one of
 * `codePoints` (those without a range always), declared for `family` as written, each file served
 * under `route(url)`; or why not.
 */
export async function fetchGoogleFamily(
  family: string,
  codePoints: ReadonlySet<number>,
  fetch: GoogleFetch,
  route: (url: string) => string,
  options: { authored?: readonly string[]; base?: string } = {},
): Promise<GoogleFamilyFaces | GoogleFamilyMissing> {
  const base = options.base ?? googleFontsBase();
  // A silent network (a firewall dropping packets) must not hold the render for the usual minute.
  const how = { userAgent: GOOGLE_FONTS_USER_AGENT, trustStored: true, timeoutMs: 15_000 };
  const why = (error: unknown) => (error instanceof Error ? error.message : String(error));
  const facesAt = async (cssUrl: string): Promise<GoogleFace[] | GoogleFamilyMissing> => {
    try {
      const faces = parseGoogleCss(await readFile(await fetch(cssUrl, how), 'utf8'), family, cssUrl);
      return faces.length > 0 ? faces : { ok: false, unknown: true, reason: `${cssUrl} declares no face of "${family}"` };
    } catch (error) {
      const answered = error instanceof FramesmithError && error.code === 'http_status';
      return { ok: false, unknown: answered, reason: answered ? `no such family (${why(error)})` : `not downloaded: ${why(error)}` };
    }
  };
  let found: GoogleFace[] = [];
  for (const url of options.authored ?? []) {
    const got = await facesAt(endpointUrl(url, base));
    if (Array.isArray(got)) found.push(...got);
  }
  if (found.length === 0) {
    const got = await facesAt(googleFamilyUrl(family, base));
    if (!Array.isArray(got)) return got;
    found = got;
  }
  const seen = new Set<string>();
  const faces = found.filter((f) => {
    const key = `${f.url}\0${f.style}\0${f.weight}\0${f.unicodeRange ?? ''}`;
    if (seen.has(key) || (f.unicodeRange && !rangeHoldsAny(f.unicodeRange, codePoints))) return false;
    seen.add(key);
    return true;
  });
  if (faces.length === 0) return { ok: false, unknown: true, reason: `no face of "${family}" holds a character of the composition` };
  const assets = new Map<string, ServedAsset>();
  const rules: string[] = [];
  let failure: unknown;
  for (const face of faces) {
    let file: string;
    try {
      file = await fetch(face.url, how);
    } catch (error) {
      failure = error;
      continue;
    }
    const path = route(face.url);
    assets.set(path, { path, file });
    const declarations = [
      `font-family:"${family.replace(/["\\]/g, '\\$&')}"`,
      `src:url("${path}")${face.format ? ` format("${face.format}")` : ''}`,
      `font-style:${face.style}`,
      `font-weight:${face.weight}`,
      'font-display:block',
      ...(face.unicodeRange ? [`unicode-range:${face.unicodeRange}`] : []),
    ];
    rules.push(`@font-face{${declarations.join(';')}}`);
  }
  if (rules.length === 0) return { ok: false, unknown: false, reason: `font files not downloaded: ${why(failure)}` };
  return { ok: true, css: rules.join('\n'), assets: [...assets.values()], faces: rules.length };
}
