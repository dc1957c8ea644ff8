/**
 * The persistent frame cache. The extraction engine calls it for one unique extraction:
 *
 *   const cache = await openFrameCache({ dir, budgetBytes, warn });   // null: run uncached
 *   const key = cacheKey({ sourceId: await cache.sourceIdentity(src), recipe });
 *   const hit = await cache.lookup(key);            // a valid entry (leased) or null
 *   if (!hit) {
 *     const w = await cache.beginWrite(key);        // write frames into w.dir
 *     ... ffmpeg writes w.dir/000000.jpg ...
 *     const entry = await cache.publish(w, { frames: names, meta });  // or cache.abort(w)
 *   }
 *   cache.close();                                  // at the end of the render: drops leases
 *
 * Entries are immutable once published. Publishing is atomic (manifest last, then one rename), a loser
 * of a concurrent race adopts the winner's entry, a damaged entry is never served (every frame's
 * SHA-256 is checked on each lookup, see manifest.ts), and entries leased by a live process are never
 * evicted.
 */
import type { BigIntStats } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { resolveBudget, resolveCacheDir } from './config.js';
import { CacheError, errnoCode } from './errors.js';
import { sourceIdentity } from './identity.js';
import { isCacheKey, normalizeRecipe, CACHE_SCHEMA_VERSION, type FrameRecipe } from './key.js';
import { ENTRIES, LEASES, MANIFEST, PARTIAL, REMOTE, TRASH, entryDir, uniqueSuffix } from './layout.js';
import { LeaseTable } from './leases.js';
import { checkEntry, frameChecksum, type Manifest, type ManifestFile } from './manifest.js';
import { ownToken } from './owner.js';
import { cacheStats, removeDamagedEntry, runGc, sweepDead, type CacheStats, type GcResult } from './gc.js';

/** Counters the engine merges into its metrics. */
export interface CacheMetrics {
  cacheHits: number;
  cacheMisses: number;
  publishFailures: number;
  gcEvictions: number;
  gcBytesFreed: number;
  /** Entries a lookup found with a frame that no longer matches its checksum (removed, then missed). */
  corruptEntries: number;
}

/** A published, validated entry. */
export interface CacheEntry {
  key: string;
  dir: string;
  /** Absolute frame paths in slot order. */
  frames: string[];
  manifest: Manifest;
  /** From `publish` only: true when another writer published first and its entry was adopted. */
  adopted?: boolean;
}

/** A writer's private partial directory (from `beginWrite`). */
export interface CacheWriter {
  key: string;
  dir: string;
}

/**
 * What `publish` records in the manifest. At least one frame is required, each a plain file name
 * written in the writer's directory; otherwise `publish` throws `CacheError('invalid_frames')`.
 */
export interface PublishInfo {
  /** Frame file names inside the writer's dir, in slot order (frames[k] is slot k). */
  frames: string[];
  sourceId: string;
  recipe: FrameRecipe;
  /** Extra information returned unchanged on a hit. */
  meta?: Record<string, unknown>;
}

/** Options of `openFrameCache`. */
export interface OpenFrameCacheOptions {
  /** Cache directory; false or "off" disables; undefined → FRAMESMITH_CACHE_DIR / XDG / ~/.cache. */
  dir?: string | false | null;
  /** Byte budget (number, or a size string like "5GiB"); default FRAMESMITH_CACHE_BUDGET, else 5 GiB. */
  budgetBytes?: number | string;
  /**
   * Receives the one warning when the cache directory is unusable, and one per entry a lookup finds
   * changed on disk (a frame whose bytes no longer match its checksum). Default: stderr.
   */
  warn?: (message: string) => void;
  /** Environment to read (tests). Default process.env. */
  env?: NodeJS.ProcessEnv;
}

/** Directories already warned about in this process: one warning each, however often they are opened. */
const warnedDirs = new Set<string>();

/** Publishes between full GC scans; in between, the size is tracked from what this process adds. */
const PUBLISHES_PER_SCAN = 64;

/**
 * Opens the cache: resolves the directory and budget, creates the layout, proves the directory is
 * writable, and sweeps partial/trash directories left by dead processes. Resolves to null when the
 * cache is disabled, or — after one warning through `warn` — when the directory cannot be used.
 * Throws `CacheError('invalid_config')` only for a malformed budget.
 */
export async function openFrameCache(options: OpenFrameCacheOptions = {}): Promise<FrameCache | null> {
  const env = options.env ?? process.env;
  const dir = resolveCacheDir({ dir: options.dir, env });
  if (!dir) return null;
  const budget = resolveBudget(options.budgetBytes, env);
  const warn = options.warn ?? ((message: string) => process.stderr.write(`framesmith: ${message}\n`));
  try {
    await Promise.all([ENTRIES, PARTIAL, LEASES, TRASH, REMOTE].map((sub) => mkdir(path.join(dir, sub), { recursive: true })));
    const probe = path.join(dir, PARTIAL, `probe.${ownToken()}.${uniqueSuffix()}`);
    await writeFile(probe, '');
    await rm(probe, { force: true });
  } catch (error) {
    if (!warnedDirs.has(dir)) {
      warnedDirs.add(dir);
      warn(
        `cache directory ${dir} is not usable (${errnoCode(error) ?? String(error)}); continuing without the frame cache. ` +
          'Set FRAMESMITH_CACHE_DIR to a writable directory, or to "off" to silence this.',
      );
    }
    return null;
  }
  await sweepDead(dir).catch(() => 0);
  return new FrameCache(dir, budget, warn);
}

