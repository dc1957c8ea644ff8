/**
 * The page's font-family lists rewritten to name the web fonts (web-fonts.ts) instead of what the
 * system's font lookup would resolve, for the web delivery (delivery.ts). What fontconfig does on Linux
 * (fontconfig.ts), done in the CSS:
 * - a generic family Chromium resolves on Linux (`sans-serif`, `serif`, `monospace`, `system-ui`,
 *   `cursive`, `fantasy`, `math`) becomes the private family of its face (generic.ts); `emoji` becomes
 *   `EMOJI_FAMILY`; the names Chromium does not resolve on Linux (`ui-sans-serif`, `-apple-system`,
 *   `BlinkMacSystemFont`, …), which would reach the system's fonts on macOS, are taken out;
 * - a system name of `FONT_ALIASES` (Arial, Helvetica, Menlo, …) becomes its stand-in, unless the page
 *   declares that name itself;
 * - the plan's `tail` (the faces fontconfig falls back to, in its order: web-fonts.ts) is appended to
 *   every list, so a character the list's faces lack reaches framesmith's faces before the system's.
 * Bundled family names stay as written (the plan declares them); other names stay too (the page's own
 * `@font-face`, or nothing: the next family).
 *
 * Rewritten: `font-family` and the `font` shorthand (its family list, after the size) of `<style>`
 * blocks, `style` attributes, the project's own stylesheets the page links, SVG `font-family`
 * attributes and `data-font-family`; custom properties whose value is a font list naming a generic
 * or system family (Tailwind's `--font-sans`). Base rules of no specificity give text with no
 * font-family (`:root`) and the user agent's monospace elements (`code`, `pre`, …) the faces the
 * browser's settings give them on Linux (generic.ts `browserFontFamilies`). What scripts set once the
 * page runs is rewritten in the page by the same function (web-runtime.ts).
 */
import type { HTMLElement } from 'node-html-parser';
import { parse as parseHtml } from 'node-html-parser';
import postcss, { type Root } from 'postcss';
import { GENERIC_FACES } from './generic.js';
import { nonAsciiCodePoints } from './text.js';
import { primedFaces, type WebFontPlan } from './web-fonts.js';
import { type FontListRewriter, fontListRewriter, rewriteConfig, webRuntimeScript } from './web-runtime.js';

const rewriters = new WeakMap<WebFontPlan, FontListRewriter>();
const rewriterOf = (plan: WebFontPlan): FontListRewriter => {
  const known = rewriters.get(plan);
  if (known) return known;
  const rewriter = fontListRewriter(rewriteConfig(plan));
  rewriters.set(plan, rewriter);
  return rewriter;
};

/**
 * A `font-family` value rewritten (see the module comment), the plan's tail appended; a whole-value
 * keyword (`inherit`, …) stays as it is.
 */
export function webFamilyList(value: string, plan: WebFontPlan): string {
  return rewriterOf(plan).familyList(value);
}

/**
 * A custom property's value rewritten when it is a font list naming a generic or system family
 * (items only, no tail: the `font-family` that uses it gets the tail); else null.
 */
export function webCustomProperty(value: string, plan: WebFontPlan): string | null {
  return rewriterOf(plan).customProperty(value);
}

/**
 * A `font` shorthand value with its family list rewritten; null when it has none this can find (a
 * system font such as `caption`, a `var()` standing for the size or the families).
 */
export function webFontShorthand(value: string, plan: WebFontPlan): string | null {
  return rewriterOf(plan).shorthand(value);
}

const parseCss = (css: string): Root | null => {
  try {
    return postcss.parse(css);
  } catch {
    return null;
  }
};

/** Rewrites the declarations of `root` in place; whether anything changed. */
function rewriteRoot(root: Root, plan: WebFontPlan): boolean {
  let changed = false;
  root.walkDecls((decl) => {
    if (decl.parent?.type === 'atrule' && (decl.parent as postcss.AtRule).name.toLowerCase() === 'font-face') return;
    const prop = decl.prop.toLowerCase();
    const next =
      prop === 'font-family'
        ? webFamilyList(decl.value, plan)
        : prop === 'font'
          ? webFontShorthand(decl.value, plan)
          : decl.prop.startsWith('--')
            ? webCustomProperty(decl.value, plan)
            : null;
    if (next === null || next === decl.value) return;
    decl.value = next;
    changed = true;
  });
  return changed;
}

/** A stylesheet's text rewritten (see the module comment); as it is when it does not parse. */
export function webStylesheet(css: string, plan: WebFontPlan): string {
  const root = parseCss(css);
  return root && rewriteRoot(root, plan) ? root.toString() : css;
}

/** The base rules (see the module comment). */
function baseRules(plan: WebFontPlan): string {
  const { serif, mono } = GENERIC_FACES;
  return [
    `:where(:root){font-family:${webFamilyList(`"${serif.family}"`, plan)}}`,
    `:where(code,kbd,samp,pre,tt,listing,xmp,plaintext){font-family:${webFamilyList(`"${mono.family}"`, plan)}}`,
  ].join('\n');
}

/**
 * `html` with the plan's `@font-face` rules and base rules first in its head, then the run-time
 * rewrite (web-runtime.ts), and its font lists rewritten (see the module comment). Linked stylesheets
 * are the caller's (`webStylesheet`).
 */
export function webDocument(html: string, plan: WebFontPlan): string {
  // As composition/dom.ts parses: script and style text stays text.
  const document = parseHtml(html, { comment: true, blockTextElements: { script: true, noscript: true, style: true, pre: true } });
  for (const style of document.querySelectorAll('style')) style.set_content(webStylesheet(style.innerHTML, plan));
  for (const el of document.querySelectorAll('[style]')) rewriteStyleAttribute(el, plan);
  for (const attr of ['font-family', 'data-font-family']) {
    for (const el of document.querySelectorAll(`[${attr}]`)) el.setAttribute(attr, webFamilyList(el.getAttribute(attr) ?? '', plan));
  }
  const css = `<style data-framesmith-web-fonts>\n${plan.css}\n${baseRules(plan)}\n</style>${webRuntimeScript(plan, primed(html, plan))}`;
  const head = document.querySelector('head');
  if (head) head.insertAdjacentHTML('afterbegin', css);
  else (document.querySelector('html') ?? document).insertAdjacentHTML('afterbegin', css);
  return document.toString();
}

/** The faces `html` loads before its scripts (`primedFaces`): its characters, the weights and styles its CSS names. */
function primed(html: string, plan: WebFontPlan): string[] {
  const weights = new Set([400, 700]);
  for (const m of html.matchAll(/\bfont(?:-weight)?\s*:\s*(?:[a-z-]+\s+)*?([1-9]00)\b/gi)) weights.add(Number(m[1]));
  const styles = new Set(['normal', ...(/italic|oblique|<(?:i|em)\b/i.test(html) ? ['italic'] : [])]);
  return primedFaces(plan, nonAsciiCodePoints([html]), weights, styles);
}

function rewriteStyleAttribute(el: HTMLElement, plan: WebFontPlan): void {
  const root = parseCss(`x{${el.getAttribute('style')}}`);
  const rule = root?.first;
  if (!root || rule?.type !== 'rule' || !rewriteRoot(root, plan)) return;
  el.setAttribute('style', (rule as postcss.Rule).nodes.map((n) => n.toString()).join('; '));
}
