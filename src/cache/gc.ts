/**
 * Scanning, statistics and garbage collection of a cache directory.
 *
 * Size is counted by inode: a frame hardlinked into several entries (or twice into one) counts once,
 * and evicting an entry frees its bytes only when no remaining entry links the same inode. The budget
 * covers frame entries, downloaded remote sources (remote-gc.ts) and the chunk segments incremental
 * renders keep (segment-gc.ts) together. GC evicts the least
 * recently used of either (entry directory mtime, which lookups touch; a blob's mtime, which reuse
 * touches) until the total is within the budget; damaged entries go first; nothing with a live lease
 * is ever evicted.
 *
 * Eviction renames the entry into trash/ and then deletes it, checking leases before and after the
 * rename: a lookup takes its lease before it validates, so it either sees the lease-protected entry
 * restored or finds nothing and misses — it never serves a half-deleted entry.
 */
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { isCacheKey } from './key.js';
import { ENTRIES, GC_LOCK, MANIFEST, PARTIAL, REMOTE, TRASH, entryDir, ownerOfName, uniqueSuffix } from './layout.js';
import { hasLiveLeaseSync, liveLeasedKeys } from './leases.js';
import { checkEntry, parseManifest } from './manifest.js';
import { isTokenAlive, ownToken } from './owner.js';
import { removeBlob, scanBlobs } from './remote-gc.js';
import { removeSegment, scanSegments, segmentsDir } from './segment-gc.js';

/**
 * One published entry as GC sees it. `damaged`: its manifest is missing, unreadable or malformed (frames are
 * not checked); then `files` lists what is on disk rather than what the manifest lists, manifest included.
 */
export interface ScannedEntry {
  key: string;
  dir: string;
  /** Last use (entry directory mtime), ms since epoch. */
  lastUsedMs: number;
  /** Every file of the entry with its inode identity "<dev>:<ino>". */
  files: Array<{ inode: string; size: number }>;
  damaged: boolean;
}

/** A read-only snapshot of a cache directory (`framesmith cache stats`); byte counts are in bytes. */
export interface CacheStats {
  dir: string;
  /** Published entries (valid or damaged). */
  entries: number;
  /** Bytes of all entries, each inode counted once. */
  bytes: number;
  budgetBytes: number;
  /** Entries with a lease of a live process. */
  leasedEntries: number;
  damagedEntries: number;
  /** Partial (unpublished) directories, live writers' and dead ones' alike. */
  partialDirs: number;
  /** Bytes of downloaded remote sources (the budget covers `bytes + remoteBytes + segmentBytes`). */
  remoteBytes: number;
  /** Bytes of the chunk segments kept for incremental renders (`segments/`). */
  segmentBytes: number;
}

/**
 * The outcome of one GC pass. Byte counts cover frame entries (each inode once) plus downloaded blobs;
 * all counts are 0 when `skipped`.
 */
