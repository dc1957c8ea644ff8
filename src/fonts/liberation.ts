/**
 * The generic families' faces as HyperFrames draws them on Debian, its reference machine: Liberation
 * Sans, Serif and Mono **1.07** (`fonts-liberation` 1:1.07.4, the package Debian's Chromium depends on),
 * not Liberation 2. Their Latin outlines and advances are those of Arimo, Tinos and Cousine, but their
 * character sets differ from the `@fontsource` subsets of those: 1.07 has arrows, math operators, box
 * drawing, blocks, shapes and card suits the Google subsets leave out, and has no Vietnamese, Hebrew or
 * extended Greek (the browser falls back to DejaVu Sans for those there), and no weight but regular and
 * bold.
 *
 * So each face is cut from Google's whole Arimo, Tinos and Cousine TrueType files (the
 * `@expo-google-fonts` packages ship them unsplit) to the character set of its Liberation 1.07 face,
 * regular, italic, bold and bold italic only: a character draws from the same outlines, and falls back
 * where it falls back there. The cut (harfbuzz's hb-subset through `subset-font`, layout features
 * kept) is made once per font directory.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { merge, type Ranges } from './cmap.js';

/** The three generic roles drawn from a Liberation 1.07 stand-in. */
export type LiberationRole = 'sans' | 'serif' | 'mono';

// fc-query's charset of each Regular face of Debian bookworm's fonts-liberation 1:1.07.4-11 (the bold
// and italic faces have the same, but for private-use code points, left out here as Arimo has none).
const SHARED =
  '20-7e a0-17f 192 1fa-1ff 218-21b 2c6-2c7 2c9 2d8-2dd 37e 384-38a 38c 38e-3a1 3a3-3ce 400-45f 490-491 1e80-1e85 1ef2-1ef3 ' +
  '2010-2011 2013-2015 2017-201e 2020-2022 2026 2030 2032-2033 2039-203a 203c 203e 2044 207f 20a3-20a4 20a7 20ac 2105 2113 ' +
  '2116 2122 2126 212e 215b-215e 2190-2195 21a8 2202 2206 220f 2211-2212 2215 2219-221a 221e-221f 2229 222b 2248 2260-2261 ' +
  '2264-2265 2302 2310 2320-2321 2500 2502 250c 2510 2514 2518 251c 2524 252c 2534 253c 2550-256c 2580 2584 2588 258c ' +
  '2590-2593 25a0-25a1 25aa-25ac 25b2 25ba 25bc 25c4 25ca-25cb 25cf 25d8-25d9 25e6 263a-263c 2640 2642 2660 2663 2665-2666 ' +
  '266a-266c fb01-fb02';
const CHARSETS: Record<LiberationRole, string> = {
  // Liberation Sans alone has U+0472–0473 (Cyrillic fita).
  sans: `${SHARED} 472-473`,
  serif: SHARED,
  mono: SHARED,
};

/** The character set of the Liberation 1.07 face of `role`, as ranges. */
export function liberationCharset(role: LiberationRole): Ranges {
  return merge(
    CHARSETS[role].split(' ').map((part): [number, number] => {
      const [a, b = a] = part.split('-').map((hex) => Number.parseInt(hex, 16));
      return [a!, b!];
    }),
  );
}

const FACES = [
  { dir: '400Regular', weight: 400, style: 'normal' },
  { dir: '400Regular_Italic', weight: 400, style: 'italic' },
  { dir: '700Bold', weight: 700, style: 'normal' },
  { dir: '700Bold_Italic', weight: 700, style: 'italic' },
] as const;

/** One whole TrueType file a stand-in is cut from. */
export interface WholeFace {
  /** Absolute path of the `.ttf`. */
  file: string;
  weight: 400 | 700;
  style: 'normal' | 'italic';
}

const require = createRequire(import.meta.url);

/** The `@expo-google-fonts/<name>` package (`arimo`, `tinos`, `cousine`): its version and the four whole files. */
export function wholeFaces(name: string): { version: string; faces: WholeFace[] } {
  const dir = path.dirname(require.resolve(`@expo-google-fonts/${name}/package.json`));
  const { version } = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string };
  const title = name[0]!.toUpperCase() + name.slice(1);
  return {
    version,
    faces: FACES.map(({ dir: sub, weight, style }) => ({ file: path.join(dir, sub, `${title}_${sub}.ttf`), weight, style })),
  };
}

/** `font` (a whole TrueType file) cut to the code points of `charset`, as TrueType. */
export async function cutFont(font: Buffer, charset: Ranges): Promise<Buffer> {
  const { default: subsetFont } = await import('subset-font');
  let text = '';
  for (const [a, b] of charset) for (let cp = a; cp <= b; cp++) text += String.fromCodePoint(cp);
  return subsetFont(font, text, { targetFormat: 'truetype' });
}
