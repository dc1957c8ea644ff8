/**
 * What holds of fonts on the machine a render runs on. framesmith hands the browser its faces through
 * a fontconfig file (src/fonts/fontconfig.ts): Chromium reads it on Linux only. On macOS (Core Text)
 * and Windows (DirectWrite) the browser picks bundled, generic and fallback families from the
 * machine's own fonts, so the render's pixels may differ from a Linux render's; faces the page
 * declares with `@font-face` (the project's, `framesmith fonts add`, Google Fonts) are the same files
 * everywhere.
 */
import type { RenderWarning } from '../warnings.js';

/**
 * The `font_fallback` warning a render on `platform` gets when it relies on `families` (bundled
 * families and fallback units it would install) that the browser there cannot be given; null on Linux
 * or when the render installs none.
 */
export function platformFontsWarning(platform: NodeJS.Platform, families: readonly string[]): RenderWarning | null {
  if (platform === 'linux' || families.length === 0) return null;
  const system = platform === 'darwin' ? 'macOS' : platform === 'win32' ? 'Windows' : platform;
  const shown = families.slice(0, 5).join(', ') + (families.length > 5 ? `, … (${families.length} in all)` : '');
  return {
    code: 'font_fallback',
    message: `on ${system} the browser takes fonts from this machine, not from framesmith's set: ${shown} may be drawn in other faces than on Linux; for the same pixels everywhere, vendor the families with \`framesmith fonts add\` (or @font-face) or render on Linux`,
  };
}