/**
 * The content-addressed frame cache in one directory (`openFrameCache`): entries keyed by source
 * identity and recipe, published atomically, leased while read, evicted least-recently-used over the
 * byte budget. Safe to share between processes.
 */
export class FrameCache {
  readonly metrics: CacheMetrics = { cacheHits: 0, cacheMisses: 0, publishFailures: 0, gcEvictions: 0, gcBytesFreed: 0, corruptEntries: 0 };
  private readonly leases: LeaseTable;
  /** Bytes as of the last scan plus what we published since; null before the first scan. */
  private approxBytes: number | null = null;
  private publishesSinceScan = 0;

  constructor(
    readonly dir: string,
    readonly budgetBytes: number,
    private readonly warn: (message: string) => void = () => {},
  ) {
    this.leases = new LeaseTable(dir);
  }

  /** Content identity of a local source, memoised persistently in this cache directory. */
  sourceIdentity(filePath: string): Promise<string> {
    return sourceIdentity(filePath, { memoDir: this.dir });
  }

  /**
   * The valid entry for `key`, or null (a miss). On a hit the entry is leased until `release(key)` or
   * `close()` and its last-use time is refreshed. A damaged entry (missing/truncated frame, bad
   * manifest, a frame whose content no longer matches its checksum) counts as a miss and is removed so
   * the next publish replaces it; a checksum mismatch is also reported through `warn`, naming the frame
   * file (the others are left by interrupted or foreign writers, not changed under a reader). Never
   * throws for file-system trouble (that is a miss too); only a malformed key throws.
   */
  async lookup(key: string): Promise<CacheEntry | null> {
    this.assertKey(key);
    const dir = entryDir(this.dir, key);
    let check: Awaited<ReturnType<typeof checkEntry>>;
    try {
      // Lease first, then validate: GC re-checks leases after moving an entry away (gc.ts).
      await this.leases.acquire(key);
      check = await checkEntry(dir, key);
    } catch {
      // The cache must never fail a render: an unusable lease or entry is simply a miss.
      await this.leases.release(key).catch(() => undefined);
      this.metrics.cacheMisses++;
      return null;
    }
    if (check.state === 'valid') {
      const now = new Date();
      await utimes(dir, now, now).catch(() => {});
      this.metrics.cacheHits++;
      return { key, dir, frames: check.manifest.files.map((f) => path.join(dir, f.name)), manifest: check.manifest };
    }
    await this.leases.release(key);
    if (check.state === 'damaged') {
      if (check.file !== undefined) {
        this.metrics.corruptEntries++;
        this.warn(
          `frame cache: ${path.join(dir, check.file)} does not match the checksum it was cached with (changed on disk); ` +
            'removed the entry and extracting its frames again. If this repeats, check the disk holding the cache.',
        );
      }
      await removeDamagedEntry(this.dir, key).catch(() => undefined);
    }
    this.metrics.cacheMisses++;
    return null;
  }

  /** Drops this process's lease on `key` (taken by `lookup`/`publish`). */
  release(key: string): Promise<void> {
    return this.leases.release(key);
  }

  /** Creates a private partial directory for `key`. Throws `CacheError('write_failed')`. */
  async beginWrite(key: string): Promise<CacheWriter> {
    this.assertKey(key);
    const dir = path.join(this.dir, PARTIAL, `${key}.${ownToken()}.${uniqueSuffix()}`);
    try {
      await mkdir(dir, { recursive: true });
    } catch (error) {
      throw new CacheError(
        'write_failed',
        `cannot create ${dir} (${errnoCode(error)}); check free space and permissions`,
        { path: dir },
        { cause: error },
      );
    }
    return { key, dir };
  }

  /**
   * Publishes the frames in `writer.dir`: writes the manifest (size, inode and SHA-256 of every listed
   * frame) last, then renames the directory to entries/<key>. If another writer published first, its valid
   * entry is adopted and ours deleted; a damaged existing entry is replaced. The result is leased.
   * On failure throws `CacheError('publish_failed')`, counts a publish failure, and leaves
   * `writer.dir` in place so the caller can still use its frames and then `abort` it.
   */
  async publish(writer: CacheWriter, info: PublishInfo): Promise<CacheEntry> {
    try {
      return await this.publishOnce(writer, info);
    } catch (error) {
      this.metrics.publishFailures++;
      if (error instanceof CacheError && error.code === 'invalid_frames') throw error;
      throw new CacheError(
        'publish_failed',
        `could not publish cache entry ${writer.key} from ${writer.dir} (${error instanceof Error ? error.message : String(error)})`,
        { path: writer.dir },
        { cause: error },
      );
    }
  }

