/**
 * The web delivery's rewrite of font lists (the rules: web-stacks.ts), once for both sides: the loader
 * rewrites the CSS it sees with `fontListRewriter` in Node, and the same function's source runs in the
 * page before its own scripts (`webRuntimeScript`, a `<script>` first in its head). There it first
 * loads the document's faces (web-fonts.ts `primedFaces`) synchronously — each file read and added as
 * a binary `FontFace`, which Chromium loads on creation — as a browser has its system's fonts at once,
 * so a script measuring text while the page loads measures it in the faces Linux draws; then it
 * rewrites what scripts set after the page loaded:
 * - `<style>` elements a script adds or rewrites (the Tailwind CDN compiles its CSS at run time) and
 *   stylesheets a script links: their rules' `font-family` and font-list custom properties;
 * - `style` attributes and `element.style` (a script setting `el.style.fontFamily`), SVG `font-family`
 *   attributes;
 * - canvas text: `ctx.font` of a 2D context (its family list); and as a canvas draws only in faces
 *   already loaded, `fillText`, `strokeText` and `measureText` first load (synchronously, as above)
 *   the faces the text needs that are not, so canvas text is in the Linux faces from its first draw.
 * Not reached: rules a script inserts through the CSSOM (`insertRule`, constructed stylesheets),
 * `OffscreenCanvas` text; there the machine's lookup decides.
 *
 * Both in-page functions are self-contained (no imports, no closures): their source is sent to the page.
 */
import { EMOJI_FAMILY, FONT_ALIASES, GENERIC_FAMILIES } from './catalog.js';
import { GENERIC_FACES, genericRole, systemNameFamilies } from './generic.js';
import type { WebFontPlan } from './web-fonts.js';

/** What the rewrite needs (lower-case keys). */
export interface RewriteConfig {
  /** A generic family → its face's family, or null when Chromium on Linux resolves nothing for it. */
  generic: Record<string, string | null>;
  /** A system name → the family drawing it (generic.ts systemNameFamilies), or null when nothing does (taken out). */
  aliases: Record<string, string | null>;
  /** Appended to every list (`WebFontPlan.tail`). */
  tail: string[];
}

/** The rewrite's configuration for `plan`. */
export function rewriteConfig(plan: WebFontPlan): RewriteConfig {
  const generic: Record<string, string | null> = {};
  for (const key of GENERIC_FAMILIES) {
    const role = genericRole(key);
    generic[key] = key === 'emoji' ? EMOJI_FAMILY : role ? GENERIC_FACES[role].family : null;
  }
  // A system name the page declares keeps its name (its faces draw it); one no face answers on Debian is
  // taken out, so that the machine's font of that name (Verdana on macOS) does not draw it either.
  const drawn = systemNameFamilies(plan.aliased, plan.defaultName);
  const aliases: Record<string, string | null> = {};
  for (const name of new Set([...Object.keys(FONT_ALIASES), ...Object.keys(drawn)]))
    if (!plan.declaredNames.has(name)) aliases[name] = drawn[name] ?? null;
  return { generic, aliases, tail: plan.tail };
}

/** The rewrite of one value (see web-stacks.ts for the rules). */
export interface FontListRewriter {
  /** A `font-family` value rewritten, the tail appended; a whole-value keyword (`inherit`, …) as it is. */
  familyList(value: string): string;
  /** A custom property's value rewritten when it is a font list naming a generic or system family (no tail); else null. */
  customProperty(value: string): string | null;
  /** A `font` shorthand with its family list rewritten; null when it has none to find (`caption`, `var()`). */
  shorthand(value: string): string | null;
}

