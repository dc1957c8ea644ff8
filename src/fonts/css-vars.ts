/**
 * Font families a composition names only through CSS custom properties: `font-family: var(--font-sans)`
 * with `--font-sans: "Rethink Sans", system-ui, sans-serif` somewhere in its CSS (Tailwind v4, design
 * tokens). HyperFrames resolves such a declaration through the document's custom properties and fetches
 * the families it reaches, so framesmith must install them too.
 */
import type { Root } from 'postcss';

/** How many `var()` levels are followed (HyperFrames follows 8); deeper references stay unresolved. */
export const MAX_VAR_DEPTH = 8;

/**
 * Every custom property the roots declare, by name; a name declared more than once keeps its last value
 * in the order given (the cascade decides per element in the page; one value per name is what a static
 * reading can know, and the last one is what a plain `:root` override leaves).
 */
export function customProperties(roots: readonly Root[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const root of roots) {
    root.walkDecls((decl) => {
      if (decl.prop.startsWith('--') && decl.value.trim()) found.set(decl.prop, decl.value.trim());
    });
  }
  return found;
}

/**
 * `value` with each `var(--name)` / `var(--name, fallback)` replaced by the property's value (or else
 * its fallback), following references up to MAX_VAR_DEPTH levels; null when a reference is left that
 * has neither (the value is then unknown until the page runs).
 */
export function substituteVars(value: string, props: ReadonlyMap<string, string>, depth = 0): string | null {
  if (!/var\(/i.test(value)) return value;
  if (depth >= MAX_VAR_DEPTH) return null;
  let out = '';
  let at = 0;
  for (let start = value.search(/var\(/i); start >= 0; start = nextVar(value, at)) {
    const end = closingParen(value, start + 3);
    if (end < 0) return null;
    const inner = value.slice(start + 4, end);
    const comma = inner.indexOf(',');
    const name = (comma < 0 ? inner : inner.slice(0, comma)).trim();
    const replacement = props.get(name) ?? (comma < 0 ? null : inner.slice(comma + 1).trim());
    if (replacement === null) return null;
    const resolved = substituteVars(replacement, props, depth + 1);
    if (resolved === null) return null;
    out += value.slice(at, start) + resolved;
    at = end + 1;
  }
  return out + value.slice(at);
}

function nextVar(value: string, from: number): number {
  const i = value.slice(from).search(/var\(/i);
  return i < 0 ? -1 : from + i;
}

/** The index of the `)` closing the `(` at `open`, or -1. */
function closingParen(value: string, open: number): number {
  let depth = 0;
  for (let i = open; i < value.length; i++) {
    if (value[i] === '(') depth++;
    else if (value[i] === ')' && --depth === 0) return i;
  }
  return -1;
}
