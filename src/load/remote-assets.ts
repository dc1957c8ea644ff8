/**
 * Remote scripts, stylesheets, images and CSS `url()`s of a composition, fetched by the render rather
 * than the page: the page reaches nothing but the project server (src/browser/launch.ts), so every
 * http(s) asset the document names is downloaded once through the remote cache (same https and
 * public-host policy and revalidation as remote media) and served from the project server under
 * `/__framesmith/remote/`; the document is rewritten to those paths. A second render is offline.
 *
 * - `<script src>`: GSAP from a CDN (jsDelivr, unpkg, cdnjs: `…gsap@3.x…/dist/<file>`) is served from
 *   the bundled `gsap` instead, when the major version matches and the bundled package has the file
 *   (plugins included); anything else is downloaded. A script that cannot be fetched fails the load,
 *   naming the element and the URL: the composition's code would not run.
 * - `<link rel="stylesheet">` and `@import url(…)`: downloaded, and their own `url()`s and `@import`s
 *   resolved against the stylesheet's URL and fetched in turn (three levels deep).
 * - `<img src>`, `url(…)` in `<style>` and `style` attributes (fonts in `@font-face` included).
 *
 * A stylesheet, image or font that cannot be fetched is a warning (best effort, the frame is drawn
 * without it) and its reference is emptied, so the page does not ask for it again. Media
 * (`<video>`, `<audio>`) is not handled here: the media stages download it themselves.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { HTMLElement } from 'node-html-parser';
import { CompositionError } from '../composition/errors.js';
import { labelOf } from '../composition/dom.js';
import type { ServedAsset } from '../composition/model.js';
import type { RenderWarning } from '../warnings.js';
import type { RemoteFetchHow } from './remote-media.js';

/** How `localizeRemoteAssets` treats the document's remote URLs: downloads, failure hints, the bundled gsap. */
export interface RemoteAssetOptions {
  /** Downloads an http(s) URL (the render's remote cache); its error message says why it failed. */
  fetchRemote?: (url: string, how?: RemoteFetchHow) => Promise<string>;
  /** A hint to add to a download failure (the flag that lifts the host policy). */
  hint?: (error: unknown) => string;
  warn(warning: RenderWarning): void;
  /** The bundled gsap's dist directory and version, and the URL prefix it is served under. */
  gsap?: { dir: string; version: string; urlPrefix: string } | null;
}

