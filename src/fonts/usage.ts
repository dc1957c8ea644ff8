/**
 * Which font families a composition asks for, read from its CSS (`font-family`, the `font` shorthand,
 * `@font-face` declarations; values through `var()`, see css-vars.ts) and its scripts (a family name in a script, e.g. canvas text set with
 * `ctx.font = '32px Montserrat'`), and what each resolves to (catalog.ts).
 *
 * A family list resolves to its first family that is bundled, generic, an alias or declared by the
 * page with `@font-face` (a system name: see resolveInUsage). Every family before it that is none of
 * these is unresolved: the render warns, naming it and the face used instead (the resolved family; a
 * generic family's face, generic.ts; else the browser's standard face).
 */
import postcss, { type Root } from 'postcss';
import { bundledFamilies, type FamilyResolution, FONT_ALIASES, normalizeFamily, resolveFamily, splitFamilies } from './catalog.js';
import { customProperties, substituteVars } from './css-vars.js';
import { GENERIC_FACES, type GenericRole, genericRole, SYSTEM_NAMES } from './generic.js';

/** The font families a composition names and declares (from scanFonts). */
export interface FontUsage {
  /** Each font-family list the CSS declares, families in order, as written. */
  lists: string[][];
  /** Families the page declares itself with `@font-face` (normalized). */
  declared: Set<string>;
  /** Bundled or alias family names a script mentions (normalized). */
  mentioned: Set<string>;
  /**
   * Families a `font-family` declaration names (normalized; not the `font` shorthand, not scripts):
   * the only ones HyperFrames reads, so the only system names it puts its stand-in in for.
   */
  named: Set<string>;
}

/**
 * What `name` resolves to in the composition of `usage`: as resolveFamily, except that a system name
 * (FONT_ALIASES) resolves to HyperFrames' stand-in only when a `font-family` declaration names it and
 * the page does not declare it; otherwise it is Debian's own face (`system`, SYSTEM_NAMES) or nothing,
 * as is a family nothing provides that Debian answers (Arimo, …). The page's `@font-face` is the caller's.
 */
export function resolveInUsage(name: string, usage: FontUsage): FamilyResolution | { kind: 'system'; role: GenericRole } {
  const r = resolveFamily(name);
  if (r.kind !== 'alias' && r.kind !== 'unknown') return r;
  const key = normalizeFamily(name);
  if (r.kind === 'alias' && usage.named.has(key) && !usage.declared.has(key)) return r;
  const role = SYSTEM_NAMES[key];
  return role ? { kind: 'system', role } : { kind: 'unknown' };
}

/** Whether `key` (normalized) is a system font name: HyperFrames aliases it, or Debian answers it. */
export function isSystemName(key: string): boolean {
  return FONT_ALIASES[key] !== undefined || SYSTEM_NAMES[key] !== undefined;
}

/** The system names that take HyperFrames' stand-in in the composition of `usage` (see resolveInUsage). */
export function aliasedNames(usage: FontUsage): string[] {
  return [...usage.named].filter((key) => FONT_ALIASES[key] !== undefined && !usage.declared.has(key)).sort();
}

const SIZE =
  /^(?:[\d.]+(?:px|pt|pc|em|rem|ex|ch|vw|vh|vmin|vmax|cm|mm|in|q|%)|xx-small|x-small|small|medium|large|x-large|xx-large|xxx-large|smaller|larger)(?:\/\S+)?$/i;

/** The family list of a `font` shorthand value (after its size), or null (`font: caption`, var()). */
function shorthandFamilies(value: string): string[] | null {
  const tokens = value.trim().split(/\s+/);
  const at = tokens.findIndex((t) => SIZE.test(t));
  if (at < 0 || at === tokens.length - 1) return null;
  return splitFamilies(tokens.slice(at + 1).join(' '));
}