  private async publishOnce(writer: CacheWriter, info: PublishInfo): Promise<CacheEntry> {
    const { key } = writer;
    const manifest = await this.buildManifest(writer, info);
    const temp = path.join(writer.dir, `${MANIFEST}.tmp`);
    await writeFile(temp, JSON.stringify(manifest));
    await rename(temp, path.join(writer.dir, MANIFEST));
    await this.leases.acquire(key);
    const target = entryDir(this.dir, key);
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          await rename(writer.dir, target);
          const now = new Date();
          await utimes(target, now, now).catch(() => {});
          await this.afterPublish(manifest);
          return { key, dir: target, frames: manifest.files.map((f) => path.join(target, f.name)), manifest, adopted: false };
        } catch (error) {
          const code = errnoCode(error);
          if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || attempt >= 3) throw error;
        }
        const existing = await checkEntry(target, key);
        if (existing.state === 'valid') {
          // Lost the race: the winner's frames are byte-identical by construction of the key.
          await rm(writer.dir, { recursive: true, force: true });
          return {
            key,
            dir: target,
            frames: existing.manifest.files.map((f) => path.join(target, f.name)),
            manifest: existing.manifest,
            adopted: true,
          };
        }
        if (existing.state === 'damaged') await removeDamagedEntry(this.dir, key);
      }
    } catch (error) {
      await this.leases.release(key);
      throw error;
    }
  }

  private async buildManifest(writer: CacheWriter, info: PublishInfo): Promise<Manifest> {
    if (info.frames.length === 0)
      throw new CacheError('invalid_frames', `publish of ${writer.key}: no frames listed; abort the writer instead`, { path: writer.dir });
    const seen = new Set<string>();
    const files: ManifestFile[] = [];
    for (const name of info.frames) {
      if (
        name.includes('/') ||
        name === MANIFEST ||
        name.startsWith(`${MANIFEST}.`) ||
        seen.has(name) ||
        name === '' ||
        name === '.' ||
        name === '..'
      ) {
        throw new CacheError(
          'invalid_frames',
          `publish of ${writer.key}: frame name "${name}" must be a unique plain file name inside ${writer.dir}`,
          { path: writer.dir },
        );
      }
      seen.add(name);
      let s: BigIntStats;
      try {
        s = await stat(path.join(writer.dir, name), { bigint: true });
      } catch {
        throw new CacheError('invalid_frames', `publish of ${writer.key}: frame ${name} was not written to ${writer.dir}`, {
          path: writer.dir,
        });
      }
      if (!s.isFile())
        throw new CacheError('invalid_frames', `publish of ${writer.key}: ${name} is not a regular file`, { path: writer.dir });
      // Read back what is on disk (not what the writer meant to write): the checksum vouches for it.
      const bytes = await readFile(path.join(writer.dir, name));
      files.push({ name, size: bytes.length, inode: `${s.dev}:${s.ino}`, sha256: frameChecksum(bytes) });
    }
    return {
      schema: CACHE_SCHEMA_VERSION,
      key: writer.key,
      sourceId: info.sourceId,
      recipe: normalizeRecipe(info.recipe),
      frameCount: files.length,
      files,
      meta: info.meta ?? {},
      createdAt: new Date().toISOString(),
    };
  }

  /** Runs GC when this process's view of the size is over budget, with a full re-scan every so often. */
  private async afterPublish(manifest: Manifest): Promise<void> {
    this.publishesSinceScan++;
    if (this.approxBytes !== null) this.approxBytes += manifest.files.reduce((sum, f) => sum + f.size, 0);
    if (this.approxBytes === null || this.approxBytes > this.budgetBytes || this.publishesSinceScan >= PUBLISHES_PER_SCAN) {
      await this.gc().catch(() => undefined);
    }
  }

  /** Deletes the writer's partial directory (after a failed or cancelled extraction). */
  async abort(writer: CacheWriter): Promise<void> {
    await rm(writer.dir, { recursive: true, force: true });
  }

  /** One GC pass down to the budget (see gc.ts). */
  async gc(): Promise<GcResult> {
    const result = await runGc(this.dir, {
      budgetBytes: this.budgetBytes,
      onEvict: (_key, freed) => {
        this.metrics.gcEvictions++;
        this.metrics.gcBytesFreed += freed;
      },
    });
    if (!result.skipped) {
      this.approxBytes = result.bytesAfter;
      this.publishesSinceScan = 0;
    }
    return result;
  }

  /** Removes every entry without a live lease, and dead partials. */
  clear(): Promise<GcResult> {
    return runGc(this.dir, { budgetBytes: 0, clear: true });
  }

  stats(): Promise<CacheStats> {
    return cacheStats(this.dir, this.budgetBytes);
  }

  /** Drops every lease this cache object holds. The object must not be used afterwards. */
  close(): void {
    this.leases.close();
  }

  private assertKey(key: string): void {
    if (!isCacheKey(key)) throw new CacheError('invalid_recipe', `"${key}" is not a cache key; compute it with cacheKey()`, {});
  }
}
