/**
 * The fonts a render can use, and what every family name a composition writes resolves to.
 *
 * Bundled faces come from npm (`@fontsource/*`, dependencies of framesmith), so a render needs no
 * network and every machine draws the same glyphs. No family name reaches a font of the machine it
 * runs on (fontconfig.ts on Linux, web fonts elsewhere: delivery.ts); characters no family has come
 * from the fallback chain (fallback.ts).
 *
 * A family name resolves, case-insensitively, to:
 * - itself, when it is bundled (`BUNDLED_IDS`: Inter, Roboto, Open Sans, Montserrat, JetBrains Mono…);
 * - `DEFAULT_FAMILY` (Inter), for the generic families and the system UI names (`sans-serif`, `serif`,
 *   `monospace`, `system-ui`, `-apple-system`, …) first in a list: HyperFrames puts Inter before them
 *   (src/fonts/generic.ts has the rule and the faces the browser draws for them otherwise);
 * - the face HyperFrames substitutes for the usual system fonts (`FONT_ALIASES`: Arial and Helvetica
 *   to Inter, Courier New and Menlo to JetBrains Mono, Times New Roman and Georgia to EB Garamond, …;
 *   Impact, which HyperFrames does not alias, is unknown);
 * - nothing, otherwise: the page must declare it with `@font-face`, else the next family of the list
 *   is used (a warning says so, see src/fonts/usage.ts).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Ranges } from './cmap.js';
import type { WholeFace } from './liberation.js';

/** The `@fontsource` packages framesmith ships (their ids). */
export const BUNDLED_IDS = [
  'inter',
  'roboto',
  'open-sans',
  'lato',
  'montserrat',
  'poppins',
  'raleway',
  'nunito',
  'outfit',
  'oswald',
  'rubik',
  'work-sans',
  'dm-sans',
  'manrope',
  'source-sans-3',
  'space-grotesk',
  'archivo-black',
  'league-gothic',
  'merriweather',
  'lora',
  'playfair-display',
  'eb-garamond',
  'jetbrains-mono',
  'ibm-plex-mono',
  'source-code-pro',
  'roboto-mono',
  'fira-code',
  'space-mono',
  // The families HyperFrames users name most that the list above lacked (issue 18).
  'bebas-neue',
  'anton',
  'source-serif-4',
  'instrument-serif',
  'libre-baskerville',
  'plus-jakarta-sans',
  'geist',
  'press-start-2p',
  'libre-franklin',
  'figtree',
  'gabarito',
  'roboto-flex',
  'rethink-sans',
  'dm-mono',
  'caveat',
  'noto-color-emoji',
] as const;

/** What generic families and system UI names become. */
export const DEFAULT_FAMILY = 'Inter';
/** The face emoji fall back to, whatever family asked for them. */
export const EMOJI_FAMILY = 'Noto Color Emoji';

/** CSS generic families and system UI names (lower case). */
export const GENERIC_FAMILIES = new Set([
  'sans-serif',
  'serif',
  'monospace',
  'cursive',
  'fantasy',
  'system-ui',
  'ui-sans-serif',
  'ui-serif',
  'ui-monospace',
  'ui-rounded',
  'math',
  'fangsong',
  '-apple-system',
  'blinkmacsystemfont',
  'emoji',
]);

/**
 * System font names and the bundled face that stands in for each (lower case → family): HyperFrames
 * 0.8.170's alias map (its `FONT_ALIAS_MAP`), name for name — a name it does not alias (Impact, …) is
 * not aliased here either — except `bebas neue`, which is bundled as itself, plus the emoji names.
 */