/** Reads the font usage of some CSS texts and script texts. */
export function scanFonts(css: readonly string[], scripts: readonly string[]): FontUsage {
  const usage: FontUsage = { lists: [], declared: new Set(), mentioned: new Set(), named: new Set() };
  const roots: Root[] = [];
  for (const text of css) {
    try {
      roots.push(postcss.parse(text));
    } catch {
      // not CSS the browser would apply either
    }
  }
  // Families named through var() resolve through the custom properties of all the CSS (css-vars.ts).
  const props = customProperties(roots);
  for (const root of roots) {
    root.walkDecls((decl) => {
      const prop = decl.prop.toLowerCase();
      const inFontFace = decl.parent?.type === 'atrule' && (decl.parent as postcss.AtRule).name.toLowerCase() === 'font-face';
      if (prop === 'font-family' && inFontFace) {
        usage.declared.add(normalizeFamily(decl.value));
        return;
      }
      if (prop !== 'font-family' && prop !== 'font') return;
      const value = substituteVars(decl.value, props);
      if (value === null || /^\s*(inherit|initial|unset|revert|revert-layer)\s*$/i.test(value)) return;
      const list = prop === 'font-family' ? splitFamilies(value) : shorthandFamilies(value);
      if (list?.length) usage.lists.push(list);
      if (list && prop === 'font-family') for (const name of list) usage.named.add(normalizeFamily(name));
    });
  }
  const names = [...bundledFamilies().keys(), ...Object.keys(FONT_ALIASES)];
  for (const text of scripts) {
    const lower = text.toLowerCase();
    for (const name of names)
      if (lower.includes(name) && new RegExp(`(^|[^a-z])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([^a-z]|$)`).test(lower))
        usage.mentioned.add(name);
  }
  return usage;
}

/**
 * The bundled families the usage needs installed (resolved through aliases). A name the page declares
 * itself with `@font-face` is left to the page's faces, as HyperFrames leaves it (it injects no face for
 * a family the page declares): where the page's files fail to load, the browser draws the next family
 * of the list, not a bundled face of the same name.
 */
export function familiesToInstall(usage: FontUsage): string[] {
  const out = new Set<string>();
  for (const name of [...usage.lists.flat(), ...usage.mentioned]) {
    if (usage.declared.has(normalizeFamily(name))) continue;
    const r = resolveInUsage(name, usage);
    if (r.kind !== 'unknown' && r.kind !== 'system') out.add(r.family);
  }
  return [...out];
}

/** A family the composition names that nothing provides (a `font_fallback` warning); `family` unquoted, as written. */
export interface UnresolvedFamily {
  family: string;
  /** The face drawn instead. */
  used: string;
}

/** Families the usage asks for that nothing provides, each once, with what is used instead. */
export function unresolvedFamilies(usage: FontUsage): UnresolvedFamily[] {
  const found = new Map<string, UnresolvedFamily>();
  for (const list of usage.lists) {
    const pending: string[] = [];
    let used: string | null = null;
    for (const name of list) {
      const key = normalizeFamily(name);
      if (usage.declared.has(key)) {
        used = name.replace(/^(['"])(.*)\1$/, '$2');
        break;
      }
      const r = resolveInUsage(name, usage);
      if (r.kind === 'system') {
        used = GENERIC_FACES[r.role].shown;
        break;
      }
      if (r.kind === 'generic' && key !== 'emoji') {
        // A generic family here is not the list's first (those get Inter first, generic.ts): the
        // browser's face for it, or nothing when Chromium does not know the name.
        const role = genericRole(key);
        if (!role) continue;
        used = GENERIC_FACES[role].shown;
        break;
      }
      if (r.kind !== 'unknown') {
        used = r.family;
        break;
      }
      pending.push(name.replace(/^(['"])(.*)\1$/, '$2'));
    }
    for (const family of pending) {
      const key = normalizeFamily(family);
      // Nothing in the list: the browser's standard font, as for text with no font-family.
      if (!found.has(key)) found.set(key, { family, used: used ?? GENERIC_FACES.serif.shown });
    }
  }
  return [...found.values()];
}
