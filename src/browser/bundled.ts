/**
 * The Chromium headless shell bundled by `@sparticuz/chromium`, unpacked into a directory of
 * framesmith's own and verified before each launch.
 *
 * Why: the package unpacks into the shared `os.tmpdir()` (`/tmp/chromium`, the SwiftShader libraries
 * beside it, `/tmp/fonts`), which every other copy of the package on the machine uses too, and reuses
 * whatever it finds there. After another tool unpacked its own version, framesmith would run that
 * browser: other pixels, and WebGL broken by a binary of one version beside libraries of another.
 *
 * Where: `<os.tmpdir()>/framesmith-chromium-<package version>-<digest>`, the digest of the package's
 * archives (names and sizes), so two builds published under one version never share a directory.
 *
 * How: the package's own `executablePath(binDir)` unpacks (brotli, tar: binary, SwiftShader, fonts and,
 * on Amazon Linux 2023, its libraries) in a child Node process whose TMPDIR is a fresh staging directory
 * beside the final one. The staging directory is renamed into place when complete, so a directory at the
 * final name is always whole; concurrent first runs each unpack their own and the first rename wins.
 *
 * Verification: when unpacked, the binary's `--version` must name the package's major version; a
 * manifest (`framesmith-browser.json`) records that version and the identity (inode, size, ctime) of
 * every file. Each later use compares the files with the manifest — stats only, no process started.
 * Any file changed, missing or added means the directory is unpacked again. ctime cannot be set back
 * from user space, so even a copy over our binary that preserves its times is seen.
 */
import { createHash } from 'node:crypto';
import { rmSync, type BigIntStats } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { runProcess } from '../media/process.js';
import { BrowserError, browserError } from './browser-error.js';

/** The manifest's file name inside the directory (never listed in it). */
export const MANIFEST_NAME = 'framesmith-browser.json';
/** Staging or set-aside directories older than this are leftovers of an interrupted run. */
const STALE_MS = 10 * 60_000;
const UNPACK_TIMEOUT_MS = 120_000;
const VERSION_TIMEOUT_MS = 15_000;
/** Unpacks with the package's own code; prints the binary's path. CommonJS: the package's `require` export. */
const UNPACK_SCRIPT = 'require(process.argv[1]).executablePath(process.argv[2]).then((p) => process.stdout.write(p))';
const REINSTALL_FIX = 'reinstall dependencies (npm ci) so @sparticuz/chromium is whole, or set `browser` / FRAMESMITH_BROWSER';

/** The installed `@sparticuz/chromium`: where its archives are and what identifies them. */
export interface BundledPackage {
  /** Its `require` entry, run by the unpacking child. */
  entry: string;
  /** The directory of its brotli archives. */
  binDir: string;
  version: string;
  /** 12 hex digits of the archives' names and sizes. */
  digest: string;
}

/** The bundled browser, unpacked and verified. */
export interface BundledBrowser {
  executablePath: string;
  /** The directory it was unpacked into (binary, SwiftShader libraries, fonts). */
  dir: string;
  /** The binary's version as its `--version` printed it when unpacked (`147.0.7727.0`). */
  version: string;
  /** The `@sparticuz/chromium` version it comes from (`147.0.0`). */
  packageVersion: string;
  /** Why this call unpacked it (`missing`, or what had changed); absent when it was already there, intact. */
  unpacked?: string;
  /** Environment the binary needs besides the process's: Amazon Linux 2023 libraries and fonts, if unpacked. */
  env: Record<string, string>;
}

interface Manifest {
  package: string;
  digest: string;
  version: string;
  /** Path relative to the directory → `ino:size:ctimeNs`. */
  files: Record<string, string>;
}

let packagePromise: Promise<BundledPackage | null> | undefined;

/** The installed package, or `null` when it is not installed (memoized: it does not change while we run). */
export function bundledPackage(): Promise<BundledPackage | null> {
  packagePromise ??= findPackage();
  return packagePromise;
}

async function findPackage(): Promise<BundledPackage | null> {
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve('@sparticuz/chromium');
  } catch {
    return null;
  }
  // The entry is build/cjs/index.cjs: the package root is the nearest package.json of that name.
  for (let dir = path.dirname(entry); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const manifest = await readFile(path.join(dir, 'package.json'), 'utf8').then(
      (text) => JSON.parse(text) as { name?: string; version?: string },
      () => null,
    );
    if (manifest?.name !== '@sparticuz/chromium' || !manifest.version) continue;
    const binDir = path.join(dir, 'bin');
    const names = (await readdir(binDir).catch(() => [] as string[])).filter((n) => n.endsWith('.br')).sort();
    if (!names.includes('chromium.br')) return null;
    const hash = createHash('sha256').update(manifest.version);
    for (const name of names) hash.update(`\0${name}:${(await stat(path.join(binDir, name))).size}`);
    return { entry, binDir, version: manifest.version, digest: hash.digest('hex').slice(0, 12) };
  }
  return null;
}

