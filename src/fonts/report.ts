/**
 * What a render reports of its fonts (`RenderResult.fonts`, `--json`): every family the composition
 * names and the face that draws it, then every face of the fallback chain the render installed, then
 * each family whose characters a machine font drew.
 *
 * `source`:
 * - `bundled`: a face framesmith ships — the family itself, the stand-in of a system font name (Arial →
 *   Inter where a `font-family` names it, else Debian's face: usage.ts resolveInUsage), or a generic
 *   family's face (`sans-serif` → Arimo);
 * - `google`: downloaded from Google Fonts (google.ts), through the remote cache;
 * - `project`: an `@font-face` of the composition (its own files, `framesmith fonts add`, a remote
 *   stylesheet it links);
 * - `fallback`: a family nothing provides, drawn in `face` instead (a `font_fallback` warning says so),
 *   or a face of the fallback chain (fallback.ts) drawing characters the named families lack;
 * - `machine`: characters of `family` no face of framesmith covers, drawn from a font of the machine
 *   (a `font_fallback` warning says so): another machine may draw them otherwise.
 */
import type { RenderWarning } from '../warnings.js';
import { normalizeFamily } from './catalog.js';
import type { ResolvedFont } from './resolved-font.js';
import { parseUnit } from './fallback.js';
import { GENERIC_FACES, genericRole } from './generic.js';
import { type FontUsage, resolveInUsage } from './usage.js';

/** The face a machine-font entry names. */
export const MACHINE_FACE = "this machine's fonts";

const unquote = (name: string) =>
  name
    .trim()
    .replace(/^(['"])(.*)\1$/, '$2')
    .trim();

/**
 * The report of the families `usage` names (`google`: the normalized families fetched from Google
 * Fonts) and of the fallback units `installed` holds, before the page loads.
 */
export function fontReport(usage: FontUsage, google: ReadonlySet<string>, installed: readonly string[]): ResolvedFont[] {
  const out = new Map<string, ResolvedFont>();
  const add = (entry: ResolvedFont) => {
    const key = `${normalizeFamily(entry.family)}\0${entry.source}`;
    if (!out.has(key)) out.set(key, entry);
  };
  for (const list of usage.lists) {
    const decided = list.map((name) => decide(unquote(name), usage, google));
    // A family nothing provides is drawn in the list's first face that resolves (else the browser's standard one).
    const used = decided.find((d) => d && d.source !== 'fallback')?.face ?? GENERIC_FACES.serif.shown;
    for (const d of decided) if (d) add(d.source === 'fallback' ? { ...d, face: used } : d);
  }
  for (const name of usage.mentioned) {
    const r = resolveInUsage(name, usage);
    if (r.kind === 'system') add({ family: name, face: GENERIC_FACES[r.role].shown, source: 'bundled' });
    else if (r.kind !== 'unknown') add({ family: r.family, face: r.family, source: 'bundled' });
  }
  for (const name of installed) {
    const unit = parseUnit(name);
    if (unit) add({ family: unit.pkg.family, face: unit.pkg.family, source: 'fallback' });
  }
  return [...out.values()];
}

/** One family's decision; null for a generic name the browser does not resolve (it matches nothing). */
function decide(family: string, usage: FontUsage, google: ReadonlySet<string>): ResolvedFont | null {
  const key = normalizeFamily(family);
  if (usage.declared.has(key)) return { family, face: family, source: google.has(key) ? 'google' : 'project' };
  const r = resolveInUsage(family, usage);
  if (r.kind === 'system') return { family, face: GENERIC_FACES[r.role].shown, source: 'bundled' };
  if (r.kind === 'generic' && key !== 'emoji') {
    const role = genericRole(key);
    return role ? { family, face: GENERIC_FACES[role].shown, source: 'bundled' } : null;
  }
  if (r.kind !== 'unknown') return { family, face: r.family, source: 'bundled' };
  return { family, face: '', source: 'fallback' };
}

/**
 * The render's report: `loaded` (fontReport, from the load), the fallback faces of `installed` it
 * lacks (units installed once the page had loaded), and a `machine` entry per family whose characters
 * the machine's fonts drew (the `font_fallback` warnings carrying `font`).
 */
export function reportedFonts(
  loaded: readonly ResolvedFont[],
  warnings: readonly RenderWarning[],
  installed: readonly string[] = [],
): ResolvedFont[] {
  const out = [...loaded];
  for (const name of installed) {
    const unit = parseUnit(name);
    if (unit && !out.some((e) => e.source === 'fallback' && e.family === unit.pkg.family))
      out.push({ family: unit.pkg.family, face: unit.pkg.family, source: 'fallback' });
  }
  for (const w of warnings) {
    if (w.font?.source !== 'machine') continue;
    const entry = out.find((e) => e.source === 'machine' && normalizeFamily(e.family) === normalizeFamily(w.font!.family));
    if (entry) entry.characters = [...new Set([...(entry.characters ?? ''), ...(w.font.characters ?? '')])].join('');
    else out.push({ ...w.font });
  }
  return out;
}