/** The rewrite for `config` (self-contained: it also runs in the page). */
export function fontListRewriter(config: RewriteConfig): FontListRewriter {
  const WHOLE = /^\s*(inherit|initial|unset|revert|revert-layer)\s*$/i;
  const FAMILY_ITEM = /^(?:"[^"]*"|'[^']*'|-?[A-Za-z_][\w-]*(?:\s+-?[A-Za-z_][\w-]*)*)$/;
  const SIZE =
    /^(?:[\d.]+(?:px|pt|pc|em|rem|ex|ch|vw|vh|vmin|vmax|cm|mm|in|q|%)|calc\(.*\)|xx-small|x-small|small|medium|large|x-large|xx-large|xxx-large|smaller|larger)(?:\/\S+)?$/i;
  const VAR = /^var\(/i;
  const quote = (family: string) => `"${family.replace(/["\\]/g, '\\$&')}"`;
  const norm = (name: string) =>
    name
      .trim()
      .replace(/^(['"])(.*)\1$/, '$2')
      .trim()
      .toLowerCase()
      .replace(/\s+/g, ' ');
  // Splits at `at` outside quotes and parentheses; parts trimmed, empty ones dropped.
  const split = (value: string, at: RegExp): string[] => {
    const out: string[] = [];
    let current = '';
    let open: string | null = null;
    let depth = 0;
    for (const ch of value) {
      if (open) {
        if (ch === open) open = null;
      } else if (ch === '"' || ch === "'") open = ch;
      else if (ch === '(') depth++;
      else if (ch === ')') depth = Math.max(0, depth - 1);
      else if (depth === 0 && at.test(ch)) {
        out.push(current);
        current = '';
        continue;
      }
      current += ch;
    }
    out.push(current);
    return out.map((s) => s.trim()).filter(Boolean);
  };
  // Each item mapped (null: taken out), each family once.
  const items = (list: string[]): string[] => {
    const out: string[] = [];
    const seen = new Set<string>();
    for (const item of list) {
      const key = norm(item);
      let next: string | null = item;
      if (VAR.test(item)) next = item;
      else if (key in config.generic) next = config.generic[key] === null ? null : quote(config.generic[key]!);
      else if (key in config.aliases) next = config.aliases[key] === null ? null : quote(config.aliases[key]!);
      if (next === null) continue;
      const seenKey = VAR.test(next) ? next : norm(next);
      if (!seen.has(seenKey)) out.push(next);
      seen.add(seenKey);
    }
    return out;
  };
  const familyList = (value: string): string => {
    if (WHOLE.test(value) || !value.trim()) return value;
    const out = items(split(value, /,/));
    const present = new Set(out.map(norm));
    return [...out, ...config.tail.filter((f) => !present.has(f.toLowerCase())).map(quote)].join(', ');
  };
  return {
    familyList,
    customProperty(value) {
      const list = split(value, /,/);
      if (list.length === 0 || !list.every((i) => FAMILY_ITEM.test(i))) return null;
      if (!list.some((i) => (!/^["']/.test(i) && norm(i) in config.generic) || norm(i) in config.aliases)) return null;
      return items(list).join(', ') || null;
    },
    shorthand(value) {
      if (/var\(/i.test(value)) return null;
      const parts = split(value, /\s/);
      const at = parts.findIndex((t) => SIZE.test(t));
      if (at < 0 || at === parts.length - 1) return null;
      return `${parts.slice(0, at + 1).join(' ')} ${familyList(parts.slice(at + 1).join(' '))}`;
    },
  };
}

/**
 * The `<script>` that rewrites in the page (see the module comment) for `plan`, first loading the faces
 * of the URLs `primed` (web-fonts.ts `primedFaces`).
 */
export function webRuntimeScript(plan: WebFontPlan, primed: readonly string[]): string {
  // `<` escaped: the JSON must not close the script element.
  const json = JSON.stringify({ config: rewriteConfig(plan), primed }).replace(/</g, '\\u003c');
  return `<script data-framesmith-web-fonts>;(${rewriteInPage.toString()})(${fontListRewriter.toString()}, ${json});</script>`;
}

function rewriteInPage(make: typeof fontListRewriter, { config, primed }: { config: RewriteConfig; primed: string[] }): void {
  const rewrite = make(config);
  const familyKey = (name: string) =>
    name
      .trim()
      .replace(/^(['"])(.*)\1$/, '$2')
      .toLowerCase();
  const fixStyle = (style: CSSStyleDeclaration | undefined) => {
    if (!style) return;
    const family = style.getPropertyValue('font-family');
    if (family) {
      const next = rewrite.familyList(family);
      // Only a change: the value set is serialized as written, so a second pass changes nothing.
      if (next !== family) style.setProperty('font-family', next, style.getPropertyPriority('font-family'));
    }
    for (let i = 0; i < style.length; i++) {
      const prop = style[i]!;
      if (!prop.startsWith('--')) continue;
      const value = style.getPropertyValue(prop);
      const next = rewrite.customProperty(value);
      if (next !== null && next !== value.trim()) style.setProperty(prop, next, style.getPropertyPriority(prop));
    }
  };
  const fixRules = (rules: CSSRuleList) => {
    for (const rule of Array.from(rules)) {
      if (rule instanceof CSSFontFaceRule) continue;
      if (rule instanceof CSSStyleRule) fixStyle(rule.style);
      if ('cssRules' in rule) fixRules((rule as CSSGroupingRule).cssRules);
    }
  };
  const fixSheet = (sheet: CSSStyleSheet | null | undefined) => {
    try {
      if (sheet) fixRules(sheet.cssRules);
    } catch {
      // a sheet whose rules cannot be read (another origin)
    }
  };
  const fixElement = (el: Element) => {
    if (el instanceof HTMLStyleElement) fixSheet(el.sheet);
    else if (el instanceof HTMLLinkElement) {
      fixSheet(el.sheet);
      el.addEventListener('load', () => fixSheet(el.sheet));
    }
    if (el.hasAttribute('style')) fixStyle((el as HTMLElement).style);
    const attr = el.getAttribute('font-family');
    if (attr !== null && rewrite.familyList(attr) !== attr) el.setAttribute('font-family', rewrite.familyList(attr));
  };
  new MutationObserver((records) => {
    for (const record of records) {
      if (record.type === 'attributes') {
        fixElement(record.target as Element);
        continue;
      }
      const target = record.target.nodeType === 1 ? (record.target as Element) : record.target.parentElement;
      if (target instanceof HTMLStyleElement) fixSheet(target.sheet);
      for (const node of Array.from(record.addedNodes)) {
        if (node.nodeType !== 1) continue;
        fixElement(node as Element);
        for (const el of Array.from((node as Element).querySelectorAll('style, link, [style], [font-family]'))) fixElement(el);
      }
    }
  }).observe(document, {
    subtree: true,
    childList: true,
    characterData: true,
    attributes: true,
    attributeFilter: ['style', 'font-family'],
  });

  // Canvas text is drawn at once, in the faces loaded by then: the faces a draw needs that are not are
  // read synchronously from our @font-face rules and added as binary FontFaces, loaded on creation.
  interface Face {
    family: string;
    url: string;
    weights: [number, number];
    style: string;
    ranges: Array<[number, number]>;
  }
  let faces: Face[] | null = null;
  const ourFaces = (): Face[] => {
    if (faces) return faces;
    faces = [];
    const sheet = document.querySelector<HTMLStyleElement>('style[data-framesmith-web-fonts]')?.sheet;
    for (const rule of Array.from(sheet?.cssRules ?? [])) {
      if (!(rule instanceof CSSFontFaceRule)) continue;
      const get = (p: string) => rule.style.getPropertyValue(p);
      const url = /url\(\s*["']?([^"')]+)/.exec(get('src'))?.[1];
      const weights = get('font-weight').split(/\s+/).map(Number);
      const ranges = get('unicode-range')
        .split(',')
        .map((r): [number, number] => {
          const [a, b] = r.trim().replace(/^U\+/i, '').split('-');
          return [Number.parseInt(a!, 16), Number.parseInt(b ?? a!, 16)];
        });
      if (url)
        faces.push({
          family: familyKey(get('font-family')),
          url,
          weights: [weights[0]!, weights.at(-1)!],
          style: get('font-style'),
          ranges,
        });
    }
    return faces;
  };
  const loaded = new Set<string>();
  // The file of `url` read once, and added under every family a rule declares it for.
  const loadNow = (url: string) => {
    loaded.add(url);
    try {
      const request = new XMLHttpRequest();
      request.open('GET', url, false);
      request.overrideMimeType('text/plain; charset=x-user-defined');
      request.send();
      const text = request.responseText;
      const bytes = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
      for (const face of ourFaces().filter((f) => f.url === url)) {
        const range = face.ranges.map(([a, b]) => `U+${a.toString(16)}-${b.toString(16)}`).join(',');
        document.fonts.add(new FontFace(face.family, bytes, { weight: face.weights.join(' '), style: face.style, unicodeRange: range }));
      }
    } catch {
      // left to the @font-face rule's own load
    }
  };
  const ensureFaces = (ctx: CanvasRenderingContext2D, text: string) => {
    if (!document.fonts || document.fonts.check(ctx.font, text)) return;
    const parts = ctx.font.split(/\s+/);
    const at = parts.findIndex((t) => /^[\d.]+px/.test(t));
    if (at < 0) return;
    const weight = parts.slice(0, at).includes('bold') ? 700 : Number(parts.slice(0, at).find((t) => /^\d+$/.test(t)) ?? 400);
    const style = parts.slice(0, at).some((t) => t === 'italic' || t === 'oblique') ? 'italic' : 'normal';
    const families = ctx.font
      .slice(ctx.font.indexOf(parts[at]!) + parts[at]!.length)
      .split(',')
      .map(familyKey);
    const distance = (f: Face) => (weight < f.weights[0] ? f.weights[0] - weight : weight > f.weights[1] ? weight - f.weights[1] : 0);
    // For each character, the first family of the list with a face covering it, and of its faces
    // those CSS matching picks: the style asked (else any), the weight asked or the nearest.
    const wanted = new Set<Face>();
    for (const code of new Set(Array.from(text, (ch) => ch.codePointAt(0)!))) {
      for (const family of families) {
        const covering = ourFaces().filter((f) => f.family === family && f.ranges.some(([a, b]) => a <= code && code <= b));
        if (covering.length === 0) continue;
        const styled = covering.filter((f) => f.style === style);
        const pool = styled.length > 0 ? styled : covering;
        const best = Math.min(...pool.map(distance));
        for (const f of pool) if (distance(f) === best) wanted.add(f);
        break;
      }
    }
    for (const face of wanted) if (!loaded.has(face.url)) loadNow(face.url);
  };
  const canvas = globalThis.CanvasRenderingContext2D?.prototype;
  const font = canvas && Object.getOwnPropertyDescriptor(canvas, 'font');
  if (canvas && font?.set) {
    Object.defineProperty(canvas, 'font', {
      ...font,
      set(this: CanvasRenderingContext2D, value: string) {
        font.set!.call(this, rewrite.shorthand(String(value)) ?? String(value));
      },
    });
    for (const name of ['fillText', 'strokeText', 'measureText'] as const) {
      const original = canvas[name] as (this: CanvasRenderingContext2D, text: string, ...rest: unknown[]) => unknown;
      (canvas as unknown as Record<string, unknown>)[name] = function (this: CanvasRenderingContext2D, text: string, ...rest: unknown[]) {
        try {
          ensureFaces(this, String(text));
        } catch {
          // never in the page's way: the draw goes on in the faces loaded
        }
        return original.call(this, text, ...rest);
      };
    }
  }
  if (document.fonts) for (const url of primed) loadNow(url);
}
