/**
 * `initProject(dir, template)`: writes a starter composition. Everything is written into a private
 * directory next to `dir` and renamed into place at the end, so `dir` either holds the whole starter
 * or is untouched. An existing, non-empty `dir` is refused (unless `force`: its files are kept, the
 * starter's renamed over them one by one, so each file is whole, old or new, whenever the write stops).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FramesmithError } from '../errors.js';
import { runFfmpeg } from '../media/tools.js';
import { TEMPLATES } from './templates.js';

/**
 * `initProject()` refused or failed: `unknown_template`, `not_empty` (`dir` has files and no `force`), or
 * `write_failed` (writing or generating the starter failed; a new or empty `dir` is left untouched). `dir` is the target directory.
 */
export class InitError extends FramesmithError<'unknown_template' | 'not_empty' | 'write_failed', { dir: string }> {
  override readonly name = 'InitError';
}

/** The files written, relative to `dir`. */
export async function initProject(dir: string, templateName: string, options: { force?: boolean } = {}): Promise<string[]> {
  const template = TEMPLATES[templateName];
  if (!template) {
    throw new InitError('unknown_template', `there is no template "${templateName}": choose one of ${Object.keys(TEMPLATES).join(', ')}`, {
      dir,
    });
  }
  const target = path.resolve(dir);
  const existing = await readdir(target).catch(() => null);
  if (existing && existing.length > 0 && !options.force) {
    throw new InitError('not_empty', `${target} is not empty: give a new directory, or \`force\` to write the starter into it`, {
      dir: target,
    });
  }
  const staging = path.join(path.dirname(target), `.${path.basename(target)}.init-${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(staging, { recursive: true });
    for (const [rel, text] of Object.entries(template.files)) {
      await mkdir(path.dirname(path.join(staging, rel)), { recursive: true });
      await writeFile(path.join(staging, rel), text);
    }
    for (const [rel, args] of Object.entries(template.media ?? {})) {
      await mkdir(path.dirname(path.join(staging, rel)), { recursive: true });
      await runFfmpeg(['-y', '-v', 'error', ...args, path.join(staging, rel)]);
    }
    if (existing && existing.length > 0) {
      // Into a directory with files of its own: file by file, each renamed over its old version, so
      // every file is whole — the user's, or the starter's — whenever the write stops.
      const written = [...Object.keys(template.files), ...Object.keys(template.media ?? {})];
      for (const rel of written) {
        await mkdir(path.dirname(path.join(target, rel)), { recursive: true });
        await rename(path.join(staging, rel), path.join(target, rel));
      }
      await rm(staging, { recursive: true, force: true });
    } else {
      // Onto a missing or empty directory, a rename is all or nothing.
      await rename(staging, target);
    }
  } catch (error) {
    await rm(staging, { recursive: true, force: true }).catch(() => {});
    throw new InitError(
      'write_failed',
      `writing the starter into ${target} failed: ${error instanceof Error ? error.message : String(error)}`,
      { dir: target },
      { cause: error },
    );
  }
  return [...Object.keys(template.files), ...Object.keys(template.media ?? {})];
}
