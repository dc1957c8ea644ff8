/**
 * Chunk segments kept for incremental renders (segments.ts) under the cache budget. Each file
 * `segments/<key>.<ext>` is one encoded segment; its last use is its mtime (`SegmentStore.take`
 * refreshes it). GC evicts segments with frame entries and downloads, least recently used first. No
 * lease protects a segment: a render takes one by a hard link (or a copy) before using it, so removing
 * the store's name never touches a render's file, and a render that finds the name gone renders the
 * chunk instead. The small JSON records beside them (`ranges/`, `renders/`) are only hints and are left.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';

/** One segment file as GC sees it: `size` in bytes, `inode` "<dev>:<ino>", `lastUsedMs` its mtime. */
export interface ScannedSegment {
  file: string;
  size: number;
  inode: string;
  lastUsedMs: number;
}

/** The directory of segments of cache root `root` (`<root>/segments`). */
export function segmentsDir(root: string): string {
  return path.join(root, 'segments');
}

/** Every segment file (not the records, not temporary files) with its size and last use. */
export async function scanSegments(root: string): Promise<ScannedSegment[]> {
  const dir = segmentsDir(root);
  const names = await readdir(dir).catch(() => [] as string[]);
  const found: ScannedSegment[] = [];
  for (const name of names) {
    if (name.startsWith('.')) continue; // a temporary name being written
    try {
      const info = await stat(path.join(dir, name), { bigint: true });
      if (!info.isFile()) continue;
      found.push({
        file: path.join(dir, name),
        size: Number(info.size),
        inode: `${info.dev}:${info.ino}`,
        lastUsedMs: Number(info.mtimeMs),
      });
    } catch {
      // Vanished while scanning.
    }
  }
  return found;
}

/** Removes a segment file; false when it was already gone. */
export async function removeSegment(segment: ScannedSegment): Promise<boolean> {
  try {
    await stat(segment.file);
  } catch {
    return false;
  }
  await rm(segment.file, { force: true });
  return true;
}
