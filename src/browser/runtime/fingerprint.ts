/**
 * A frame's fingerprint, taken in the page after it was seeked to the frame (and its video frame
 * painted), before the screenshot: a SHA-256 of everything in the page that decides the frame's pixels
 * and that a later edit of the project can change, so an incremental render (src/render/incremental.ts)
 * reuses a chunk's segment exactly when every one of its frames would be drawn the same.
 *
 * What it hashes, in document order:
 *
 * - every stylesheet's rules as the CSSOM holds them now (`<style>`, `<link>`, script-inserted and
 *   adopted ones, those of open shadow roots), except the video painter's sheet, returned apart as
 *   `video` (its frame URLs hold a per-session port and mount number the caller rewrites);
 * - the `@font-face` set (family, style, weight, stretch, unicode range, status);
 * - the *rendered* DOM: tag, every attribute (timing attributes aside unless a stylesheet selects on
 *   them; GSAP's inline styles are attributes; of an inline style's
 *   custom properties only those some `var()` of a stylesheet, an inline style or an animation's
 *   keyframes reads — a composition's variables are custom properties on `<html>`), text, form values,
 *   scroll offsets of scrolling boxes, an image's chosen source and whether it loaded. A subtree that
 *   is `display: none` (HTML; SVG resources are drawn where used), or a clip the runtime hid
 *   (`data-framesmith-hidden`) that is absolutely or fixed positioned (so its box cannot move anything
 *   visible), is left out but for the clip's own attributes (its inline style aside: a sibling
 *   selector may read them): an edit there does not change the frames that do not show it. A hidden
 *   clip in the flow is kept whole (its size is layout); with a `:has()` rule in a stylesheet nothing is left out. Every
 *   SVG resource (gradient, pattern, clip path, mask, filter, marker, symbol) and what each drawn
 *   `<use>` shows are kept wherever they are.
 *   `<script>`, `<template>`, `<noscript>` and `<head>` draw nothing (their effects are in the DOM);
 * - every animation of the document (`getAnimations()`) whose target is in the rendered DOM: target,
 *   pseudo-element, current time, play state, rate, keyframes, timing, composite;
 * - the viewport: size, device pixel ratio, scroll, the focused element.
 *
 * What it cannot see makes the frame always dirty (`dirty` names it, the frame is never reused): a
 * rendered `<canvas>`, `<iframe>`, `<frame>`, `<object>`, `<embed>`, an SVG animation element (SMIL), a
 * stylesheet whose rules cannot be read (cross-origin), a page without `crypto.subtle`.
 *
 * The bytes of the files the page loaded (images, fonts, stylesheets, scripts) are not read here: the
 * caller adds the project files' content hashes once per render.
 */
import type { PageFingerprint } from '../page-api.js';
import { HIDDEN_ATTR } from './clips.js';

/** The video painter's stylesheet (video-paint.ts): one rule per video naming the frame shown. */
const VIDEO_STYLE_ID = '__framesmith-video-style';
const SKIPPED_TAGS = new Set(['script', 'template', 'noscript', 'head', 'style', 'link', 'meta', 'title', 'base']);
const OPAQUE_TAGS = new Set(['canvas', 'iframe', 'frame', 'object', 'embed', 'animate', 'animatemotion', 'animatetransform', 'set']);
const FIELD_SEP = '\u0001';
/**
 * Timing attributes, left out unless a stylesheet selects on them: the runtime reads them from its
 * config, so a change shows in what it hides and in the animations' times, on the frames it changes.
 */
const TIMING_ATTRS = new Set(['data-start', 'data-duration', 'data-end']);
const SVG_RESOURCES = 'linearGradient,radialGradient,pattern,clipPath,mask,filter,marker,symbol';

// The runtime's clock replaces performance.now(); the bundle is evaluated before it is installed.
const realNow = performance.now.bind(performance);

class Opaque extends Error {}

