/**
 * Encoded chunk segments kept in the cache for incremental renders (src/render/incremental.ts), and
 * the small JSON records that find them again:
 *
 * ```
 * <cache>/segments/<key>.<ext>          a chunk's segment, named by its key (its frames' fingerprints,
 *                                       range and encoder settings)
 * <cache>/segments/ranges/<key>.json    the frame fingerprints a frame range had when last rendered
 * <cache>/segments/renders/<key>.json   the chunk keys of the last render of a plan in chunks of a size
 * <cache>/segments/memos/<key>.json     what a render read and made, to assemble it again without a
 *                                       browser when nothing changed (src/render/plan-memo.ts)
 * <cache>/segments/audio-<sha256>.<ext> the audio mix of a render that has a memo
 * ```
 *
 * Every file is written under a temporary name and renamed into place, so a reader sees a whole file
 * or none; two renders storing the same key write the same content, and the last rename wins. A
 * segment is taken by a hard link (a copy across file systems), so removing the cache never touches a
 * render's own files. `framesmith cache gc` evicts segments by last use under the cache budget
 * (segment-gc.ts); `take` refreshes a segment's mtime.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, link, mkdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The records beside the segments (see the module comment). */
export type RecordKind = 'ranges' | 'renders' | 'memos';

/** Where a cache directory keeps segments (see the module comment). */
export class SegmentStore {
  /** `<cacheDir>/segments`. */
  readonly dir: string;

  constructor(cacheDir: string) {
    this.dir = path.join(cacheDir, 'segments');
  }

  /** The path of segment `key` with extension `ext` (no dot), whether or not it exists. */
  segmentPath(key: string, ext: string): string {
    return path.join(this.dir, `${key}.${ext}`);
  }

  /** Whether segment `key` is in the store (a regular, non-empty file). */
  async has(key: string, ext: string): Promise<boolean> {
    const info = await stat(this.segmentPath(key, ext)).catch(() => null);
    return Boolean(info?.isFile() && info.size > 0);
  }

  /**
   * Puts segment `key` at `target` (a new name: hard link, else copy under a temporary name renamed
   * into place). Resolves false when the store does not hold it.
   */
  async take(key: string, ext: string, target: string): Promise<boolean> {
    const source = this.segmentPath(key, ext);
    if (!(await this.has(key, ext))) return false;
    try {
      await placeFile(source, target);
    } catch (error) {
      // Evicted by `cache gc` between the check and the link: a miss, the chunk is rendered.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
    // Its last use, which GC evicts by (src/cache/segment-gc.ts); a failure only makes it look older.
    const now = new Date();
    await utimes(source, now, now).catch(() => {});
    return true;
  }

  /** Keeps `file` (a finished segment) as segment `key`. */
  async put(key: string, ext: string, file: string): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await placeFile(file, this.segmentPath(key, ext));
  }

  /** The record `kind/<key>.json` (see the module comment), or undefined when absent or unreadable. */
  async readRecord<T>(kind: RecordKind, key: string): Promise<T | undefined> {
    const text = await readFile(path.join(this.dir, kind, `${key}.json`), 'utf8').catch(() => undefined);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as T;
    } catch {
      return undefined; // a record is only a hint: a damaged one is as good as none
    }
  }

  /** Writes the record `kind/<key>.json` (temporary name, renamed into place). */
  async writeRecord(kind: RecordKind, key: string, value: unknown): Promise<void> {
    const dir = path.join(this.dir, kind);
    await mkdir(dir, { recursive: true });
    const temp = path.join(dir, `.${key}-${randomBytes(4).toString('hex')}.tmp`);
    await writeFile(temp, JSON.stringify(value));
    await rename(temp, path.join(dir, `${key}.json`));
  }
}

/** `source` at `target`: a hard link, else a copy under a temporary name renamed into place. */
async function placeFile(source: string, target: string): Promise<void> {
  const temp = path.join(path.dirname(target), `.${path.basename(target)}-${randomBytes(4).toString('hex')}.tmp`);
  try {
    await link(source, temp).catch(() => copyFile(source, temp));
    await rename(temp, target);
  } finally {
    await rm(temp, { force: true });
  }
}
