/**
 * The fonts the browser sees: bundled faces, through a fontconfig configuration of our own
 * (`FONTCONFIG_FILE` for the browser process). No family name reaches the machine's fonts, so a
 * family resolves the same everywhere, in CSS, in canvas text, and for text with no font-family; the
 * machine's fonts only draw what no bundled face covers (below).
 *
 * fontconfig reads TrueType, not the WOFF2 files `@fontsource` ships, so each family used is
 * decompressed once (wawoff2, ~1 ms a file) into the font directory, `<dir>/faces/<id>@<version>/`,
 * written under a temporary name and renamed into place (concurrent renders share it safely). The
 * configuration lists those directories and maps the generic families Chromium resolves to the faces
 * HyperFrames draws for them (generic.ts; always installed), every system font name to its stand-in or
 * Debian's face (`ALIASED_PREFIX`), and lets emoji fall back
 * to `EMOJI_FAMILY`; glyphs are antialiased in grey with no hinting (no machine-dependent rendering
 * setting applies).
 *
 * A character no face of its family has is then drawn from, in order: `EMOJI_FAMILY`, the other
 * bundled faces installed (`DEFAULT_FAMILY` first), the fallback units installed (fallback.ts: the chain's subsets the text needs, `<dir>/faces/<id>@<version>-<subset>/`,
 * the CJK family of the element's language first), and last the machine's own fonts. Those are listed
 * under one family name of ours (`MACHINE_FAMILY`) with no language and no full or PostScript name, so
 * no CSS name, `local()` or language preference reaches them: they draw only what no bundled face
 * covers.
 *
 * The font directory: `FRAMESMITH_FONT_DIR`, else `$XDG_CACHE_HOME/framesmith/fonts` (else
 * `~/.cache/framesmith/fonts`); when that cannot be written, a directory under the system's temp
 * directory.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { bundledFamilies, DEFAULT_FAMILY, EMOJI_FAMILY, GENERIC_FAMILIES, type BundledFamily } from './catalog.js';
import { subsetFiles } from './coverage.js';
import { fallbackChain, parseUnit, unitName, type FallbackUnit } from './fallback.js';
import { GENERIC_FACES, genericFamilies, genericRole, systemNameFamilies } from './generic.js';
import { installCut, installInto } from './face-dirs.js';

/** The one family the machine's fonts are listed under (see the module comment). */
export const MACHINE_FAMILY = 'framesmith machine fonts';
/**
 * The name `DEFAULT_FAMILY` is installed under when nothing asked for it by name: it still draws what
 * the requested faces lack (first of the bundled faces), but CSS naming Inter that the composition's
 * stylesheets did not (a stack a script makes at run time, e.g. the Tailwind CDN's `--font-sans:
 * Inter, …`) does not reach it, as HyperFrames injects no Inter then and the browser draws the next family.
 */
export const UNNAMED_DEFAULT_FAMILY = 'framesmith default fallback';
/**
 * `aliased:<name>` in prepareFonts' list: the system name `<name>` (a key of `FONT_ALIASES`) is drawn in
 * HyperFrames' stand-in, because a `font-family` declaration of the composition names it and the page
 * does not declare it (usage.ts aliasedNames). Every other system name is what Debian draws for it, or
 * nothing (generic.ts systemNameFamilies): HyperFrames injects no face for a name it does not read
 * (the `font` shorthand, scripts, canvas), nor for one the page declares, whose faces may all fail
 * (`local("SF Pro Display")` on Linux) — Chromium then looks the name up among the platform's fonts.
 */
export const ALIASED_PREFIX = 'aliased:';
/**
 * `declared:<name>` in prepareFonts' list: the page declares the system name `<name>` itself with
 * `@font-face`. The web delivery then leaves the name in font lists for the page's faces; fontconfig
 * needs nothing (the page's faces come before any lookup among the platform's fonts).
 */
export const DECLARED_PREFIX = 'declared:';
/** Where Linux and macOS keep fonts; missing ones are skipped. */
export const MACHINE_DIRS = [
  '/usr/share/fonts',
  '/usr/local/share/fonts',
  path.join(os.homedir(), '.local/share/fonts'),
  path.join(os.homedir(), '.fonts'),
  '/System/Library/Fonts',
  '/Library/Fonts',
  path.join(os.homedir(), 'Library/Fonts'),
];

/** A prepared fontconfig configuration (from prepareFonts) and the families and units it installs. */
export interface FontSetup {
  /** The fontconfig file to give the browser (`FONTCONFIG_FILE`). */
  configFile: string;
  /** The bundled families it holds. */
  families: string[];
  /** The fallback units it holds (`fallback:<id>:<subset>`). */
  fallback: string[];
}

