/**
 * Sub-compositions from files: every host element with `data-composition-src` gets the content of
 * that file, inlined into the entry document before the browser sees it, the way HyperFrames
 * inlines it.
 *
 * Content: the file's first `<template>` (its `<head>` styles and scripts are then ignored), else its
 * `<body>` (head styles and scripts included), else the whole file as a fragment. The content's inner
 * root is the element whose `data-composition-id` equals the host's, else (host without an id) the
 * first composition element; markup outside it is dropped. A host with an id that no element of the
 * file carries takes the content whole, as HyperFrames mounts it: the file's composition elements keep
 * their ids inside it (the file's CSS, scoped to the host, still matches them) and the host is the
 * composition (its box, its scripts' scope, its timeline). Head `<link rel="stylesheet">` and
 * `<link rel="preconnect">` are kept in all cases.
 *
 * Identity: the inner root becomes the host's only child, marked `data-framesmith-inner-root`, with
 * its timing attributes removed (the host's `data-start` / `data-duration` / `data-track-index` time
 * the composition, and times inside are relative to the host). When the host has a
 * `data-composition-id`, the inner root loses its own (one composition element per composition);
 * when it has none, the inner root keeps it and the host is a timed wrapper. A composition id mounted
 * a second time becomes `<id>__2`, `<id>__3`, … so each mount has its own timeline and CSS scope;
 * scripts still write `window.__timelines["<id>"]` (the scoped window maps it).
 *
 * Size: the inner root gets `width`/`height` from its `data-width`/`data-height` in px, else 100%;
 * the host takes the inner root's `data-width`/`data-height` when it has none, and then px sizes
 * unless its own style already sets a width or height.
 *
 * Styles are scoped (css-scope.ts) and appended to the entry's `<head>`, after its own styles.
 * Scripts are appended at the end of `<body>`, after the entry's own, in mount order (hosts in
 * document order, level by level): inline classic scripts run inside
 * `window.__framesmithScope(id, function (document, window, gsap, __hyperframes) {…})`, whose
 * arguments are limited to the composition (src/browser/runtime/scopes.ts); external ones are loaded
 * once per URL (a script the entry already loads is not loaded again); remote ones come first.
 * Non-JavaScript scripts (JSON data, templates) stay inside the composition.
 *
 * Relative URLs inside the file follow urls.ts. `data-composition-src` is relative to the project
 * root, and must stay inside it unless `allowOutside` (src/composition/project-paths.ts). Nesting works
 * up to MAX_SUB_COMPOSITION_DEPTH files deep (src/composition/limits.ts); a file that (directly or
 * not) includes itself is an error naming the chain, as is a missing file or a file without a
 * composition element, naming the host. Malformed variable declarations or `data-variable-values`
 * are warnings through `warn` (ignored, as in HyperFrames), errors without it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { HTMLElement } from 'node-html-parser';
import { CompositionError } from '../composition/errors.js';
import { labelOf, parseHtml } from '../composition/dom.js';
import { MAX_SUB_COMPOSITION_DEPTH } from '../composition/limits.js';
import { checkInsideProject } from '../composition/project-paths.js';
import type { MountedComposition } from '../composition/model.js';
import { scopeCss } from './css-scope.js';
import { subCompositionUrls, URL_ATTRIBUTES } from './urls.js';
import { declaredVariables, parseVariableValues, type VariableDeclaration } from './variables.js';
import type { RenderWarning } from '../warnings.js';

/** A mounted sub-composition, with the variable declarations of its file. */
export interface MountedFile extends MountedComposition {
  /** The file's variable declarations (they count among the composition's, for getVariables()). */
  declarations: VariableDeclaration[];
}

/** What `inlineSubCompositions` inlined: every mounted sub-composition, with its file's declarations. */
export interface InlineResult {
  mounts: MountedFile[];
}

const TIMING_ATTRIBUTES = ['data-start', 'data-duration', 'data-end', 'data-track-index', 'data-track', 'data-composition-src'];
/** Script types the browser executes; others (JSON data, templates) stay inside the composition. */
const EXECUTABLE_SCRIPT = /^(|text\/javascript|application\/javascript|module)$/i;