export interface GcResult {
  /** Frame entries and downloaded sources evicted. */
  evicted: number;
  bytesFreed: number;
  bytesBefore: number;
  bytesAfter: number;
  /** Partial and trash directories of dead processes removed. */
  swept: number;
  /** Another live process holds the GC lock; nothing was done. */
  skipped: boolean;
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

async function statFiles(dir: string): Promise<Array<{ inode: string; size: number }>> {
  const out: Array<{ inode: string; size: number }> = [];
  for (const name of await listDir(dir)) {
    try {
      const info = await stat(path.join(dir, name), { bigint: true });
      if (info.isFile()) out.push({ inode: `${info.dev}:${info.ino}`, size: Number(info.size) });
    } catch {
      // Vanished while scanning: nothing to count.
    }
  }
  return out;
}

/** Entries scanned at once: enough to overlap file-system latency. */
const SCAN_BATCH = 32;

async function scanEntry(root: string, key: string): Promise<ScannedEntry | null> {
  const dir = entryDir(root, key);
  let lastUsedMs: number;
  try {
    lastUsedMs = (await stat(dir)).mtimeMs;
  } catch {
    return null;
  }
  try {
    const info = await stat(path.join(dir, MANIFEST), { bigint: true });
    const manifest = parseManifest(await readFile(path.join(dir, MANIFEST), 'utf8'), key);
    if (manifest) {
      const files = [
        { inode: `${info.dev}:${info.ino}`, size: Number(info.size) },
        ...manifest.files.map((f) => ({ inode: f.inode, size: f.size })),
      ];
      return { key, dir, lastUsedMs, damaged: false, files };
    }
  } catch {
    // Unreadable manifest: damaged, counted by walking its files below.
  }
  return { key, dir, lastUsedMs, damaged: true, files: await statFiles(dir) };
}

/** Reads every entry's manifest (one read per entry; frames are stat'ed only for damaged entries). */
export async function scanEntries(root: string): Promise<ScannedEntry[]> {
  const keys = (await listDir(path.join(root, ENTRIES))).filter(isCacheKey);
  const result: ScannedEntry[] = [];
  for (let i = 0; i < keys.length; i += SCAN_BATCH) {
    const batch = await Promise.all(keys.slice(i, i + SCAN_BATCH).map((key) => scanEntry(root, key)));
    for (const entry of batch) if (entry) result.push(entry);
  }
  return result;
}

/** Inode → size and how many entry files link it. */
function inodeTable(entries: ScannedEntry[]): Map<string, { size: number; refs: number }> {
  const table = new Map<string, { size: number; refs: number }>();
  for (const entry of entries) {
    for (const file of entry.files) {
      const row = table.get(file.inode);
      if (row) row.refs++;
      else table.set(file.inode, { size: file.size, refs: 1 });
    }
  }
  return table;
}

function totalBytes(table: Map<string, { size: number; refs: number }>): number {
  let sum = 0;
  for (const row of table.values()) sum += row.size;
  return sum;
}

/**
 * Removes partial/, trash/ and remote/tmp/ items whose owner process is dead, and dead owners' "*.tmp"
 * files next to sources.json and in remote/urls/; returns how many.
 */
export async function sweepDead(root: string): Promise<number> {
  let swept = 0;
  const sweep = async (sub: string, only?: (name: string) => boolean) => {
    for (const name of await listDir(path.join(root, sub))) {
      if (only && !only(name)) continue;
      const owner = ownerOfName(name);
      if (owner && isTokenAlive(owner)) continue;
      await rm(path.join(root, sub, name), { recursive: true, force: true }).catch(() => {});
      swept++;
    }
  };
  for (const sub of [PARTIAL, TRASH, path.join(REMOTE, 'tmp')]) await sweep(sub);
  const isTemp = (name: string) => name.endsWith('.tmp') && ownerOfName(name) !== null;
  await sweep('.', isTemp);
  await sweep(path.join(REMOTE, 'urls'), isTemp);
  return swept;
}

/**
 * Removes entries/<key> because it was found damaged. The entry is moved to trash/ first and checked
 * again there: if another process replaced it with a valid entry in the meantime, that one is put back
 * rather than deleted from under its users.
 */
export async function removeDamagedEntry(root: string, key: string): Promise<void> {
  const dir = entryDir(root, key);
  const trash = path.join(root, TRASH, `${key}.${ownToken()}.${uniqueSuffix()}`);
  await mkdir(path.join(root, TRASH), { recursive: true });
  try {
    await rename(dir, trash);
  } catch {
    return; // Already gone.
  }
  if ((await checkEntry(trash, key)).state === 'valid') {
    try {
      await rename(trash, dir);
      return;
    } catch {
      // A newer entry took the name; ours is redundant.
    }
  }
  await rm(trash, { recursive: true, force: true });
}

/**
 * Deletes entries/<key> unless (with `respectLeases`) a live lease protects it, as described in the
 * module comment. Returns true when this call removed it.
 */
export async function removeEntry(root: string, key: string, respectLeases: boolean): Promise<boolean> {
  if (respectLeases && hasLiveLeaseSync(root, key)) return false;
  const dir = entryDir(root, key);
  const trash = path.join(root, TRASH, `${key}.${ownToken()}.${uniqueSuffix()}`);
  try {
    await rename(dir, trash);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      // trash/ itself may be missing (someone cleared it); the entry may be gone.
      try {
        await stat(dir);
      } catch {
        return false;
      }
      await mkdir(path.join(root, TRASH), { recursive: true });
      return removeEntry(root, key, respectLeases);
    }
    throw error;
  }
  if (respectLeases && hasLiveLeaseSync(root, key)) {
    // A lookup leased it between our check and the rename: put it back.
    try {
      await rename(trash, dir);
      return false;
    } catch {
      // A new entry was published meanwhile; ours is redundant.
    }
  }
  await rm(trash, { recursive: true, force: true });
  return true;
}

/** Takes the GC lock (exclusive create); a lock of a dead owner is broken. Null when a live process holds it. */
async function acquireGcLock(root: string): Promise<(() => Promise<void>) | null> {
  const file = path.join(root, GC_LOCK);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(ownToken());
      await handle.close();
      return () => rm(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = (await readFile(file, 'utf8').catch(() => '')).trim();
      // An empty file may be a lock being written right now; only a named dead owner is broken.
      if (owner && !isTokenAlive(owner)) await rm(file, { force: true });
      else return null;
    }
  }
  return null;
}