/** The font directory (see the module comment). */
export function fontDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FRAMESMITH_FONT_DIR) return path.resolve(env.FRAMESMITH_FONT_DIR);
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'framesmith', 'fonts');
}

const prepared = new Map<string, Promise<FontSetup>>();

/**
 * A fontconfig file holding `families` (bundled family names and fallback units; unknown names are
 * ignored) and always `DEFAULT_FAMILY`, `EMOJI_FAMILY` and the alias targets' families that `families`
 * needs. `lang` (the document's) orders the CJK fallbacks.
 */
export function prepareFonts(families: Iterable<string>, dir = fontDir(), lang?: string): Promise<FontSetup> {
  const { faces, units: fallback, defaultNamed, aliased } = installedFaces(families);
  const key = `${dir}\0${faces.map((f) => `${f.id}@${f.version}`).join(',')}\0${fallback.map(unitName).join(',')}\0${lang ?? ''}\0${defaultNamed}\0${aliased.join(',')}`;
  let setup = prepared.get(key);
  if (!setup) {
    setup = writableDir(dir).then((root) => build(root, faces, fallback, lang, defaultNamed, new Set(aliased)));
    setup.catch(() => prepared.delete(key));
    prepared.set(key, setup);
  }
  return setup;
}

/** What a list of prepareFonts (or webFontPlan, web-fonts.ts) installs, each sorted by id or name. */
export interface InstalledFaces {
  /** The bundled faces: the generic families' (always), `DEFAULT_FAMILY`, `EMOJI_FAMILY` and those named. */
  faces: BundledFamily[];
  /** The fallback units named. */
  units: FallbackUnit[];
  /** Whether the list names `DEFAULT_FAMILY` (else it is installed as `UNNAMED_DEFAULT_FAMILY`). */
  defaultNamed: boolean;
  /** The system names of its `aliased:` entries. */
  aliased: string[];
  /** The system names of its `declared:` entries. */
  declared: string[];
}

/** What `families` (bundled family names, fallback units, `aliased:` and `declared:` names; others ignored) installs. */
export function installedFaces(families: Iterable<string>): InstalledFaces {
  const catalog = bundledFamilies();
  const wanted = new Map<string, BundledFamily>();
  const units = new Map<string, FallbackUnit>();
  const asked = [...families];
  // The generic families' faces are always there: the browser may reach them from any text.
  for (const face of genericFamilies()) wanted.set(face.id, face);
  for (const name of [DEFAULT_FAMILY, EMOJI_FAMILY, ...asked]) {
    const face = catalog.get(name.toLowerCase());
    if (face) wanted.set(face.id, face);
    const unit = parseUnit(name);
    if (unit) units.set(unitName(unit), unit);
  }
  return {
    faces: [...wanted.values()].sort((a, b) => a.id.localeCompare(b.id)),
    units: [...units.values()].sort((a, b) => unitName(a).localeCompare(unitName(b))),
    defaultNamed: asked.some((name) => name.toLowerCase() === DEFAULT_FAMILY.toLowerCase()),
    aliased: prefixed(asked, ALIASED_PREFIX),
    declared: prefixed(asked, DECLARED_PREFIX),
  };
}

/** The names of `asked` that start with `prefix`, without it, sorted. */
function prefixed(asked: readonly string[], prefix: string): string[] {
  return asked
    .filter((name) => name.startsWith(prefix))
    .map((name) => name.slice(prefix.length))
    .sort();
}

/**
 * The families of `faces` that every text falls back to, in order: `DEFAULT_FAMILY` first, then by
 * name; not the emoji face (appended on its own) nor the generic families' private faces.
 */
export function fallbackFamilies(faces: readonly BundledFamily[]): string[] {
  const privateFaces = new Set(genericFamilies().map((f) => f.family));
  return faces
    .map((f) => f.family)
    .filter((f) => f !== EMOJI_FAMILY && !privateFaces.has(f))
    .sort((a, b) => Number(b === DEFAULT_FAMILY) - Number(a === DEFAULT_FAMILY) || a.localeCompare(b));
}

const renderSettings =
  '  <match target="font"><edit name="antialias" mode="assign"><bool>true</bool></edit><edit name="hinting" mode="assign"><bool>false</bool></edit>' +
  '<edit name="autohint" mode="assign"><bool>false</bool></edit><edit name="rgba" mode="assign"><const>none</const></edit>' +
  '<edit name="lcdfilter" mode="assign"><const>lcdnone</const></edit></match>';

/**
 * A fontconfig file for the web delivery (web-fonts.ts) on Linux: the machine's font directories only,
 * under their own names, as a browser that does not read fontconfig has its system's fonts; with the
 * same rendering settings as prepareFonts' file (web fonts are drawn with them too).
 */