interface PendingHost {
  host: HTMLElement;
  /** Files the host sits in, outermost first (the entry first). */
  chain: string[];
}

/**
 * Inlines every `data-composition-src` host of `document` (the parsed entry file) in place. Reads the
 * files synchronously: there are few, and they are small.
 */
export function inlineSubCompositions(
  document: HTMLElement,
  entryFile: string,
  rootDir: string,
  allowOutside?: boolean,
  warn?: (warning: RenderWarning) => void,
): InlineResult {
  const mounts: MountedFile[] = [];
  const usedIds = new Set<string>();
  const headParts: string[] = [];
  const linkKeys = new Set<string>();
  const remoteScripts: string[] = [];
  const bodyScripts: string[] = [];
  const loadedScripts = new Set<string>(
    document.querySelectorAll('script[src]').map((s) => normalizeScriptSrc(s.getAttribute('src') ?? '')),
  );
  let level: PendingHost[] = hostsIn(document).map((host) => ({ host, chain: [entryFile] }));

  for (let depth = 0; level.length > 0; depth++) {
    const next: PendingHost[] = [];
    for (const { host, chain } of level) {
      const hostFile = chain.at(-1)!;
      const src = host.getAttribute('data-composition-src')!.trim();
      const file = resolveSource(src, rootDir);
      const where = `${labelOf(host)} in ${path.relative(rootDir, hostFile) || hostFile}`;
      checkInsideProject(file, rootDir, allowOutside, { attr: 'data-composition-src', value: src, element: labelOf(host), hostFile });
      if (chain.includes(file)) {
        const names = [...chain, file].map((f) => path.relative(rootDir, f) || f).join(' → ');
        throw new CompositionError(
          'sub_composition_cycle',
          `${where}: data-composition-src="${src}" includes itself (${names}); remove the reference that closes the loop`,
          { file: hostFile, element: labelOf(host) },
        );
      }
      if (depth >= MAX_SUB_COMPOSITION_DEPTH) {
        throw new CompositionError(
          'limit_exceeded',
          `${where}: data-composition-src="${src}" would mount a sub-composition ${depth + 1} files deep, beyond the limit of ${MAX_SUB_COMPOSITION_DEPTH}: mount fewer levels of files inside files`,
          { file: hostFile, element: labelOf(host) },
        );
      }
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        throw new CompositionError(
          'sub_composition_missing',
          `${where}: data-composition-src="${src}" names ${file}, which does not exist: fix the path (it is relative to the project root ${rootDir}) or add the file`,
          { file: hostFile, element: labelOf(host) },
        );
      }
      const mount = mountFile(host, file, text, rootDir, usedIds, where, warn);
      mounts.push(mount.info);
      for (const link of mount.links) {
        const key = `${link.getAttribute('rel')}|${link.getAttribute('href')}`;
        if (!linkKeys.has(key)) {
          linkKeys.add(key);
          headParts.push(link.toString());
        }
      }
      headParts.push(...mount.styles);
      for (const script of mount.scripts) {
        const source = script.getAttribute('src');
        if (source !== undefined) {
          const key = normalizeScriptSrc(source);
          if (loadedScripts.has(key)) continue;
          loadedScripts.add(key);
          (/^(https?:)?\/\//i.test(source) ? remoteScripts : bodyScripts).push(script.toString());
        } else if (/^module$/i.test((script.getAttribute('type') ?? '').trim())) {
          bodyScripts.push(script.toString()); // a module cannot be wrapped: it runs with the page's globals
        } else {
          bodyScripts.push(wrapScript(script, mount.info, path.relative(rootDir, file)));
        }
      }
      for (const nested of hostsIn(mount.root)) next.push({ host: nested, chain: [...chain, file] });
    }
    level = next;
  }
  if (headParts.length) appendToHead(document, headParts.join('\n'));
  if (remoteScripts.length || bodyScripts.length) appendToBody(document, [...remoteScripts, ...bodyScripts].join('\n'));
  return { mounts };
}

/** Hosts inside `scope`, document order, not inside `<template>`. */
function hostsIn(scope: HTMLElement): HTMLElement[] {
  return scope.querySelectorAll('[data-composition-src]').filter((el) => !insideTemplate(el));
}

