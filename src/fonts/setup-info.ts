/**
 * The font setup of this machine as a render sees it, for `framesmith doctor`: the font directory
 * (fontconfig.ts), the bundled families (catalog.ts), how they reach the browser (delivery.ts), the fallback chain in order (fallback.ts; the
 * document's language moves its CJK face first), the machine's font directories (the very last
 * resort) and the Google Fonts endpoint (google.ts).
 */
import { access, constants, mkdir, readdir } from 'node:fs/promises';
import { EMOJI_FAMILY, bundledFamilies } from './catalog.js';
import { fontDelivery, type FontDelivery } from './delivery.js';
import { fallbackChain } from './fallback.js';
import { MACHINE_DIRS, fontDir } from './fontconfig.js';
import { googleFontsBase } from './google.js';

/** The font setup `framesmith doctor` reports (from fontSetupInfo). */
export interface FontSetupInfo {
  /** Where faces are decompressed for the browser. */
  dir: string;
  /** Whether it can be written (else each render uses a directory under the system's temp directory). */
  writable: boolean;
  /** The bundled families, emoji included. */
  bundled: number;
  /** How the faces reach the browser here: a fontconfig file (Linux) or web fonts (delivery.ts). */
  delivery: FontDelivery;
  /** The fallback chain's families, in order (for a document with no CJK language). */
  chain: string[];
  /** The machine's font directories that exist, and how many font files they hold: drawn from last. */
  machine: Array<{ dir: string; files: number }>;
  /** The css2 endpoint families framesmith does not bundle are fetched from. */
  googleFonts: string;
}

const FONT_FILE = /\.(ttf|otf|ttc|otc|pfb|woff2?)$/i;

/**
 * The font setup (see the module comment). Throws when a bundled or chain package is missing, or
 * `FRAMESMITH_FONT_DELIVERY` holds neither `web` nor `fontconfig`.
 */
export async function fontSetupInfo(env: NodeJS.ProcessEnv = process.env): Promise<FontSetupInfo> {
  const delivery = fontDelivery(process.platform, env);
  const dir = fontDir(env);
  const writable = await mkdir(dir, { recursive: true })
    .then(() => access(dir, constants.W_OK))
    .then(
      () => true,
      () => false,
    );
  const chain = [...new Set(fallbackChain().map((e) => e.pkg.family))];
  const machine: FontSetupInfo['machine'] = [];
  for (const d of MACHINE_DIRS) {
    const entries = await readdir(d, { recursive: true }).catch(() => null);
    if (entries) machine.push({ dir: d, files: entries.filter((f) => FONT_FILE.test(f)).length });
  }
  return { dir, writable, bundled: bundledFamilies().size, delivery, chain, machine, googleFonts: googleFontsBase(env) };
}

/** One line of it: font dir, bundled families and their delivery, the chain, then the machine's fonts, last. */
export function describeFontSetup(info: FontSetupInfo): string {
  const machine = info.machine.length === 0 ? 'none' : info.machine.map((m) => `${m.files} in ${m.dir}`).join(', ');
  return (
    `font dir ${info.dir}${info.writable ? '' : ' (not writable: a temporary directory is used)'}; ${info.bundled} bundled families (${EMOJI_FAMILY} among them), ` +
    `${info.delivery === 'web' ? 'given to the browser as web fonts' : 'given to the browser through fontconfig'}; ` +
    `fallback chain: ${info.chain.join(' → ')} (the document's language puts its CJK face first); ` +
    `then this machine's fonts, last (${machine}); families not bundled from ${info.googleFonts}`
  );
}