/** framesmith's directory for `pkg` under `baseDir` (default `os.tmpdir()`, read at each call). */
export function bundledDir(pkg: BundledPackage, baseDir = os.tmpdir()): string {
  return path.join(baseDir, `framesmith-chromium-${pkg.version}-${pkg.digest}`);
}

const inflight = new Map<string, Promise<BundledBrowser>>();

/**
 * The bundled browser, unpacked into framesmith's directory if it is missing or any of its files
 * changed since it was unpacked (see the module comment). `null` when `@sparticuz/chromium` is not
 * installed. Throws `BrowserError` when the directory is not ours, unpacking fails, or the unpacked
 * binary reports another major version than the package's. Concurrent calls share one unpacking.
 */
export async function bundledBrowser(options: { baseDir?: string } = {}): Promise<BundledBrowser | null> {
  const pkg = await bundledPackage();
  if (!pkg) return null;
  const dir = bundledDir(pkg, options.baseDir);
  let pending = inflight.get(dir);
  if (!pending) {
    pending = ensure(pkg, dir).finally(() => inflight.delete(dir));
    inflight.set(dir, pending);
  }
  return pending;
}

async function ensure(pkg: BundledPackage, dir: string): Promise<BundledBrowser> {
  const found = await inspect(pkg, dir);
  if (found.manifest) return described(pkg, dir, found.manifest);
  const manifest = await unpack(pkg, dir, found.changed);
  return { ...(await described(pkg, dir, manifest)), unpacked: found.changed ?? 'missing' };
}

async function described(pkg: BundledPackage, dir: string, manifest: Manifest): Promise<BundledBrowser> {
  const env: Record<string, string> = {};
  // On Amazon Linux 2023 the package also unpacks libraries the binary needs (it points
  // LD_LIBRARY_PATH and FONTCONFIG_PATH at the shared path; we point them at ours, for the browser only).
  const al2023 = path.join(dir, 'al2023', 'lib');
  if (
    await stat(al2023).then(
      (s) => s.isDirectory(),
      () => false,
    )
  ) {
    env.LD_LIBRARY_PATH = [al2023, ...(process.env.LD_LIBRARY_PATH ? [process.env.LD_LIBRARY_PATH] : [])].join(':');
    env.FONTCONFIG_PATH = path.join(dir, 'fonts');
  }
  return { executablePath: path.join(dir, 'chromium'), dir, version: manifest.version, packageVersion: pkg.version, env };
}

/**
 * What is at `dir`: `{}` when nothing, `{ manifest }` when it is intact, `{ changed }` (what changed)
 * when it must be unpacked again. Refuses a directory that is not ours: a path in a shared temp
 * directory could have been made by anyone.
 */
async function inspect(pkg: BundledPackage, dir: string): Promise<{ manifest?: Manifest; changed?: string }> {
  let info: BigIntStats;
  try {
    info = await lstat(dir, { bigint: true });
  } catch {
    return {};
  }
  const uid = process.getuid?.();
  const notOurs = !info.isDirectory()
    ? 'it is not a directory'
    : uid !== undefined && Number(info.uid) !== uid
      ? `it belongs to uid ${info.uid}, not ${uid}`
      : (Number(info.mode) & 0o022) !== 0
        ? 'others may write into it'
        : null;
  if (notOurs)
    throw browserError(
      `refusing to run the bundled browser from ${dir}: ${notOurs}`,
      'remove it, or set TMPDIR to a directory of your own',
    );
  const manifest = await readFile(path.join(dir, MANIFEST_NAME), 'utf8').then(
    (text) => JSON.parse(text) as Manifest,
    () => null,
  );
  if (!manifest || manifest.package !== pkg.version || manifest.digest !== pkg.digest || typeof manifest.files !== 'object')
    return { changed: "its manifest is missing or not this package's" };
  const files = await identities(dir);
  for (const [name, identity] of Object.entries(manifest.files)) {
    if (files[name] === undefined) return { changed: `${name} is missing` };
    if (files[name] !== identity) return { changed: `${name} changed after it was unpacked` };
  }
  const added = Object.keys(files).find((name) => manifest.files[name] === undefined);
  return added ? { changed: `${added} was added after it was unpacked` } : { manifest };
}