/** The fingerprint of the frame the page shows now (see the module comment). Never throws. */
export async function fingerprintFrame(win: Window & typeof globalThis): Promise<PageFingerprint> {
  const start = realNow();
  const doc = win.document;
  const parts: string[] = [];
  const ids = new Map<Element, number>();
  const used: Element[] = [];
  let videoSheet: CSSStyleSheet | null = null;
  let video = '';
  try {
    const sheetText = (sheet: CSSStyleSheet): void => {
      const owner = sheet.ownerNode as Element | null;
      if (owner?.id === VIDEO_STYLE_ID) {
        videoSheet = sheet; // read after the walk: only the rules of videos drawn
        return;
      }
      parts.push(`S${sheet.disabled ? '-' : '+'}${sheet.media.mediaText}{${rulesText(sheet)}}`);
    };
    for (const sheet of Array.from(doc.styleSheets)) sheetText(sheet);
    for (const sheet of doc.adoptedStyleSheets ?? []) sheetText(sheet);
    const animations = doc.getAnimations().map((animation) => {
      const effect = animation.effect;
      if (!(effect instanceof win.KeyframeEffect)) {
        if (effect) throw new Opaque('an animation without keyframes');
        return null;
      }
      return { animation, effect, keyframes: JSON.stringify(effect.getKeyframes()) };
    });
    const sheets = parts.join('');
    // A `:has()` rule can match on anything, hidden or not: then nothing is left out.
    const skipHidden = !sheets.includes(':has(');
    const timingInSheets = /\[data-(start|duration|end)\b/.test(sheets);
    const read = readCustomProperties([
      ...parts,
      ...animations.map((a) => a?.keyframes ?? ''),
      ...Array.from(doc.querySelectorAll('[style*="var("]'), (el) => el.getAttribute('style') ?? ''),
    ]);
    doc.fonts?.forEach((f) => {
      parts.push(`F${f.family}|${f.style}|${f.weight}|${f.stretch}|${f.unicodeRange}|${f.status}`);
    });
    parts.push(
      `V${win.innerWidth}x${win.innerHeight}@${win.devicePixelRatio}:${win.scrollX},${win.scrollY}:${doc.activeElement?.localName ?? ''}`,
    );
    const walk = (node: Node): void => {
      if (node.nodeType === 3) {
        parts.push(`T${(node as Text).data}`);
        return;
      }
      if (node.nodeType !== 1) return;
      const el = node as Element;
      const tag = el.localName;
      if (SKIPPED_TAGS.has(tag)) return;
      const style = win.getComputedStyle(el);
      // SVG resources (gradients, clip paths, symbols) are display:none and drawn where they are used.
      if (skipHidden && style.display === 'none' && el instanceof win.HTMLElement) return;
      if (skipHidden && el.hasAttribute(HIDDEN_ATTR) && (style.position === 'absolute' || style.position === 'fixed')) {
        // Its own attributes stay (a sibling selector may read them); not its inline style, which
        // animations set on clips not yet shown and no selector reads.
        let line = `H${tag}`;
        for (const attr of Array.from(el.attributes))
          if (attr.name !== HIDDEN_ATTR && attr.name !== 'style' && (timingInSheets || !TIMING_ATTRS.has(attr.name)))
            line += `${FIELD_SEP}${attr.name}=${attr.value}`;
        parts.push(line);
        return;
      }
      if (OPAQUE_TAGS.has(tag)) throw new Opaque(`a rendered <${tag}>`);
      ids.set(el, ids.size);
      let line = `E${tag}`;
      for (const attr of Array.from(el.attributes)) {
        if (!timingInSheets && TIMING_ATTRS.has(attr.name)) continue;
        const value =
          attr.name === 'style' && attr.value.includes('--') ? inlineStyle(el as ElementCSSInlineStyle & Element, read) : attr.value;
        line += `${FIELD_SEP}${attr.name}=${value}`;
      }
      if (el instanceof win.HTMLImageElement) line += `${FIELD_SEP}img:${el.currentSrc}|${el.complete}|${el.naturalWidth}`;
      if (el instanceof win.HTMLInputElement) line += `${FIELD_SEP}in:${el.value}|${el.checked}`;
      else if (el instanceof win.HTMLTextAreaElement || el instanceof win.HTMLSelectElement) line += `${FIELD_SEP}val:${el.value}`;
      if (style.overflowX !== 'visible' || style.overflowY !== 'visible') line += `${FIELD_SEP}scroll:${el.scrollLeft},${el.scrollTop}`;
      parts.push(line);
      if (tag === 'use') used.push(el);
      const shadow = el.shadowRoot;
      if (shadow) {
        parts.push('R');
        for (const sheet of Array.from(shadow.styleSheets)) sheetText(sheet);
        for (const sheet of shadow.adoptedStyleSheets ?? []) sheetText(sheet);
        for (const child of Array.from(shadow.childNodes)) walk(child);
      }
      for (const child of Array.from(el.childNodes)) walk(child);
      parts.push('/');
    };
    if (doc.documentElement) walk(doc.documentElement);
    // What a drawn element may paint from elsewhere: every SVG resource, and what each drawn <use> shows.
    const resources = [...Array.from(doc.querySelectorAll(SVG_RESOURCES)), ...used.map((u) => referenced(doc, u))];
    for (const el of resources) if (el && !ids.has(el)) parts.push(`G${el.outerHTML}`);
    video = videoSheet ? drawnVideoRules(doc, videoSheet, ids) : '';
    for (const entry of animations) {
      if (!entry) continue;
      const { animation, effect, keyframes } = entry;
      const id = effect.target ? ids.get(effect.target) : undefined;
      if (id === undefined) continue; // its target is not drawn
      parts.push(
        `A${id}${FIELD_SEP}${effect.pseudoElement ?? ''}${FIELD_SEP}${animation.currentTime}${FIELD_SEP}${animation.playState}${FIELD_SEP}${animation.playbackRate}${FIELD_SEP}${effect.composite}${FIELD_SEP}${keyframes}${FIELD_SEP}${JSON.stringify(effect.getTiming())}`,
      );
    }
    if (!win.crypto?.subtle) throw new Opaque('a page without crypto.subtle');
    const digest = await win.crypto.subtle.digest('SHA-256', new TextEncoder().encode(parts.join('\n')));
    const hash = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
    return { hash, video, dirty: null, ms: realNow() - start };
  } catch (error) {
    const dirty = error instanceof Opaque ? error.message : `the page could not be fingerprinted: ${String(error)}`;
    return { hash: '', video, dirty, ms: realNow() - start };
  }
}

/**
 * The video painter's rules (one per `<video>`) whose element is drawn (in `drawn`), as CSS text: a
 * hidden video's frame does not change the frame's pixels. A rule matching no drawn element is left out.
 */
function drawnVideoRules(doc: Document, sheet: CSSStyleSheet, drawn: ReadonlyMap<Element, number>): string {
  let text = '';
  for (const rule of Array.from(sheet.cssRules)) {
    const selector = (rule as CSSStyleRule).selectorText;
    const el = selector ? doc.querySelector(selector) : null;
    if (!selector || (el && drawn.has(el))) text += rule.cssText;
  }
  return text;
}

/** The element a `<use>` shows (`href`, else `xlink:href`, `#id`), or null. */
function referenced(doc: Document, use: Element): Element | null {
  const href = use.getAttribute('href') ?? use.getAttribute('xlink:href') ?? '';
  return href.startsWith('#') ? doc.getElementById(href.slice(1)) : null;
}

/** The custom property names (`--x`) some `var()` in `texts` reads. */
function readCustomProperties(texts: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const text of texts) for (const match of text.matchAll(/var\(\s*(--[\w-]+)/g)) names.add(match[1]!);
  return names;
}

/** `el`'s inline style as CSS text, without the custom properties nothing reads (not in `read`). */
function inlineStyle(el: ElementCSSInlineStyle, read: ReadonlySet<string>): string {
  const style = el.style;
  let text = '';
  for (let i = 0; i < style.length; i++) {
    const name = style.item(i);
    if (name.startsWith('--') && !read.has(name)) continue;
    text += `${name}:${style.getPropertyValue(name)}${style.getPropertyPriority(name) ? '!important' : ''};`;
  }
  return text;
}

/** The sheet's rules as CSS text; throws `Opaque` when the CSSOM refuses them (a cross-origin sheet). */
function rulesText(sheet: CSSStyleSheet): string {
  let rules: CSSRuleList;
  try {
    rules = sheet.cssRules;
  } catch {
    throw new Opaque(`a stylesheet it cannot read (${sheet.href ?? 'inline'})`);
  }
  let text = '';
  for (const rule of Array.from(rules)) text += rule.cssText;
  return text;
}
