/**
 * The fonts the browser sees: only bundled faces, through a fontconfig configuration of our own
 * (`FONTCONFIG_FILE` for the browser process). Nothing of the machine's fonts is visible, so a
 * family resolves the same everywhere, in CSS, in canvas text, and for text with no font-family.
 *
 * fontconfig reads TrueType, not the WOFF2 files `@fontsource` ships, so each family used is
 * decompressed once (wawoff2, ~1 ms a file) into the font directory, `<dir>/faces/<id>@<version>/`,
 * written under a temporary name and renamed into place (concurrent renders share it safely). The
 * configuration lists those directories and maps every generic family and system UI name to
 * `DEFAULT_FAMILY`, every system font name of `FONT_ALIASES` to its stand-in, and lets emoji fall back
 * to `EMOJI_FAMILY`; glyphs are antialiased in grey with no hinting (no machine-dependent rendering
 * setting applies).
 *
 * The font directory: `FRAMESMITH_FONT_DIR`, else `$XDG_CACHE_HOME/framesmith/fonts` (else
 * `~/.cache/framesmith/fonts`); when that cannot be written, a directory under the system's temp
 * directory.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { bundledFamilies, DEFAULT_FAMILY, EMOJI_FAMILY, FONT_ALIASES, GENERIC_FAMILIES, type BundledFamily } from './catalog.js';

export interface FontSetup {
  /** The fontconfig file to give the browser (`FONTCONFIG_FILE`). */
  configFile: string;
  /** The bundled families it holds. */
  families: string[];
}

/** The font directory (see the module comment). */
export function fontDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FRAMESMITH_FONT_DIR) return path.resolve(env.FRAMESMITH_FONT_DIR);
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'framesmith', 'fonts');
}

const prepared = new Map<string, Promise<FontSetup>>();

/**
 * A fontconfig file holding `families` (bundled family names; unknown names are ignored) and always
 * `DEFAULT_FAMILY`, `EMOJI_FAMILY` and the alias targets' families that `families` needs.
 */
export function prepareFonts(families: Iterable<string>, dir = fontDir()): Promise<FontSetup> {
  const catalog = bundledFamilies();
  const wanted = new Map<string, BundledFamily>();
  for (const name of [DEFAULT_FAMILY, EMOJI_FAMILY, ...families]) {
    const face = catalog.get(name.toLowerCase());
    if (face) wanted.set(face.id, face);
  }
  const faces = [...wanted.values()].sort((a, b) => a.id.localeCompare(b.id));
  const key = `${dir}\0${faces.map((f) => `${f.id}@${f.version}`).join(',')}`;
  let setup = prepared.get(key);
  if (!setup) {
    setup = writableDir(dir).then((root) => build(root, faces));
    setup.catch(() => prepared.delete(key));
    prepared.set(key, setup);
  }
  return setup;
}

async function writableDir(dir: string): Promise<string> {
  try {
    await mkdir(dir, { recursive: true });
    const probe = path.join(dir, `.probe-${process.pid}-${randomBytes(4).toString('hex')}`);
    await writeFile(probe, '');
    await rm(probe, { force: true });
    return dir;
  } catch {
    const fallback = path.join(os.tmpdir(), `framesmith-fonts-${os.userInfo().uid}`);
    await mkdir(fallback, { recursive: true });
    return fallback;
  }
}

async function build(root: string, faces: BundledFamily[]): Promise<FontSetup> {
  const dirs = await Promise.all(faces.map(async (face) => ({ dir: await installFace(root, face), family: face.family })));
  const config = configText(dirs, path.join(root, 'fc-cache'));
  const configFile = path.join(root, 'conf', `${createHash('sha256').update(config).digest('hex').slice(0, 16)}.conf`);
  if (!(await stat(configFile).catch(() => null))) await writeAtomically(configFile, config);
  return { configFile, families: faces.map((f) => f.family) };
}

// wawoff2's WebAssembly decoder is not reentrant: concurrent calls corrupt each other's buffers
// ("Invalid typed array length"), and its result is a view of the decoder's memory that the next call
// may detach. So every decompression waits for the one before, and its bytes are copied out at once.
let decoding: Promise<unknown> = Promise.resolve();
async function decompressWoff2(data: Buffer): Promise<Buffer> {
  const { decompress } = await import('wawoff2');
  const run = decoding.then(async () => Buffer.from(await decompress(data)));
  decoding = run.catch(() => {});
  return run;
}

/** The face's TrueType directory, decompressing its WOFF2 files the first time. */
async function installFace(root: string, face: BundledFamily): Promise<string> {
  const dir = path.join(root, 'faces', `${face.id}@${face.version}`);
  if (await stat(dir).catch(() => null)) return dir;
  const temp = `${dir}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  await mkdir(temp, { recursive: true });
  try {
    for (const file of (await readdir(face.filesDir)).filter((f) => f.endsWith('.woff2'))) {
      const ttf = await decompressWoff2(await readFile(path.join(face.filesDir, file)));
      await writeFile(path.join(temp, file.replace(/\.woff2$/, '.ttf')), ttf);
    }
    await rename(temp, dir);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    // Another render installed it first: theirs is as good.
    if (await stat(dir).catch(() => null)) return dir;
    throw error;
  }
  return dir;
}

async function writeAtomically(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  await writeFile(temp, text);
  await rename(temp, file);
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function alias(name: string, family: string): string {
  return `  <alias binding="strong"><family>${xml(name)}</family><prefer><family>${xml(family)}</family></prefer></alias>`;
}

function configText(dirs: Array<{ dir: string; family: string }>, cacheDir: string): string {
  return [
    '<?xml version="1.0"?>',
    '<!DOCTYPE fontconfig SYSTEM "fonts.dtd">',
    '<!-- framesmith: only bundled faces (src/fonts/fontconfig.ts) -->',
    '<fontconfig>',
    ...dirs.map((d) => `  <dir>${xml(d.dir)}</dir>`),
    // Many @fontsource files name their family after the variable font's default instance
    // ("Montserrat Thin", "DM Sans 9pt"): every face of a directory gets its catalog family.
    ...dirs.map((d) => `  <match target="scan"><test name="file" compare="contains"><string>${xml(d.dir)}/</string></test>`
      + `<edit name="family" mode="assign_replace"><string>${xml(d.family)}</string></edit></match>`),
    `  <cachedir>${xml(cacheDir)}</cachedir>`,
    ...[...GENERIC_FAMILIES].map((g) => alias(g, g === 'emoji' ? EMOJI_FAMILY : DEFAULT_FAMILY)),
    // The names the browser itself asks fontconfig for: its UI font (system-ui) is "sans".
    ...['sans', 'mono', 'sans serif'].map((name) => alias(name, DEFAULT_FAMILY)),
    ...Object.entries(FONT_ALIASES).map(([name, family]) => alias(name, family)),
    // Emoji fall back to the emoji face whatever family asked for them.
    `  <match target="pattern"><edit name="family" mode="append"><string>${xml(EMOJI_FAMILY)}</string></edit></match>`,
    '  <match target="font"><edit name="antialias" mode="assign"><bool>true</bool></edit><edit name="hinting" mode="assign"><bool>false</bool></edit>'
      + '<edit name="autohint" mode="assign"><bool>false</bool></edit><edit name="rgba" mode="assign"><const>none</const></edit>'
      + '<edit name="lcdfilter" mode="assign"><const>lcdnone</const></edit></match>',
    '</fontconfig>',
    '',
  ].join('\n');
}