/** Options of `runGc`; `budgetBytes` is the total (entries, downloads and segments) to evict down to, in bytes. */
export interface GcOptions {
  budgetBytes: number;
  /** Evict every unleased entry and download (`cache clear`) instead of stopping at the budget. */
  clear?: boolean;
  /** Called for each evicted entry (metrics). */
  onEvict?: (key: string, bytesFreed: number) => void;
}

/** Runs one GC pass under the GC lock; see the module comment for the policy. */
export async function runGc(root: string, options: GcOptions): Promise<GcResult> {
  const release = await acquireGcLock(root);
  if (!release) return { evicted: 0, bytesFreed: 0, bytesBefore: 0, bytesAfter: 0, swept: 0, skipped: true };
  try {
    const swept = await sweepDead(root);
    const entries = await scanEntries(root);
    const blobs = await scanBlobs(root);
    const segments = await scanSegments(root);
    const table = inodeTable(entries);
    const bytesBefore = totalBytes(table) + [...blobs, ...segments].reduce((sum, b) => sum + b.size, 0);
    let total = bytesBefore;
    const leased = await liveLeasedKeys(root);
    type Candidate = { damaged: boolean; lastUsedMs: number; evict: () => Promise<number | null> };
    const candidates: Candidate[] = [
      ...entries
        .filter((entry) => !leased.has(entry.key))
        .map(
          (entry): Candidate => ({
            damaged: entry.damaged,
            lastUsedMs: entry.lastUsedMs,
            evict: async () => {
              if (!(await removeEntry(root, entry.key, true))) return null;
              let freed = 0;
              for (const file of entry.files) {
                const row = table.get(file.inode);
                if (row && --row.refs === 0) {
                  freed += row.size;
                  table.delete(file.inode);
                }
              }
              options.onEvict?.(entry.key, freed);
              return freed;
            },
          }),
        ),
      ...blobs
        .filter((blob) => !leased.has(blob.key))
        .map(
          (blob): Candidate => ({
            damaged: false,
            lastUsedMs: blob.lastUsedMs,
            evict: async () => ((await removeBlob(root, blob.name)) ? blob.size : null),
          }),
        ),
      ...segments.map(
        (segment): Candidate => ({
          damaged: false,
          lastUsedMs: segment.lastUsedMs,
          evict: async () => ((await removeSegment(segment)) ? segment.size : null),
        }),
      ),
    ].sort((a, b) => Number(b.damaged) - Number(a.damaged) || a.lastUsedMs - b.lastUsedMs);
    let evicted = 0;
    for (const candidate of candidates) {
      if (!options.clear && !candidate.damaged && total <= options.budgetBytes) break;
      const freed = await candidate.evict();
      if (freed === null) continue;
      total -= freed;
      evicted++;
    }
    if (options.clear) await clearUrlRecords(root);
    return { evicted, bytesFreed: bytesBefore - total, bytesBefore, bytesAfter: total, swept, skipped: false };
  } finally {
    await release();
  }
}

/**
 * Forgets every URL record (`cache clear`; the blobs went through eviction, leased ones stay). A record
 * whose blob survived only costs one revalidation the next time its URL is used.
 */
async function clearUrlRecords(root: string): Promise<void> {
  const trash = path.join(root, TRASH, `remote-urls.${ownToken()}.${uniqueSuffix()}`);
  try {
    await mkdir(path.join(root, TRASH), { recursive: true });
    await rename(path.join(root, REMOTE, 'urls'), trash);
  } catch {
    return;
  }
  await rm(trash, { recursive: true, force: true });
}

async function dirBytes(dir: string): Promise<number> {
  let sum = 0;
  for (const name of await listDir(dir)) {
    const full = path.join(dir, name);
    try {
      const info = await stat(full);
      sum += info.isDirectory() ? await dirBytes(full) : info.size;
    } catch {
      // Vanished.
    }
  }
  return sum;
}

/** Reads the cache's statistics without changing anything but dead lease files. */
export async function cacheStats(root: string, budgetBytes: number): Promise<CacheStats> {
  const entries = await scanEntries(root);
  const leased = await liveLeasedKeys(root);
  return {
    dir: root,
    entries: entries.length,
    bytes: totalBytes(inodeTable(entries)),
    budgetBytes,
    leasedEntries: entries.filter((e) => leased.has(e.key)).length,
    damagedEntries: entries.filter((e) => e.damaged).length,
    partialDirs: (await listDir(path.join(root, PARTIAL))).length,
    remoteBytes: await dirBytes(path.join(root, REMOTE)),
    segmentBytes: await dirBytes(segmentsDir(root)),
  };
}