export const FONT_ALIASES: Readonly<Record<string, string>> = {
  arial: 'Inter',
  helvetica: 'Inter',
  'helvetica neue': 'Inter',
  'helvetica bold': 'Inter',
  verdana: 'Inter',
  tahoma: 'Inter',
  'trebuchet ms': 'Inter',
  calibri: 'Inter',
  candara: 'Inter',
  corbel: 'Inter',
  'lucida sans': 'Inter',
  'lucida sans unicode': 'Inter',
  'segoe ui': 'Roboto',
  'sf pro': 'Inter',
  'sf pro display': 'Inter',
  'sf pro text': 'Inter',
  'sf pro rounded': 'Inter',
  avenir: 'Inter',
  'avenir next': 'Inter',
  optima: 'Inter',
  'noto sans': 'Inter',
  'dejavu sans': 'Inter',
  'liberation sans': 'Inter',
  'lucida grande': 'Inter',
  geneva: 'Inter',
  'arial black': 'Montserrat',
  futura: 'Montserrat',
  'din alternate': 'Montserrat',
  'courier new': 'JetBrains Mono',
  courier: 'JetBrains Mono',
  menlo: 'JetBrains Mono',
  monaco: 'JetBrains Mono',
  consolas: 'JetBrains Mono',
  'sf mono': 'JetBrains Mono',
  'lucida console': 'JetBrains Mono',
  'dejavu sans mono': 'JetBrains Mono',
  'liberation mono': 'JetBrains Mono',
  'lucida sans typewriter': 'JetBrains Mono',
  'andale mono': 'JetBrains Mono',
  'times new roman': 'EB Garamond',
  times: 'EB Garamond',
  georgia: 'EB Garamond',
  palatino: 'EB Garamond',
  'palatino linotype': 'EB Garamond',
  cambria: 'EB Garamond',
  garamond: 'EB Garamond',
  'book antiqua': 'EB Garamond',
  'liberation serif': 'EB Garamond',
  'dejavu serif': 'EB Garamond',
  'apple color emoji': EMOJI_FAMILY,
  'segoe ui emoji': EMOJI_FAMILY,
};

/** One `@fontsource` package framesmith ships, as its metadata.json and package.json describe it. */
export interface BundledFamily {
  /** The `@fontsource` id, e.g. `open-sans`. */
  id: string;
  /** The family name, e.g. `Open Sans`. */
  family: string;
  version: string;
  /** Directory of the package's font files. */
  filesDir: string;
  /** The weights it ships (e.g. 400, 700) and its styles (`normal`, `italic`). */
  weights: number[];
  styles: string[];
  /**
   * Set for a face made from whole TrueType files cut to a character set instead of the package's WOFF2
   * files: the generic families' Liberation 1.07 stand-ins (liberation.ts). `id` then names the cut.
   */
  cut?: { faces: WholeFace[]; charset: Ranges };
}

const require = createRequire(import.meta.url);
let catalog: Map<string, BundledFamily> | undefined;

/** Every bundled family, by lower-case family name. */
export function bundledFamilies(): Map<string, BundledFamily> {
  if (catalog) return catalog;
  catalog = new Map();
  for (const id of BUNDLED_IDS) {
    const dir = path.dirname(require.resolve(`@fontsource/${id}/package.json`));
    const meta = JSON.parse(readFileSync(path.join(dir, 'metadata.json'), 'utf8')) as {
      family: string;
      weights: number[];
      styles: string[];
    };
    const { version } = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string };
    catalog.set(meta.family.toLowerCase(), {
      id,
      family: meta.family,
      version,
      filesDir: path.join(dir, 'files'),
      weights: meta.weights,
      styles: meta.styles,
    });
  }
  return catalog;
}

/** `"Open Sans"` / `'open sans'` / `open sans` → `open sans`. */
export function normalizeFamily(name: string): string {
  return name
    .trim()
    .replace(/^(['"])(.*)\1$/, '$2')
    .trim()
    .toLowerCase()
    .replace(/\s+/g, ' ');
}

/**
 * What a family name resolves to: a bundled family, the face of a generic name (DEFAULT_FAMILY, or
 * EMOJI_FAMILY for `emoji`), an alias's stand-in, or `unknown` (nothing bundled provides it).
 */
export type FamilyResolution = { kind: 'bundled' | 'generic' | 'alias'; family: string } | { kind: 'unknown' };

/** What `name` resolves to (see the module comment); declared `@font-face` families are the caller's. */
export function resolveFamily(name: string): FamilyResolution {
  const key = normalizeFamily(name);
  const bundled = bundledFamilies().get(key);
  if (bundled) return { kind: 'bundled', family: bundled.family };
  if (GENERIC_FAMILIES.has(key)) return { kind: 'generic', family: key === 'emoji' ? EMOJI_FAMILY : DEFAULT_FAMILY };
  const alias = FONT_ALIASES[key];
  if (alias) return { kind: 'alias', family: alias };
  return { kind: 'unknown' };
}

/** Splits a family list at commas outside quotes. */
export function splitFamilies(value: string): string[] {
  const out: string[] = [];
  let current = '';
  let quote: string | null = null;
  for (const ch of value) {
    if (quote) {
      if (ch === quote) quote = null;
      current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      current += ch;
    } else if (ch === ',') {
      out.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  out.push(current);
  return out.map((f) => f.trim()).filter(Boolean);
}
