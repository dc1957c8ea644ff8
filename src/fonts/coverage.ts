/**
 * What each `@fontsource` package covers, subset by subset, read from the font files' cmaps (cmap.ts).
 *
 * A package (`@fontsource/<id>` static, `@fontsource-variable/<id>` variable) ships one file per
 * subset, weight and style; every weight and style of a subset is cut from the same character set, so
 * one file stands for the subset: its `wght` variable file, else its 400 normal file, else its first
 * normal one. The index of a package is computed once and kept in the font directory
 * (`<font dir>/coverage/<scope>-<id>@<version>.json`, written under a temporary name and renamed); when
 * that cannot be written it is computed again the next time a process needs it.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { covers, fontCoverage, merge, type Ranges } from './cmap.js';

/** An installed `@fontsource` or `@fontsource-variable` package (a dependency of framesmith). */
export interface FontPackage {
  /** `@fontsource` (static faces) or `@fontsource-variable` (one variable face per subset). */
  scope: '@fontsource' | '@fontsource-variable';
  /** The package id, e.g. `noto-sans-jp`. */
  id: string;
  /** The family name, e.g. `Noto Sans JP`. */
  family: string;
  version: string;
  /** Directory of the package's font files. */
  filesDir: string;
}

const require = createRequire(import.meta.url);
const packages = new Map<string, FontPackage>();

/** The installed package `scope/id` (a dependency of framesmith). */
export function fontPackage(scope: FontPackage['scope'], id: string): FontPackage {
  const key = `${scope}/${id}`;
  let pkg = packages.get(key);
  if (!pkg) {
    const dir = path.dirname(require.resolve(`${key}/package.json`));
    const { family } = JSON.parse(readFileSync(path.join(dir, 'metadata.json'), 'utf8')) as { family: string };
    const { version } = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string };
    pkg = { scope, id, family, version, filesDir: path.join(dir, 'files') };
    packages.set(key, pkg);
  }
  return pkg;
}

/** The file (name inside `filesDir`) that stands for each subset of `pkg`, by subset name as the files write it. */
export function subsetFiles(pkg: FontPackage): Map<string, string> {
  const files = readdirSync(pkg.filesDir)
    .filter((f) => f.endsWith('-normal.woff2'))
    .sort();
  const out = new Map<string, string>();
  const rank = (file: string) => (file.endsWith('-wght-normal.woff2') ? 0 : file.endsWith('-400-normal.woff2') ? 1 : 2);
  for (const file of files) {
    const m = new RegExp(`^${pkg.id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(.+)-(?:wght|wdth|standard|\\d+)-normal\\.woff2$`).exec(file);
    if (!m) continue;
    const current = out.get(m[1]!);
    if (!current || rank(file) < rank(current)) out.set(m[1]!, file);
  }
  return out;
}

const indexes = new Map<string, Map<string, Ranges>>();

/** Coverage of each subset of `pkg` (see the module comment), cached in `dir`/coverage. */
export function packageCoverage(pkg: FontPackage, dir: string): Map<string, Ranges> {
  const name = `${pkg.scope.slice(1)}-${pkg.id}@${pkg.version}.json`;
  const cached = indexes.get(name);
  if (cached) return cached;
  const file = path.join(dir, 'coverage', name);
  let index: Map<string, Ranges>;
  try {
    index = new Map(Object.entries(JSON.parse(readFileSync(file, 'utf8')) as Record<string, Ranges>));
  } catch {
    index = new Map();
    for (const [subset, font] of subsetFiles(pkg)) index.set(subset, fontCoverage(readFileSync(path.join(pkg.filesDir, font))));
    saveQuietly(file, JSON.stringify(Object.fromEntries(index)));
  }
  indexes.set(name, index);
  return index;
}

/** Union of every subset's coverage. */
export function wholeCoverage(index: Map<string, Ranges>): Ranges {
  return merge([...index.values()].flat());
}

/** The first subset of `index` that covers `cp`, or null. */
export function subsetCovering(index: Map<string, Ranges>, cp: number): string | null {
  for (const [subset, ranges] of index) if (covers(ranges, cp)) return subset;
  return null;
}

function saveQuietly(file: string, text: string): void {
  const temp = `${file}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(temp, text);
    renameSync(temp, file);
  } catch {
    // An unwritable font directory: computed again next time (a few milliseconds a package).
    rmSync(temp, { force: true });
  }
}
