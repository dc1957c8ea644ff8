/**
 * Source identity: the SHA-256 of a file's bytes, so a byte-identical copy at another path shares
 * cache entries and any changed byte does not.
 *
 * Hashing a large video on every render would cost more than the cache saves, so results are memoised
 * by (device, inode, size, mtime in ns) — in memory, and in `<cacheDir>/sources.json` so a new process
 * does not re-read the file either. The trade-off, stated plainly: a file rewritten in place with the
 * same size and its mtime restored (e.g. `touch -r`) keeps its old identity until the memo is cleared.
 * Ordinary writers always move mtime, so this only happens on purpose.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat as statFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BigIntStats } from 'node:fs';
import { CacheError, errnoCode } from './errors.js';
import { ownToken } from './owner.js';

/** File name of the persistent memo inside the cache directory. */
export const SOURCE_MEMO_FILE = 'sources.json';
/** The persistent memo keeps at most this many files (least recently used dropped first). */
const MEMO_LIMIT = 5_000;
/** Bytes read at a time while hashing. */
const HASH_READ_BYTES = 4 << 20;

interface MemoRecord {
  id: string;
  /** Last use, ms since epoch. */
  used: number;
}

const memory = new Map<string, string>();
const inFlight = new Map<string, Promise<string>>();
/** Loaded persistent memos by cache directory. */
const persisted = new Map<string, Map<string, MemoRecord>>();

/** Options of `sourceIdentity`. */
export interface SourceIdentityOptions {
  /** Cache directory whose `sources.json` persists the memo; null/undefined keeps it in memory only. */
  memoDir?: string | null;
}

/** Counters for tests and metrics: how many files were actually read. */
export const identityStats = { filesHashed: 0 };

function memoKey(stat: BigIntStats): string {
  return `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeNs}`;
}

async function loadMemo(dir: string): Promise<Map<string, MemoRecord>> {
  let map = persisted.get(dir);
  if (map) return map;
  map = new Map();
  try {
    const parsed = JSON.parse(await readFile(path.join(dir, SOURCE_MEMO_FILE), 'utf8')) as {
      version?: number;
      entries?: Record<string, MemoRecord>;
    };
    if (parsed.version === 1 && parsed.entries) {
      for (const [key, record] of Object.entries(parsed.entries)) {
        if (record && typeof record.id === 'string' && typeof record.used === 'number') map.set(key, record);
      }
    }
  } catch {
    // Missing or damaged memo: start empty; it is only an optimisation.
  }
  persisted.set(dir, map);
  return map;
}

/** Merges our records into the file on disk (another process may have added its own) and replaces it atomically. */
async function saveMemo(dir: string, map: Map<string, MemoRecord>): Promise<void> {
  const file = path.join(dir, SOURCE_MEMO_FILE);
  persisted.delete(dir);
  const onDisk = await loadMemo(dir);
  for (const [key, record] of map) {
    const other = onDisk.get(key);
    if (!other || other.used < record.used) onDisk.set(key, record);
  }
  const kept = [...onDisk.entries()].sort((a, b) => b[1].used - a[1].used).slice(0, MEMO_LIMIT);
  const merged = new Map(kept);
  persisted.set(dir, merged);
  const temp = `${file}.${ownToken()}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(temp, JSON.stringify({ version: 1, entries: Object.fromEntries(merged) }));
    await rename(temp, file);
  } catch {
    // An unwritable memo only costs a re-hash next time.
    await rm(temp, { force: true }).catch(() => {});
  }
}

async function hashOnce(filePath: string): Promise<{ id: string; key: string }> {
  const handle = await open(filePath, 'r');
  try {
    const before = await handle.stat({ bigint: true });
    if (!before.isFile())
      throw new CacheError('source_unreadable', `${filePath} is not a regular file; pass a video file`, { path: filePath });
    const hash = createHash('sha256');
    // Read through one reused buffer from the already-open descriptor: memory stays flat for any file
    // size, and no chunk is left for the collector (a stream's fresh 1 MiB chunks cost a third as much
    // again as the hashing itself, measured on 160 MB of video).
    const buffer = Buffer.allocUnsafe(HASH_READ_BYTES);
    for (let position = 0; ; ) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      position += bytesRead;
    }
    identityStats.filesHashed++;
    const after = await handle.stat({ bigint: true });
    if (memoKey(before) !== memoKey(after)) return { id: '', key: '' };
    return { id: `sha256:${hash.digest('hex')}`, key: memoKey(before) };
  } finally {
    await handle.close();
  }
}

/**
 * The content identity of the file at `filePath`: "sha256:<64 hex>". Reads the file (4 MiB at a time) only
 * when no memo matches its current (dev, inode, size, mtime). Throws `CacheError` with kind
 * `source_unreadable` (missing, unreadable, not a file) or `source_changing` (the file kept changing
 * while it was read, three times in a row).
 */
export async function sourceIdentity(filePath: string, options: SourceIdentityOptions = {}): Promise<string> {
  const absolute = path.resolve(filePath);
  let stat: BigIntStats;
  try {
    stat = await statFile(absolute, { bigint: true });
  } catch (error) {
    throw new CacheError(
      'source_unreadable',
      `cannot read source ${absolute} (${errnoCode(error) ?? String(error)}); check the path`,
      { path: absolute },
      { cause: error },
    );
  }
  const key = memoKey(stat);
  const known = memory.get(key);
  if (known) return known;
  const memoDir = options.memoDir ?? null;
  if (memoDir) {
    const map = await loadMemo(memoDir);
    const record = map.get(key);
    if (record) {
      memory.set(key, record.id);
      return record.id;
    }
  }
  const pending = inFlight.get(key);
  if (pending) return pending;
  const work = (async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      let result: { id: string; key: string };
      try {
        result = await hashOnce(absolute);
      } catch (error) {
        if (error instanceof CacheError) throw error;
        throw new CacheError(
          'source_unreadable',
          `cannot read source ${absolute} (${errnoCode(error) ?? String(error)}); check the path and permissions`,
          { path: absolute },
          { cause: error },
        );
      }
      if (!result.id) continue;
      memory.set(result.key, result.id);
      if (memoDir) {
        const map = await loadMemo(memoDir);
        map.set(result.key, { id: result.id, used: Date.now() });
        await saveMemo(memoDir, map);
      }
      return result.id;
    }
    throw new CacheError('source_changing', `source ${absolute} changed while it was being read; wait until it is fully written`, {
      path: absolute,
    });
  })();
  inFlight.set(key, work);
  try {
    return await work;
  } finally {
    inFlight.delete(key);
  }
}

/** Forgets the in-memory memo (tests use it to simulate a fresh process's memory). */
export function clearIdentityMemory(): void {
  memory.clear();
  persisted.clear();
}
