/**
 * What stays machine-dependent of a render's fonts, by delivery (delivery.ts).
 *
 * - `fontconfig` on Linux: nothing framesmith decides on; the machine's fonts draw only characters no
 *   face of framesmith covers (glyph-check.ts says so, per character).
 * - `fontconfig` elsewhere (forced): the browser reads no fontconfig and picks bundled, generic and
 *   fallback families from the machine's own fonts.
 * - `web` (every other system): framesmith's faces are web fonts and the page's lists name them
 *   (web-stacks.ts, web-runtime.ts), so the machine's fonts draw only what no list reaches: a family
 *   nothing provides (no bundled face, alias, `@font-face` or Google Fonts), which the system's lookup
 *   may find among its own fonts (its warning says so), and what the rewrite does not reach (rules a
 *   script inserts through the CSSOM, `OffscreenCanvas` text). Faces the page declares with
 *   `@font-face` (the project's, `framesmith fonts add`, Google Fonts) are the same files everywhere.
 */
import type { RenderWarning } from '../warnings.js';
import type { FontDelivery } from './delivery.js';

const systemName = (platform: NodeJS.Platform) =>
  platform === 'darwin' ? 'macOS' : platform === 'win32' ? 'Windows' : platform === 'linux' ? 'Linux' : platform;

const listed = (names: readonly string[]) =>
  names
    .slice(0, 5)
    .map((n) => `"${n}"`)
    .join(', ') + (names.length > 5 ? `, … (${names.length} in all)` : '');

/**
 * What the `font_fallback` warning of a family nothing provides adds under `delivery` (see the module
 * comment): under `web`, that a font of the machine of that name is drawn where it has one; else nothing.
 */
export function unprovidedNote(delivery: FontDelivery): string {
  return delivery === 'web' ? '; with web font delivery, a font of this machine of that name is drawn instead where it has one' : '';
}

/**
 * The `font_fallback` warning a render gets on `platform` under `delivery` when the browser cannot be
 * given the faces of `installed` (bundled families and fallback units): `fontconfig` outside Linux;
 * null otherwise (the families nothing provides have their own warnings: `unprovidedNote`).
 */
export function platformFontsWarning(
  delivery: FontDelivery,
  platform: NodeJS.Platform,
  installed: readonly string[],
): RenderWarning | null {
  if (delivery === 'web' || platform === 'linux' || installed.length === 0) return null;
  return {
    code: 'font_fallback',
    message: `on ${systemName(platform)} the browser reads no fontconfig and takes fonts from this machine, not from framesmith's set: ${listed(installed)} may be drawn in other faces than on Linux; unset FRAMESMITH_FONT_DELIVERY to give them as web fonts`,
  };
}