function insideTemplate(el: HTMLElement): boolean {
  for (let node = el.parentNode as HTMLElement | null; node; node = node.parentNode as HTMLElement | null) {
    if (node.tagName?.toLowerCase() === 'template') return true;
  }
  return false;
}

function resolveSource(src: string, rootDir: string): string {
  let decoded = src.replace(/[?#].*$/, '');
  try {
    decoded = decodeURIComponent(decoded);
  } catch {
    // keep the raw path
  }
  return path.resolve(rootDir, decoded.replace(/^\/+/, ''));
}

function normalizeScriptSrc(src: string): string {
  const trimmed = src.trim();
  return /^([a-z][a-z0-9+.-]*:|\/\/)/i.test(trimmed) ? trimmed : path.posix.normalize(trimmed.replace(/^\/+/, ''));
}

interface Mount {
  info: MountedFile;
  /** The element now holding the composition's content (the inner root). */
  root: HTMLElement;
  links: HTMLElement[];
  styles: string[];
  scripts: HTMLElement[];
}

function mountFile(
  host: HTMLElement,
  file: string,
  text: string,
  rootDir: string,
  usedIds: Set<string>,
  where: string,
  warn?: (warning: RenderWarning) => void,
): Mount {
  const relativeFile = path.relative(rootDir, file);
  const fileDoc = parseHtml(text, file);
  const template = fileDoc.querySelector('template');
  const head = fileDoc.querySelector('head');
  const body = fileDoc.querySelector('body');
  const content: HTMLElement = template ?? body ?? fileDoc;
  const headExtras = !template && head ? head : null;

  const hostId = host.getAttribute('data-composition-id');
  const candidates = content.querySelectorAll('[data-composition-id]');
  const matched = hostId ? candidates.find((c) => c.getAttribute('data-composition-id') === hostId) : undefined;
  const inner = matched ?? candidates[0];
  // A host whose id no composition element of the file carries takes the file's content whole, as
  // HyperFrames mounts it: the file's composition element keeps its own id inside the host (its CSS,
  // scoped to the host, still matches it), and the host is the composition (scripts, box, timeline).
  const whole = Boolean(hostId) && matched === undefined;
  if (!inner) {
    throw new CompositionError(
      'sub_composition_invalid',
      `${where}: ${relativeFile} has no element with data-composition-id, so there is no composition to mount: mark its root, e.g. <div data-composition-id="intro" data-width="1920" data-height="1080">`,
      { file, element: labelOf(host) },
    );
  }
  const authoredId = inner.getAttribute('data-composition-id') ?? '';
  const id = uniqueId(hostId ?? authoredId, usedIds);
  const rebase = subCompositionUrls(file, rootDir);

  // Styles and executable scripts anywhere in the content (and in <head> without a template) move out.
  const styleEls = [...(headExtras?.querySelectorAll('style') ?? []), ...content.querySelectorAll('style')];
  const scriptEls = [...(headExtras?.querySelectorAll('script') ?? []), ...content.querySelectorAll('script')].filter((s) =>
    EXECUTABLE_SCRIPT.test((s.getAttribute('type') ?? '').trim()),
  );
  const links = (head ?? fileDoc)
    .querySelectorAll('link')
    .filter((l) => /^(stylesheet|preconnect)$/i.test((l.getAttribute('rel') ?? '').trim()));
  const scopeSelector = `[data-composition-id="${id}"]`;
  const box = hostId && !whole ? `${scopeSelector} > [data-framesmith-inner-root]` : scopeSelector;
  const styles = styleEls.map(
    (s) =>
      `<style data-framesmith-composition="${id}">${scopeCss(s.innerHTML, { scope: scopeSelector, box, id, rebaseUrl: rebase })}</style>`,
  );
  for (const el of [...styleEls, ...scriptEls]) el.remove();
  for (const link of links) {
    const rebased = rebase(link.getAttribute('href') ?? '');
    if (rebased !== null) link.setAttribute('href', rebased);
  }
  for (const script of scriptEls) {
    const source = script.getAttribute('src');
    const rebased = source !== undefined ? rebase(source) : null;
    if (rebased !== null) script.setAttribute('src', rebased);
  }

  // The inner root goes into the host, without timing of its own.
  for (const attr of TIMING_ATTRIBUTES) if (attr !== 'data-composition-src') inner.removeAttribute(attr);
  const nodes = whole ? [...content.childNodes] : [inner];
  if (!whole) {
    if (hostId) inner.removeAttribute('data-composition-id');
    else inner.setAttribute('data-composition-id', id);
    inner.setAttribute('data-framesmith-inner-root', '');
    sizeInnerRoot(host, inner);
  }
  for (const node of nodes) if (node.nodeType === 1) rebaseAttributes(node as HTMLElement, rebase);
  host.removeAttribute('data-composition-src');
  host.setAttribute('data-composition-file', relativeFile);
  if (hostId) host.setAttribute('data-composition-id', id);
  host.set_content('');
  for (const node of nodes) host.appendChild(node);

  const declarations = [...declaredVariables(fileDoc.querySelector('html'), file, warn), ...declaredVariables(inner, file, warn)];
  const variables: Record<string, unknown> = Object.fromEntries(declarations.map((d) => [d.id, d.default]));
  Object.assign(variables, parseVariableValues(host, where, warn));
  return {
    info: { id, authoredId, file: relativeFile, variables, declarations },
    root: whole ? host : inner,
    links,
    styles,
    scripts: scriptEls,
  };
}

/** `wanted`, or `wanted__2`, `wanted__3`, … when a mount already took it. */
function uniqueId(wanted: string, used: Set<string>): string {
  let id = wanted;
  for (let n = 2; used.has(id); n++) id = `${wanted}__${n}`;
  used.add(id);
  return id;
}

/** Rewrites URL attributes of `scope` and its descendants (not nested hosts' sources). */
function rebaseAttributes(scope: HTMLElement, rebase: (url: string) => string | null): void {
  for (const el of [scope, ...scope.querySelectorAll('*')]) {
    for (const attr of URL_ATTRIBUTES) {
      const value = el.getAttribute(attr);
      if (value === undefined) continue;
      const rebased = rebase(value);
      if (rebased !== null) el.setAttribute(attr, rebased);
    }
  }
}

function sizeInnerRoot(host: HTMLElement, inner: HTMLElement): void {
  const w = inner.getAttribute('data-width');
  const h = inner.getAttribute('data-height');
  appendStyle(inner, `width:${w ? `${Number(w)}px` : '100%'};height:${h ? `${Number(h)}px` : '100%'}`);
  if (host.getAttribute('data-width') === undefined && w) host.setAttribute('data-width', w);
  if (host.getAttribute('data-height') === undefined && h) host.setAttribute('data-height', h);
  const hw = host.getAttribute('data-width');
  const hh = host.getAttribute('data-height');
  const style = host.getAttribute('style') ?? '';
  if (hw && hh && !/width|height/i.test(style)) appendStyle(host, `width:${Number(hw)}px;height:${Number(hh)}px`);
}

function appendStyle(el: HTMLElement, css: string): void {
  const style = (el.getAttribute('style') ?? '').trim();
  el.setAttribute('style', style ? `${style.replace(/;?$/, ';')}${css}` : css);
}

/** An inline script of a mounted composition, run with the composition's scoped globals. */
function wrapScript(script: HTMLElement, mount: MountedFile, file: string): string {
  const code = script.innerHTML;
  const attrs = Object.entries(script.attributes)
    .filter(([k]) => k.toLowerCase() !== 'type')
    .map(([k, v]) => ` ${k}="${v.replace(/"/g, '&quot;')}"`)
    .join('');
  const sourceUrl = file.replace(/[\s*]/g, '_');
  return `<script${attrs}>window.__framesmithScope(${JSON.stringify(mount.id)}, function (document, window, gsap, __hyperframes) {\n${code}\n});\n//# sourceURL=${sourceUrl}</script>`;
}

function appendToHead(document: HTMLElement, html: string): void {
  const head = document.querySelector('head');
  if (head) head.insertAdjacentHTML('beforeend', html);
  else (document.querySelector('html') ?? document).insertAdjacentHTML('afterbegin', html);
}

function appendToBody(document: HTMLElement, html: string): void {
  const body = document.querySelector('body') ?? document.querySelector('html') ?? document;
  body.insertAdjacentHTML('beforeend', html);
}
