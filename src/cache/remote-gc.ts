/**
 * Downloaded remote sources under the cache budget. Each blob in remote/blobs/ is one downloaded file;
 * its last use is its mtime (refreshed whenever a URL reuses it), and a process using it holds the
 * lease `remote-<content hash>` (leases.ts), taken by `fetchAndLeaseRemoteSource` before the blob is
 * handed out and held until the render or extraction ends. GC evicts blobs like frame entries, least
 * recently used first, never a leased one: rename into trash/, check the lease again, then delete.
 */
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { REMOTE, TRASH, uniqueSuffix } from './layout.js';
import { hasLiveLeaseSync } from './leases.js';
import { ownToken } from './owner.js';

/**
 * One downloaded file in remote/blobs/: `name` is "<sha256><ext>", `size` in bytes, `inode` "<dev>:<ino>",
 * `lastUsedMs` its mtime in ms since epoch.
 */
export interface ScannedBlob {
  name: string;
  /** Lease key protecting it. */
  key: string;
  size: number;
  inode: string;
  lastUsedMs: number;
}

/** The lease key of blob `name` ("<sha256><ext>"): "remote-<sha256>" (lease keys hold no dots). */
export function blobLeaseKey(name: string): string {
  return `remote-${name.split('.')[0]}`;
}

/** The directory of downloaded blobs of cache root `root` (`<root>/remote/blobs`). */
export function blobsDir(root: string): string {
  return path.join(root, REMOTE, 'blobs');
}

/** Every downloaded blob with its size and last use. */
export async function scanBlobs(root: string): Promise<ScannedBlob[]> {
  let names: string[];
  try {
    names = await readdir(blobsDir(root));
  } catch {
    return [];
  }
  const blobs: ScannedBlob[] = [];
  for (const name of names) {
    try {
      const info = await stat(path.join(blobsDir(root), name), { bigint: true });
      if (!info.isFile()) continue;
      blobs.push({
        name,
        key: blobLeaseKey(name),
        size: Number(info.size),
        inode: `${info.dev}:${info.ino}`,
        lastUsedMs: Number(info.mtimeMs),
      });
    } catch {
      // Vanished while scanning.
    }
  }
  return blobs;
}

/** Deletes blob `name` unless a live lease protects it (checked before and after the move). True when removed. */
export async function removeBlob(root: string, name: string): Promise<boolean> {
  const key = blobLeaseKey(name);
  if (hasLiveLeaseSync(root, key)) return false;
  const file = path.join(blobsDir(root), name);
  const trash = path.join(root, TRASH, `blob-${key}.${ownToken()}.${uniqueSuffix()}`);
  try {
    await mkdir(path.join(root, TRASH), { recursive: true });
    await rename(file, trash);
  } catch {
    return false; // Gone already.
  }
  if (hasLiveLeaseSync(root, key)) {
    // Leased between the check and the move: put it back.
    try {
      await rename(trash, file);
      return false;
    } catch {
      // Downloaded again meanwhile; ours is redundant.
    }
  }
  await rm(trash, { force: true });
  return true;
}