export async function prepareMachineFonts(dir = fontDir()): Promise<string> {
  const root = await writableDir(dir);
  const config = [
    '<?xml version="1.0"?>',
    '<!DOCTYPE fontconfig SYSTEM "fonts.dtd">',
    "<!-- framesmith: web fonts delivery, the machine's fonts only (src/fonts/fontconfig.ts) -->",
    '<fontconfig>',
    ...MACHINE_DIRS.map((d) => `  <dir>${xml(d)}</dir>`),
    `  <cachedir>${xml(path.join(root, 'fc-cache-machine'))}</cachedir>`,
    renderSettings,
    '</fontconfig>',
    '',
  ].join('\n');
  const configFile = path.join(root, 'conf', `machine-${createHash('sha256').update(config).digest('hex').slice(0, 16)}.conf`);
  if (!(await stat(configFile).catch(() => null))) await writeAtomically(configFile, config);
  return configFile;
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

async function build(
  root: string,
  faces: BundledFamily[],
  fallback: FallbackUnit[],
  lang: string | undefined,
  defaultNamed: boolean,
  aliased: ReadonlySet<string>,
): Promise<FontSetup> {
  const listed = (family: string) => (family === DEFAULT_FAMILY && !defaultNamed ? UNNAMED_DEFAULT_FAMILY : family);
  const dirs = await Promise.all(faces.map(async (face) => ({ dir: await installFace(root, face), family: listed(face.family) })));
  const unitDirs = await Promise.all(fallback.map(async (unit) => ({ dir: await installUnit(root, unit), family: unit.pkg.family })));
  const present = new Set(fallback.map((u) => u.pkg.family));
  const chain = fallbackChain(lang)
    .map((e) => e.pkg.family)
    .filter((f, i, all) => present.has(f) && all.indexOf(f) === i);
  // The installed bundled faces come before the chain and the machine, DEFAULT_FAMILY first: a
  // character one of them covers stays theirs whatever else is installed and whatever the language.
  const bundled = fallbackFamilies(faces).map(listed);
  // fontconfig caches a directory's scan (family names included) by its path only: the default face's
  // directory is named two ways, so each way has its own cache.
  const config = configText(
    [...dirs, ...unitDirs],
    bundled,
    chain,
    path.join(root, defaultNamed ? 'fc-cache' : 'fc-cache-unnamed'),
    systemNameFamilies(aliased, listed(DEFAULT_FAMILY)),
  );
  const configFile = path.join(root, 'conf', `${createHash('sha256').update(config).digest('hex').slice(0, 16)}.conf`);
  if (!(await stat(configFile).catch(() => null))) await writeAtomically(configFile, config);
  return { configFile, families: faces.map((f) => f.family), fallback: fallback.map(unitName) };
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

/** The face's TrueType directory, decompressing its WOFF2 files (or cutting its whole files) the first time. */
async function installFace(root: string, face: BundledFamily): Promise<string> {
  if (face.cut) return installCut(root, face, face.cut);
  const files = (await readdir(face.filesDir)).filter((f) => f.endsWith('.woff2'));
  return installFiles(path.join(root, 'faces', `${face.id}@${face.version}`), face.filesDir, files);
}

/**
 * The cut faces of the generic families installed in the font directory (made there the first time),
 * for the web delivery, which serves them; the directory they are under.
 */
export function installCutFaces(dir = fontDir()): Promise<string> {
  let installed = cutInstalled.get(dir);
  if (!installed) {
    installed = writableDir(dir).then(async (root) => {
      await Promise.all(
        genericFamilies()
          .filter((f) => f.cut)
          .map((f) => installCut(root, f, f.cut!)),
      );
      return root;
    });
    installed.catch(() => cutInstalled.delete(dir));
    cutInstalled.set(dir, installed);
  }
  return installed;
}
const cutInstalled = new Map<string, Promise<string>>();

/** A fallback unit's directory: the one file standing for its subset (coverage.ts), decompressed. */
async function installUnit(root: string, unit: FallbackUnit): Promise<string> {
  const file = subsetFiles(unit.pkg).get(unit.subset);
  if (!file) throw new Error(`${unit.pkg.scope}/${unit.pkg.id} has no subset ${unit.subset}`);
  return installFiles(
    path.join(root, 'faces', `${unit.pkg.id}@${unit.pkg.version}-${unit.subset.replace(/[^a-z0-9-]/gi, '_')}`),
    unit.pkg.filesDir,
    [file],
  );
}

/** `dir` holding the TrueType of each WOFF2 file of `filesDir` in `files`, made the first time. */
function installFiles(dir: string, filesDir: string, files: string[]): Promise<string> {
  return installInto(dir, async (temp) => {
    for (const file of files) {
      const ttf = await decompressWoff2(await readFile(path.join(filesDir, file)));
      await writeFile(path.join(temp, file.replace(/\.woff2$/, '.ttf')), ttf);
    }
  });
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

/** The machine's font directories: renamed to MACHINE_FAMILY, with no language or names (see the module comment). */
function machineFonts(): string[] {
  return [
    ...MACHINE_DIRS.map((d) => `  <dir>${xml(d)}</dir>`),
    ...MACHINE_DIRS.map(
      (d) =>
        `  <match target="scan"><test name="file" compare="contains"><string>${xml(d)}/</string></test>` +
        `<edit name="family" mode="assign_replace"><string>${xml(MACHINE_FAMILY)}</string></edit>` +
        `<edit name="fullname" mode="assign_replace"><string>${xml(MACHINE_FAMILY)}</string></edit>` +
        `<edit name="postscriptname" mode="assign_replace"><string>${xml(MACHINE_FAMILY)}</string></edit>` +
        '<edit name="lang" mode="assign_replace"><langset><string>und-zxx</string></langset></edit></match>',
    ),
  ];
}

/** The CJK family an element's language prefers, ahead of the chain's order (only families present). */
function cjkByLanguage(chain: string[]): string[] {
  const rules: Array<[string, string]> = [
    ['zh-tw', 'Noto Sans TC'],
    ['zh-hk', 'Noto Sans TC'],
    ['zh-mo', 'Noto Sans TC'],
    ['zh-hant', 'Noto Sans TC'],
    ['ja', 'Noto Sans JP'],
    ['ko', 'Noto Sans KR'],
    ['zh', 'Noto Sans SC'],
  ];
  return rules
    .filter(([, family]) => chain.includes(family))
    .map(
      ([lang, family]) =>
        `  <match target="pattern"><test name="lang" compare="contains"><string>${lang}</string></test>` +
        `<edit name="family" mode="append"><string>${xml(family)}</string></edit></match>`,
    );
}

function configText(
  dirs: Array<{ dir: string; family: string }>,
  bundled: string[],
  chain: string[],
  cacheDir: string,
  systemNames: Readonly<Record<string, string>>,
): string {
  return [
    '<?xml version="1.0"?>',
    '<!DOCTYPE fontconfig SYSTEM "fonts.dtd">',
    '<!-- framesmith: only bundled faces (src/fonts/fontconfig.ts) -->',
    '<fontconfig>',
    ...dirs.map((d) => `  <dir>${xml(d.dir)}</dir>`),
    // Many @fontsource files name their family after the variable font's default instance
    // ("Montserrat Thin", "DM Sans 9pt"): every face of a directory gets its catalog family.
    ...dirs.map(
      (d) =>
        `  <match target="scan"><test name="file" compare="contains"><string>${xml(d.dir)}/</string></test>` +
        `<edit name="family" mode="assign_replace"><string>${xml(d.family)}</string></edit></match>`,
    ),
    `  <cachedir>${xml(cacheDir)}</cachedir>`,
    // The generic names Chromium resolves on Linux draw their faces (generic.ts); the others, as there,
    // match nothing and the next family of the list is used.
    ...[...GENERIC_FAMILIES].flatMap((g) => {
      const role = genericRole(g);
      return g === 'emoji' ? [alias(g, EMOJI_FAMILY)] : role ? [alias(g, GENERIC_FACES[role].family)] : [];
    }),
    // The names the browser itself asks fontconfig for: its UI font (system-ui) is "sans".
    ...['sans', 'sans serif'].map((name) => alias(name, GENERIC_FACES.ui.family)),
    alias('mono', GENERIC_FACES.mono.family),
    ...Object.entries(systemNames).map(([name, family]) => alias(name, family)),
    // Emoji fall back to the emoji face whatever family asked for them.
    `  <match target="pattern"><edit name="family" mode="append"><string>${xml(EMOJI_FAMILY)}</string></edit></match>`,
    // Then the bundled faces, the fallback chain (the language's CJK family first), the machine's fonts.
    ...bundled.map(
      (family) => `  <match target="pattern"><edit name="family" mode="append"><string>${xml(family)}</string></edit></match>`,
    ),
    ...cjkByLanguage(chain),
    ...chain.map((family) => `  <match target="pattern"><edit name="family" mode="append"><string>${xml(family)}</string></edit></match>`),
    ...machineFonts(),
    `  <match target="pattern"><edit name="family" mode="append"><string>${xml(MACHINE_FAMILY)}</string></edit></match>`,
    renderSettings,
    '</fontconfig>',
    '',
  ].join('\n');
}
