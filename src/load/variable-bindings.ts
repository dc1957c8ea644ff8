/**
 * Declarative variable bindings, as HyperFrames' page runtime applies them, applied here to the
 * assembled document before anything reads it, so the media stage probes and extracts the bound
 * `src` and the page's scripts already see the bound text:
 *
 * - `data-var-src="id"` on `<img>`, `<video>`, `<audio>` or `<source>`: the element's `src` becomes
 *   the variable's value — a non-empty string, or an object's non-empty `url` (an `image` value). The
 *   value is used as written: a relative URL is relative to the project root (the page), whichever
 *   file the element came from. A value that resolves to nothing keeps the authored `src`; a URL
 *   whose scheme is not http, https, blob or `data:image/` is refused, as is the attribute on any
 *   other element (a `src` there can run code).
 * - `data-var-text="id"`: the element's own text becomes the value of a scalar (string, number,
 *   boolean). An element without child elements gets it as its whole text; one with child elements
 *   keeps them, its first direct text node gets the value and the other direct text nodes are
 *   emptied (a text node is added in front when there is none), so nested clips and animation
 *   targets survive.
 *
 * Values come from the element's composition: the nearest `[data-composition-id]` around it (itself
 * included) that is a mounted sub-composition gives that mount's values (its file's defaults
 * overlaid with the host's `data-variable-values`); anything else gives the document's values (every
 * default, overlaid with the render's). Elements inside `<template>` are not in the page and are left
 * alone. Every binding that cannot be applied is a warning naming the element and the variable;
 * nothing is skipped silently.
 */
import type { HTMLElement } from 'node-html-parser';
import { TextNode } from 'node-html-parser';
import { labelOf } from '../composition/dom.js';
import type { RenderWarning } from '../warnings.js';

/** Elements whose `src` is only ever a media reference (HyperFrames' list). */
const VAR_SRC_TAGS = new Set(['img', 'video', 'audio', 'source']);

/** The variable values bindings read: a mount's own when it has any (see the module comment), else the document's. */
export interface BindingScopes {
  /** The document's values: every declared default, overlaid with the render's values. */
  document: Record<string, unknown>;
  /** Each mounted sub-composition's values, by its `data-composition-id` in the document. */
  mounts: ReadonlyMap<string, Record<string, unknown>>;
}

/** Applies every `data-var-src` and `data-var-text` of `document` (see the module comment). */
export function applyVariableBindings(
  document: HTMLElement,
  scopes: BindingScopes,
  file: string,
  warn: (warning: RenderWarning) => void,
): void {
  const valuesFor = (el: HTMLElement) => {
    const id = el.closest('[data-composition-id]')?.getAttribute('data-composition-id');
    return (id !== undefined ? scopes.mounts.get(id) : undefined) ?? scopes.document;
  };
  const problem = (el: HTMLElement, message: string) =>
    warn({ code: 'variable', file, element: labelOf(el), message: `${labelOf(el)}: ${message}` });

  for (const el of document.querySelectorAll('[data-var-src]')) {
    if (el.closest('template')) continue;
    const id = el.getAttribute('data-var-src')!.trim();
    if (!id) continue;
    const tag = el.tagName.toLowerCase();
    if (!VAR_SRC_TAGS.has(tag)) {
      problem(
        el,
        `data-var-src="${id}" is ignored: a variable can set the src of img, video, audio and source elements only (a src on <${tag}> can run code); bind a media element instead`,
      );
      continue;
    }
    const values = valuesFor(el);
    const url = urlOf(values[id]);
    if (url === null) {
      const why =
        id in values
          ? `has no URL (${JSON.stringify(values[id]) ?? 'undefined'})`
          : 'is not declared in this composition and no value was given';
      const kept = el.getAttribute('src');
      problem(
        el,
        `data-var-src="${id}": the variable ${why}, so ${kept ? `the authored src="${kept}" stays` : 'the element has no src'}: declare "${id}" with a default URL or pass one with \`variables\``,
      );
      continue;
    }
    if (!isSafeMediaUrl(url)) {
      problem(
        el,
        `data-var-src="${id}": the value ${JSON.stringify(url)} is refused (only relative paths, http, https, blob and data:image/ URLs are media references); the authored src stays`,
      );
      continue;
    }
    el.setAttribute('src', url);
  }

  for (const el of document.querySelectorAll('[data-var-text]')) {
    if (el.closest('template')) continue;
    const id = el.getAttribute('data-var-text')!.trim();
    if (!id) continue;
    const values = valuesFor(el);
    const value = values[id];
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      setOwnText(el, String(value));
    } else {
      const why =
        id in values
          ? `is not text, a number or a boolean (${JSON.stringify(value) ?? 'undefined'})`
          : 'is not declared in this composition and no value was given';
      problem(el, `data-var-text="${id}": the variable ${why}, so the authored text stays: declare "${id}" as a string, number or boolean`);
    }
  }
}

/** A value's URL: a non-empty string, or an object's non-empty string `url`; else null. */
function urlOf(value: unknown): string | null {
  if (typeof value === 'string') return value !== '' ? value : null;
  const url = value !== null && typeof value === 'object' ? (value as { url?: unknown }).url : undefined;
  return typeof url === 'string' && url !== '' ? url : null;
}

/** Whether `url` can only be a media reference: no scheme, http(s), blob, or a `data:image/` URL. */
export function isSafeMediaUrl(url: string): boolean {
  // Control characters and spaces inside a scheme are ignored by URL parsers: strip them first.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are the point
  const normalized = url.replace(/[\u0000-\u0020]/g, '');
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(normalized)?.[1]?.toLowerCase();
  if (scheme === undefined) return true;
  if (scheme === 'http' || scheme === 'https' || scheme === 'blob') return true;
  return scheme === 'data' && /^data:image\//i.test(normalized);
}

/** Sets `el`'s own text to `text`, keeping its child elements (see the module comment). */
function setOwnText(el: HTMLElement, text: string): void {
  if (!el.childNodes.some((n) => n.nodeType === 1)) {
    el.textContent = text;
    return;
  }
  const texts = el.childNodes.filter((n) => n.nodeType === 3);
  if (texts.length === 0) {
    const node = new TextNode('', el);
    node.textContent = text;
    el.childNodes.unshift(node);
    return;
  }
  texts.forEach((node, i) => {
    node.textContent = i === 0 ? text : '';
  });
}