/** Every file and symlink under `dir` except the manifest → `ino:size:ctimeNs`. */
async function identities(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (entry.isDirectory()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const name = path.relative(dir, file);
    if (name === MANIFEST_NAME) continue;
    const s = await lstat(file, { bigint: true });
    out[name] = `${s.ino}:${s.size}:${s.ctimeNs}`;
  }
  return out;
}

/**
 * Unpacks into a staging directory beside `dir`, verifies and records it, then renames it into place
 * (setting aside a changed directory first). Losing the rename to a concurrent run uses the winner's.
 */
async function unpack(pkg: BundledPackage, dir: string, replacing: string | undefined): Promise<Manifest> {
  const parent = path.dirname(dir);
  const failed = (error: unknown) =>
    browserError(
      `could not unpack the bundled headless shell (@sparticuz/chromium ${pkg.version}) into ${parent}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
      `make room there or set TMPDIR to a writable directory with 500 MB free; ${REINSTALL_FIX}`,
      { cause: error },
    );
  let staging: string;
  try {
    await mkdir(parent, { recursive: true });
    await removeLeftovers(dir);
    staging = await mkdtemp(`${dir}.partial-`);
  } catch (error) {
    throw failed(error);
  }
  // An interrupted run must not leave 200 MB behind: the staging directory goes on the way out.
  const removeStaging = () => rmSync(staging, { recursive: true, force: true });
  process.on('exit', removeStaging);
  try {
    await runProcess(process.execPath, ['-e', UNPACK_SCRIPT, pkg.entry, pkg.binDir], {
      env: { ...process.env, TMPDIR: staging },
      timeoutMs: UNPACK_TIMEOUT_MS,
    }).catch((error: unknown) => {
      throw failed(error);
    });
    // The archives' own modes apply to the staging directory (tar entry `.`): make it ours alone again.
    await chmod(staging, 0o700);
    const binary = path.join(staging, 'chromium');
    const version = await binaryVersion(binary);
    if (majorOf(version) !== majorOf(pkg.version)) {
      throw browserError(
        `the headless shell unpacked from @sparticuz/chromium ${pkg.version} reports version ${version}, not ${majorOf(pkg.version)}`,
        REINSTALL_FIX,
      );
    }
    const manifest: Manifest = { package: pkg.version, digest: pkg.digest, version, files: await identities(staging) };
    await writeFile(path.join(staging, MANIFEST_NAME), `${JSON.stringify(manifest, null, 2)}\n`);
    const aside = replacing ? `${dir}.stale-${path.basename(staging).split('-').pop()}` : null;
    if (aside) await rename(dir, aside).catch(() => {});
    try {
      await rename(staging, dir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw failed(error);
      // Another run renamed its own into place first: use it if it is whole.
      const theirs = await inspect(pkg, dir);
      if (!theirs.manifest)
        throw browserError(
          `the bundled browser at ${dir} changed while it was being unpacked (${theirs.changed ?? 'missing'})`,
          'run again; if it happens again, remove the directory',
          { cause: error },
        );
      return theirs.manifest;
    } finally {
      if (aside) await rm(aside, { recursive: true, force: true });
    }
    return manifest;
  } catch (error) {
    throw error instanceof BrowserError ? error : failed(error);
  } finally {
    await rm(staging, { recursive: true, force: true });
    process.off('exit', removeStaging);
  }
}

/** Removes staging and set-aside directories of `dir` left by interrupted runs (older than STALE_MS). */
async function removeLeftovers(dir: string): Promise<void> {
  const parent = path.dirname(dir);
  const base = path.basename(dir);
  const names = await readdir(parent).catch(() => [] as string[]);
  await Promise.all(
    names
      .filter((n) => n.startsWith(`${base}.partial-`) || n.startsWith(`${base}.stale-`))
      .map(async (name) => {
        const file = path.join(parent, name);
        const info = await lstat(file).catch(() => null);
        if (info && Date.now() - info.mtimeMs > STALE_MS) await rm(file, { recursive: true, force: true });
      }),
  );
}

/** The version a Chromium binary prints with `--version` (`Chromium 147.0.7727.0` → `147.0.7727.0`). */
export async function binaryVersion(file: string): Promise<string> {
  let stdout: string;
  try {
    ({ stdout } = await runProcess(file, ['--version'], { timeoutMs: VERSION_TIMEOUT_MS }));
  } catch (error) {
    throw browserError(
      `the bundled headless shell ${file} does not start: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
      `run scripts/setup.sh (the libraries it needs); ${REINSTALL_FIX}`,
      { cause: error },
    );
  }
  return /\d+(?:\.\d+)+/.exec(stdout)?.[0] ?? stdout.trim();
}

function majorOf(version: string): string {
  return version.split('.')[0] ?? version;
}
