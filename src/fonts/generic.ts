/**
 * The faces of the generic families (`sans-serif`, `serif`, `monospace`, `system-ui`, …) when the
 * browser itself resolves them, and the rule that puts Inter in front of them first — both as
 * HyperFrames 0.8.170 renders on Debian (its reference machine, with the Liberation fonts Debian's
 * Chromium depends on).
 *
 * HyperFrames rewrites every `font-family` declaration (and custom property) of the document's
 * `<style>` blocks, `style` attributes and `data-font-family` attributes whose FIRST family is generic
 * to `Inter, <the list>` (`preferDefaultForGenericPrimary`). A generic family reached otherwise — after
 * families nothing provides (`"Nope Sans", sans-serif`), in the `font` shorthand, in CSS a script
 * makes at run time (the Tailwind CDN), on a canvas — and text with no font-family at all are left to
 * the browser. Measured there (bench/fonts-parity.mjs): `sans-serif` is Liberation Sans (Chromium asks
 * for Arial), `serif`, `cursive`, `fantasy` and text with no font-family Liberation Serif (Times New
 * Roman), `monospace` Liberation Mono, `system-ui` DejaVu Sans (fontconfig's own `sans`); names
 * Chromium does not know on Linux (`ui-sans-serif`, `-apple-system`, …) match nothing, and the next
 * family of the list is used.
 *
 * framesmith draws those from npm faces with the same metrics and outlines — Arimo, Tinos and Cousine
 * cut to the characters of Debian's Liberation 1.07 (liberation.ts), and DejaVu Sans — under private family names
 * (`framesmith generic sans`, …), so every machine draws the same pixels; the system names Debian
 * answers with them (SYSTEM_NAMES) reach them too, unless HyperFrames would alias the name (systemNameFamilies).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { HTMLElement } from 'node-html-parser';
import postcss, { type Root } from 'postcss';
import { type BundledFamily, DEFAULT_FAMILY, FONT_ALIASES, GENERIC_FAMILIES, normalizeFamily } from './catalog.js';
import { splitFamilies } from './catalog.js';
import { type LiberationRole, liberationCharset, wholeFaces } from './liberation.js';

/**
 * The four faces, by role: the package id (`@fontsource/<id>` for `ui`; for the others the Google family
 * of `@expo-google-fonts/<id>`, cut to Liberation 1.07: liberation.ts) and the private family name the
 * browser sees.
 */
export const GENERIC_FACES = {
  sans: { id: 'arimo', family: 'framesmith generic sans', shown: 'Arimo (Liberation Sans)' },
  serif: { id: 'tinos', family: 'framesmith generic serif', shown: 'Tinos (Liberation Serif)' },
  mono: { id: 'cousine', family: 'framesmith generic mono', shown: 'Cousine (Liberation Mono)' },
  ui: { id: 'dejavu-sans', family: 'framesmith generic ui', shown: 'DejaVu Sans' },
} as const;
/** Which of the four generic faces (`sans`, `serif`, `mono`, `ui`) a generic family name is drawn in. */
export type GenericRole = keyof typeof GENERIC_FACES;

/**
 * The role of a generic family name (lower case) when the browser resolves it, or null for a name
 * Chromium does not resolve on Linux (it then matches nothing).
 */
export function genericRole(key: string): GenericRole | null {
  switch (key) {
    case 'sans-serif':
      return 'sans';
    case 'serif':
    case 'cursive':
    case 'fantasy':
    case 'math':
      return 'serif';
    case 'monospace':
      return 'mono';
    case 'system-ui':
      return 'ui';
    default:
      return null;
  }
}

/**
 * The system font names Debian itself answers — HyperFrames' reference machine, where nothing else
 * draws them unless HyperFrames injected its stand-in (FONT_ALIASES): Debian's own faces and the
 * names Chromium accepts as metric-compatible with them. Measured with HyperFrames 0.8.170 there, a
 * name reached only through the `font` shorthand: Arial, Helvetica, Liberation Sans → Liberation
 * Sans; Times New Roman, Times, Liberation Serif → Liberation Serif; Courier New, Courier, Liberation
 * Mono → Liberation Mono; DejaVu Sans → DejaVu Sans; Arimo, Tinos, Cousine → the Liberation face of
 * their metrics. Other system names (Verdana, Georgia, Segoe UI, …) match nothing there and the next
 * family of the list is used. (DejaVu Serif and DejaVu Sans Mono, also Debian's, are not bundled: they
 * match nothing here.)
 */
export const SYSTEM_NAMES: Readonly<Record<string, GenericRole>> = {
  arial: 'sans',
  helvetica: 'sans',
  'liberation sans': 'sans',
  'times new roman': 'serif',
  times: 'serif',
  'liberation serif': 'serif',
  'courier new': 'mono',
  courier: 'mono',
  'liberation mono': 'mono',
  'dejavu sans': 'ui',
  // Google's families of the same metrics: drawn so where the page does not get them from Google Fonts.
  arimo: 'sans',
  tinos: 'serif',
  cousine: 'mono',
};

/**
 * The family each system font name (lower case) is drawn in: HyperFrames' stand-in (FONT_ALIASES)
 * for the names in `aliased` — those a `font-family` declaration of the composition names and the page
 * does not declare itself, the only ones HyperFrames injects a face for — else Debian's own face
 * (SYSTEM_NAMES); names absent match nothing. `defaultName` is the name DEFAULT_FAMILY is installed under.
 */
