/**
 * Test media made once per test run: every lavfi file a helper generates is keyed by its content (a
 * SHA-256 of the ffmpeg arguments and the output's extension) and written once into the run's media
 * directory (`test/setup/global.ts` creates it and names it in FRAMESMITH_TEST_MEDIA_DIR); each later
 * request, from any test file or worker of the same run, gets a private copy of that file.
 *
 * The caller always gets its own copy (never a hardlink): tests truncate, rewrite and stat their media,
 * and a cache test keys on the file's identity. Outside a vitest run (no directory named), ffmpeg
 * writes the caller's file directly, as before.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runFfmpeg } from '../../src/media/tools.js';

/** The environment variable that names the run's media directory (set by the global setup). */
export const MEDIA_DIR_ENV = 'FRAMESMITH_TEST_MEDIA_DIR';

/** Files this process has generated or is generating, by key: two requests in one file share one ffmpeg. */
const pending = new Map<string, Promise<string>>();

/** The run's media directory, or undefined outside a vitest run with the global setup. */
export function mediaDir(): string | undefined {
  return process.env[MEDIA_DIR_ENV] || undefined;
}

/** The content key of a file made by ffmpeg with `args` (output path excluded) into a file named like `file`. */
export function mediaKey(args: readonly string[], file: string, extra = ''): string {
  return createHash('sha256')
    .update(JSON.stringify([args, path.extname(file).toLowerCase(), extra]))
    .digest('hex')
    .slice(0, 32);
}

/**
 * Writes `file` as `ffmpeg ...args file` would (args must not name the output), from the run's store
 * when the same arguments were already run. The store's file is written under a temporary name and
 * renamed, so a reader never sees half a file; two workers racing on one key both write, one rename wins.
 */
export async function ffmpegOnce(args: readonly string[], file: string, options: { timeoutMs?: number } = {}): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const dir = mediaDir();
  if (!dir) {
    await runFfmpeg([...args, file], options);
    return;
  }
  const stored = await storedFile(dir, mediaKey(args, file), path.extname(file), (tmp) =>
    runFfmpeg([...args, tmp], options).then(() => undefined),
  );
  await copyFile(stored, file, constants.COPYFILE_FICLONE);
}

/** The stored file for `key`, made by `make(tmpPath)` when this run has none yet. */
async function storedFile(dir: string, key: string, ext: string, make: (tmp: string) => Promise<void>): Promise<string> {
  const known = pending.get(key);
  if (known) return known;
  const target = path.join(dir, `${key}${ext}`);
  const made = (async () => {
    if (await exists(target)) return target;
    // Not there yet: make it. The extension stays last in the temporary name: ffmpeg picks the muxer from it.
    await mkdir(dir, { recursive: true });
    const tmp = path.join(dir, `${key}.tmp-${process.pid}-${randomBytes(4).toString('hex')}${ext}`);
    try {
      await make(tmp);
      await rename(tmp, target);
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
    return target;
  })();
  pending.set(key, made);
  made.catch(() => pending.delete(key));
  return made;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/**
 * A JSON value computed once per run for `key` (e.g. the timestamps ffprobe reads back from a stored
 * file): read from the store when present, else computed, written atomically and returned.
 */
export async function jsonOnce<T>(key: string, compute: () => Promise<T>): Promise<T> {
  const dir = mediaDir();
  if (!dir) return compute();
  const target = path.join(dir, `${key}.json`);
  try {
    return JSON.parse(await readFile(target, 'utf8')) as T;
  } catch {
    // Absent (or being written by another worker under its temporary name): compute it.
  }
  const value = await compute();
  const tmp = path.join(dir, `${key}.tmp-${process.pid}-${randomBytes(4).toString('hex')}.json`);
  await writeFile(tmp, JSON.stringify(value));
  await rename(tmp, target);
  return value;
}