const REMOTE_PREFIX = '/__framesmith/remote/';
const REMOTE = /^(https?:)?\/\//i;
const GSAP_CDN =
  /^(?:https?:)?\/\/(?:cdn\.jsdelivr\.net\/npm|unpkg\.com|cdnjs\.cloudflare\.com\/ajax\/libs)\/gsap(?:@|\/)(\d+)(?:\.[\w.-]*)?\/(?:dist\/)?([\w.-]+\.js)(?:[?#].*)?$/i;
const URL_TOKEN = /url\(\s*(['"]?)([^'")]+)\1\s*\)/gi;
const IMPORT = /@import\s+(?:url\(\s*(['"]?)([^'")]+)\1\s*\)|(['"])([^'"]+)\3)([^;]*);/gi;
const MAX_CSS_DEPTH = 3;

/** The path the project server serves the downloaded copy of the absolute URL `url` under. */
export function remoteRoute(url: string): string {
  return `${REMOTE_PREFIX}${createHash('sha256').update(url).digest('hex').slice(0, 16)}/${encodeURIComponent(decodeURIComponent(path.posix.basename(new URL(url).pathname)) || 'index')}`;
}

/** Rewrites `document`'s remote assets to served copies; returns what the server must answer. */
export async function localizeRemoteAssets(document: HTMLElement, file: string, options: RemoteAssetOptions): Promise<ServedAsset[]> {
  const served = new Map<string, ServedAsset>();
  const downloads = new Map<string, Promise<string>>();
  const fetchOnce = (url: string) => {
    if (!options.fetchRemote) return Promise.reject(new Error('remote assets are not fetched here (no remote cache)'));
    let d = downloads.get(url);
    if (!d) {
      d = options.fetchRemote(url);
      downloads.set(url, d);
    }
    return d;
  };
  const absolute = (url: string) => (url.startsWith('//') ? `https:${url}` : url);
  const routeFor = remoteRoute;
  const why = (error: unknown) => `${error instanceof Error ? error.message : String(error)}${options.hint?.(error) ?? ''}`;

  /** Served path of a fetched binary asset, or null (warned) when it cannot be fetched. */
  const asset = async (url: string, who: string): Promise<string | null> => {
    const abs = absolute(url);
    try {
      const local = await fetchOnce(abs);
      const route = routeFor(abs);
      served.set(route, { path: route, file: local });
      return route;
    } catch (error) {
      options.warn({ code: 'asset_unavailable', url: abs, element: who, message: `${who}: could not download ${abs}: ${why(error)}` });
      return null;
    }
  };

  /** Served path of a fetched stylesheet with its own references localised, or null (warned). */
  const stylesheet = async (url: string, who: string, depth: number): Promise<string | null> => {
    const abs = absolute(url);
    let text: string;
    try {
      text = readFileSync(await fetchOnce(abs), 'utf8');
    } catch (error) {
      options.warn({
        code: 'asset_unavailable',
        url: abs,
        element: who,
        message: `${who}: could not download the stylesheet ${abs}: ${why(error)}`,
      });
      return null;
    }
    const route = `${routeFor(abs).replace(/\.css$/i, '')}.css`;
    served.set(route, { path: route, text: await css(text, abs, who, depth + 1), contentType: 'text/css; charset=utf-8' });
    return route;
  };

  /** CSS text with its remote references (relative ones too, for a remote `base`) localised. */
  const css = async (text: string, base: string | null, who: string, depth: number): Promise<string> => {
    const resolve = (ref: string) => {
      if (/^data:/i.test(ref)) return null;
      if (REMOTE.test(ref)) return absolute(ref);
      return base ? new URL(ref, base).href : null;
    };
    // @import rules are set aside while url()s are rewritten, so their own url() is not fetched twice.
    const imports: string[] = [];
    text = text.replace(IMPORT, (whole) => `\u0000${imports.push(whole) - 1}\u0000`);
    const urls = [...new Set([...text.matchAll(URL_TOKEN)].map((m) => m[2]!.trim()))];
    for (const ref of urls) {
      const abs = resolve(ref);
      if (!abs) continue;
      const route = await asset(abs, who);
      text = text.split(ref).join(route ?? 'data:,');
    }
    const rewritten: string[] = [];
    for (const whole of imports) {
      const m = new RegExp(IMPORT.source, 'i').exec(whole)!;
      const ref = resolve(m[2] ?? m[4] ?? '');
      const route = ref && depth <= MAX_CSS_DEPTH ? await stylesheet(ref, who, depth) : null;
      rewritten.push(ref === null ? whole : route ? `@import url("${route}")${m[5] ?? ''};` : '');
    }
    // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL delimits the placeholders this function itself inserted.
    text = text.replace(/\u0000(\d+)\u0000/g, (_all, i: string) => rewritten[Number(i)]!);
    return text;
  };

  for (const script of document.querySelectorAll('script[src]')) {
    const src = script.getAttribute('src')!.trim();
    if (!REMOTE.test(src)) continue;
    const vendored = bundledGsap(src, options.gsap);
    if (vendored) {
      script.setAttribute('src', vendored);
      continue;
    }
    const abs = absolute(src);
    try {
      const local = await fetchOnce(abs);
      const route = routeFor(abs);
      served.set(route, { path: route, file: local });
      script.setAttribute('src', route);
      script.removeAttribute('integrity');
    } catch (error) {
      throw new CompositionError(
        'remote_asset',
        `${labelOf(script)} in ${file}: could not download the script ${abs}: ${why(error)}; the composition's code needs it — copy it into the project, or fix the URL`,
        { file, element: labelOf(script) },
      );
    }
  }
  for (const link of document.querySelectorAll('link[href]')) {
    const href = link.getAttribute('href')!.trim();
    const rel = (link.getAttribute('rel') ?? '').toLowerCase();
    if (!REMOTE.test(href)) continue;
    if (/\b(preconnect|dns-prefetch|prefetch|preload)\b/.test(rel)) {
      link.remove();
      continue;
    }
    if (!/\bstylesheet\b/.test(rel)) continue;
    const route = await stylesheet(href, labelOf(link), 0);
    link.setAttribute('href', route ?? 'data:text/css,');
    link.removeAttribute('integrity');
  }
  for (const img of document.querySelectorAll('img[src], image[href]')) {
    const attr = img.tagName.toLowerCase() === 'img' ? 'src' : 'href';
    const src = img.getAttribute(attr)!.trim();
    if (!REMOTE.test(src)) continue;
    img.setAttribute(attr, (await asset(src, labelOf(img))) ?? 'data:,');
  }
  for (const style of document.querySelectorAll('style')) {
    const text = style.innerHTML;
    if (/url\(|@import/i.test(text)) style.set_content(await css(text, null, `<style> in ${path.basename(file)}`, 0));
  }
  for (const el of document.querySelectorAll('[style]')) {
    const text = el.getAttribute('style')!;
    if (/url\(/i.test(text)) el.setAttribute('style', await css(text, null, labelOf(el), 0));
  }
  return [...served.values()];
}

/** The bundled copy of a GSAP CDN script, or null (another library, another major, a missing file). */
export function bundledGsap(src: string, gsap: RemoteAssetOptions['gsap']): string | null {
  const m = GSAP_CDN.exec(src.trim());
  if (!m || !gsap) return null;
  if (m[1] !== gsap.version.split('.')[0]) return null;
  return existsSync(path.join(gsap.dir, m[2]!)) ? `${gsap.urlPrefix}${m[2]}` : null;
}
