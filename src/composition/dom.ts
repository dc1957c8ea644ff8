/**
 * Node-side view of a composition's HTML (node-html-parser): element walk in document order and the
 * rule that decides which elements are "timed". The in-page runtime applies the same rule with
 * `document.querySelectorAll(TIMED_SELECTOR)`, so an index computed here addresses the same element
 * in the browser.
 */
import { parse, type HTMLElement } from 'node-html-parser';
import { checkMarkupDepth } from './limits.js';

/**
 * The browser-side selector for timed elements. The root composition element is excluded on both
 * sides (its `data-start`, if any, is ignored: a root always starts at 0). Elements inside `<template>`
 * are not in the document tree in a browser and are skipped here too.
 */
export const TIMED_SELECTOR = '[data-start], video, audio';

/**
 * Parses `html` (the text of `file`, named in errors). Throws `limit_exceeded` when elements nest
 * deeper than MAX_MARKUP_DEPTH (limits.ts): the walks here recurse, and markup that deep is refused
 * before any of them overflows the stack.
 */
export function parseHtml(html: string, file: string): HTMLElement {
  // Keep the text of script/style intact so their markup-looking content never becomes elements.
  const document = parse(html, { comment: false, blockTextElements: { script: true, noscript: true, style: true, pre: true } });
  checkMarkupDepth(document, file);
  return document;
}

/** Every element in document (pre-)order, not descending into `<template>`, `<script>` or `<style>`. */
export function elementsInOrder(root: HTMLElement): HTMLElement[] {
  const out: HTMLElement[] = [];
  const visit = (node: HTMLElement): void => {
    for (const child of node.childNodes) {
      if (child.nodeType !== 1) continue;
      const el = child as HTMLElement;
      out.push(el);
      const tag = el.tagName?.toLowerCase();
      if (tag === 'template' || tag === 'script' || tag === 'style') continue;
      visit(el);
    }
  };
  visit(root);
  return out;
}

/** Whether `el` matches TIMED_SELECTOR. */
export function isTimed(el: HTMLElement): boolean {
  const tag = el.tagName.toLowerCase();
  return el.hasAttribute('data-start') || tag === 'video' || tag === 'audio';
}

/** A short description for messages: `div#intro`, or `section.card:nth-of-type(2)`. */
export function labelOf(el: HTMLElement): string {
  const tag = el.tagName.toLowerCase();
  const id = el.getAttribute('id');
  if (id) return `${tag}#${id}`;
  const cls = (el.getAttribute('class') ?? '').trim().split(/\s+/).filter(Boolean)[0];
  const parent = el.parentNode as HTMLElement | null;
  let nth = 1;
  if (parent) {
    for (const sibling of parent.childNodes) {
      if (sibling === el) break;
      if (sibling.nodeType === 1 && (sibling as HTMLElement).tagName.toLowerCase() === tag) nth++;
    }
  }
  return `${tag}${cls ? `.${cls}` : ''}:nth-of-type(${nth})`;
}

/**
 * The nearest ancestor that starts a time scope (excluding `el` itself), or null: an element carrying
 * `data-composition-id`, or a sub-composition host mounted from a file (`data-composition-file`), which
 * times its content even when it has no id of its own.
 */
export function enclosingScope(el: HTMLElement): HTMLElement | null {
  let node = el.parentNode as HTMLElement | null;
  while (node && node.nodeType === 1) {
    if (node.hasAttribute?.('data-composition-id') || node.hasAttribute?.('data-composition-file')) return node;
    node = node.parentNode as HTMLElement | null;
  }
  return null;
}

/** The nearest ancestor carrying `data-composition-id` (excluding `el` itself), or null. */
export function enclosingComposition(el: HTMLElement): HTMLElement | null {
  let node = el.parentNode as HTMLElement | null;
  while (node && node.nodeType === 1) {
    if (node.hasAttribute?.('data-composition-id')) return node;
    node = node.parentNode as HTMLElement | null;
  }
  return null;
}
