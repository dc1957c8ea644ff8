/**
 * `framesmith fonts add <family…>`: copies a family's faces into a project, so its renders need no
 * network and no framesmith of a given version. The faces come from an `@fontsource` (or
 * `@fontsource-variable`) package — the project's own `node_modules` first, then framesmith's (the
 * bundled families) — every weight and style it ships, WOFF2 only:
 *
 *   <project>/fonts/<slug>/<slug>.css   @font-face rules (with their unicode ranges), `url(files/…)`
 *   <project>/fonts/<slug>/files/*.woff2
 *
 * The page links the stylesheet (`<link rel="stylesheet" href="fonts/<slug>/<slug>.css">`); the render
 * then reads the family as declared by the page. The directory is built under a temporary name and
 * renamed into place; a family added before is replaced only once the new copy is complete.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { FramesmithError } from '../errors.js';
import { normalizeFamily } from './catalog.js';

/**
 * Thrown by vendorFamily (code `font_package_missing`) when no `@fontsource` package provides `family`, or
 * its package declares no WOFF2 face; nothing of the family is written then.
 */
export class FontPackageError extends FramesmithError<'font_package_missing', { family: string }> {
  override readonly name = 'FontPackageError';
}

/** A family `vendorFamily` copied into the project. */
export interface VendoredFamily {
  family: string;
  /** The package it came from, e.g. `@fontsource/bebas-neue`, and its version. */
  pkg: string;
  version: string;
  /** The stylesheet, relative to the project (forward slashes). */
  stylesheet: string;
  /** How many WOFF2 files were copied. */
  files: number;
}

/** `Bebas Neue` → `bebas-neue`, the `@fontsource` id. */
export const familySlug = (family: string): string =>
  normalizeFamily(family)
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

/** The package directory of `family`: the project's, else framesmith's; null when neither has it. */
export function findFontPackage(family: string, projectDir: string): { dir: string; name: string } | null {
  const slug = familySlug(family);
  const from = [createRequire(path.join(projectDir, 'package.json')), createRequire(import.meta.url)];
  for (const require of from) {
    for (const name of [`@fontsource/${slug}`, `@fontsource-variable/${slug}`]) {
      try {
        return { dir: path.dirname(require.resolve(`${name}/package.json`)), name };
      } catch {
        // not installed there
      }
    }
  }
  return null;
}

/** The package's stylesheets that together declare every weight and style (static or variable). */
function stylesheets(dir: string): string[] {
  const css = readdirSync(dir).filter((f) => f.endsWith('.css'));
  const statics = css.filter((f) => /^\d{3}(-italic)?\.css$/.test(f));
  if (statics.length) return statics.sort();
  const variable = css.filter((f) => /^[a-z]+(-italic)?\.css$/.test(f) && f !== 'index.css');
  return variable.length ? variable.sort() : css.filter((f) => f === 'index.css');
}

/** Copies `family`'s faces into `projectDir` (see the module comment). */
export async function vendorFamily(family: string, projectDir: string): Promise<VendoredFamily> {
  const found = findFontPackage(family, projectDir);
  const slug = familySlug(family);
  if (!found) {
    throw new FontPackageError(
      'font_package_missing',
      `no @fontsource package for the font family "${family}": install it in the project (npm install @fontsource/${slug}), then run framesmith fonts add again`,
      { family },
    );
  }
  const { version, name } = JSON.parse(readFileSync(path.join(found.dir, 'package.json'), 'utf8')) as { version: string; name: string };
  // WOFF2 only (every browser framesmith drives reads it): drop the WOFF fallbacks from each src.
  // `font-display: block`: a page previewed in a browser never shows a fallback face first either.
  const css = stylesheets(found.dir)
    .map((f) => readFileSync(path.join(found.dir, f), 'utf8'))
    .join('\n')
    .replace(/font-display:\s*swap/g, 'font-display: block')
    .replace(/,\s*url\(\.\/files\/[^)]+\.woff\)\s*format\(['"]woff['"]\)/g, '')
    .replace(/url\(\.\/files\//g, 'url(files/');
  const files = [...new Set([...css.matchAll(/url\(files\/([^)]+\.woff2)\)/g)].map((m) => m[1]!))];
  if (files.length === 0)
    throw new FontPackageError(
      'font_package_missing',
      `${name} ${version} declares no WOFF2 faces for "${family}": add its files with your own @font-face instead`,
      { family },
    );
  const target = path.join(projectDir, 'fonts', slug);
  const temp = path.join(projectDir, 'fonts', `.${slug}.partial-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(path.join(temp, 'files'), { recursive: true });
  try {
    for (const file of files) await copyFile(path.join(found.dir, 'files', file), path.join(temp, 'files', file));
    await writeFile(
      path.join(temp, `${slug}.css`),
      `/* ${family}: ${name} ${version}, every weight and style it ships (framesmith fonts add) */\n${css}`,
    );
    await replaceDir(temp, target);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
  return { family, pkg: name, version, stylesheet: `fonts/${slug}/${slug}.css`, files: files.length };
}

/** Puts the complete `temp` at `target`; a previous `target` is removed only after the swap. */
async function replaceDir(temp: string, target: string): Promise<void> {
  if (!(await stat(target).catch(() => null))) {
    await rename(temp, target);
    return;
  }
  const old = `${target}.old-${process.pid}-${randomBytes(4).toString('hex')}`;
  await rename(target, old);
  try {
    await rename(temp, target);
  } catch (error) {
    await rename(old, target);
    throw error;
  }
  await rm(old, { recursive: true, force: true });
}