export function systemNameFamilies(aliased: ReadonlySet<string>, defaultName: string = DEFAULT_FAMILY): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, role] of Object.entries(SYSTEM_NAMES)) out[name] = GENERIC_FACES[role].family;
  for (const [name, family] of Object.entries(FONT_ALIASES))
    if (aliased.has(name)) out[name] = family === DEFAULT_FAMILY ? defaultName : family;
  return out;
}

/** Chromium's font settings (CDP `Page.setFontFamilies`); `standard` is what text with no font-family gets. */
export function browserFontFamilies(): Record<'standard' | 'serif' | 'sansSerif' | 'fixed' | 'cursive' | 'fantasy' | 'math', string> {
  const { sans, serif, mono } = GENERIC_FACES;
  return {
    standard: serif.family,
    serif: serif.family,
    sansSerif: sans.family,
    fixed: mono.family,
    cursive: serif.family,
    fantasy: serif.family,
    math: serif.family,
  };
}

const require = createRequire(import.meta.url);
let generic: BundledFamily[] | undefined;

/** The four faces as installable families (under their private names). */
export function genericFamilies(): BundledFamily[] {
  generic ??= Object.entries(GENERIC_FACES).map(([role, { id, family }]) => {
    if (role !== 'ui') {
      // Liberation 1.07 as Debian has it: cut from Google's whole files (liberation.ts).
      const { version, faces } = wholeFaces(id);
      return {
        id: `${id}-liberation`,
        family,
        version,
        filesDir: path.dirname(path.dirname(faces[0]!.file)),
        weights: [400, 700],
        styles: ['normal', 'italic'],
        cut: { faces, charset: liberationCharset(role as LiberationRole) },
      };
    }
    const dir = path.dirname(require.resolve(`@fontsource/${id}/package.json`));
    const meta = JSON.parse(readFileSync(path.join(dir, 'metadata.json'), 'utf8')) as { weights: number[]; styles: string[] };
    const { version } = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string };
    return { id, family, version, filesDir: path.join(dir, 'files'), weights: meta.weights, styles: meta.styles };
  });
  return generic;
}

/**
 * `value` with DEFAULT_FAMILY put first when its first family is generic; null when it stays as it
 * is. A value starting with `var(--x, fallback)` is left alone when the document declares `--x`
 * (that declaration is rewritten itself), else decided by its fallback.
 */
export function genericPrimaryReplacement(value: string, declared: ReadonlySet<string>): string | null {
  const trimmed = value.trim();
  const variable = /^var\(\s*(--[A-Za-z0-9_-]+)\s*(?:,([\s\S]*))?\)(.*)$/i.exec(trimmed);
  if (variable) {
    if (declared.has(variable[1]!) || variable[2] === undefined || /[()]/.test(variable[2]) || /[()]/.test(variable[3]!)) return null;
    const fallback = genericPrimaryReplacement(variable[2], declared);
    return fallback === null ? null : `var(${variable[1]}, ${fallback})${variable[3]}`;
  }
  const first = splitFamilies(trimmed)[0];
  if (!first || !GENERIC_FAMILIES.has(normalizeFamily(first))) return null;
  return `${DEFAULT_FAMILY}, ${trimmed}`;
}

/** Applies the rewrite to every `font-family` and custom property of `root`; whether it changed. */
function rewriteRoot(root: Root, declared: ReadonlySet<string>): boolean {
  let changed = false;
  root.walkDecls((decl) => {
    const prop = decl.prop.toLowerCase();
    const inFontFace = decl.parent?.type === 'atrule' && (decl.parent as postcss.AtRule).name.toLowerCase() === 'font-face';
    if ((prop !== 'font-family' || inFontFace) && !decl.prop.startsWith('--')) return;
    const next = genericPrimaryReplacement(decl.value, declared);
    if (next === null) return;
    decl.value = next;
    changed = true;
  });
  return changed;
}

const parse = (css: string): Root | null => {
  try {
    return postcss.parse(css);
  } catch {
    return null;
  }
};

/**
 * HyperFrames' rewrite (see the module comment), in place: `<style>` blocks, `style` attributes and
 * `data-font-family` attributes of `document`.
 */
export function preferDefaultForGenericPrimary(document: HTMLElement): void {
  const styles = document.querySelectorAll('style');
  const styled = document.querySelectorAll('[style]');
  const declared = new Set<string>();
  for (const root of [...styles.map((s) => parse(s.innerHTML)), ...styled.map((el) => parse(`x{${el.getAttribute('style')}}`))]) {
    root?.walkDecls((decl) => {
      if (decl.prop.startsWith('--') && decl.value.trim()) declared.add(decl.prop);
    });
  }
  for (const style of styles) {
    const root = parse(style.innerHTML);
    if (root && rewriteRoot(root, declared)) style.set_content(root.toString());
  }
  for (const el of styled) {
    const root = parse(`x{${el.getAttribute('style')}}`);
    const rule = root?.first;
    if (!root || rule?.type !== 'rule' || !rewriteRoot(root, declared)) continue;
    el.setAttribute('style', (rule as postcss.Rule).nodes.map((n) => n.toString()).join('; '));
  }
  for (const el of document.querySelectorAll('[data-font-family]')) {
    const next = genericPrimaryReplacement(el.getAttribute('data-font-family') ?? '', declared);
    if (next !== null) el.setAttribute('data-font-family', next);
  }
}
