/**
 * Where a planned render keeps its plan and its segments (`--storage`): a directory every machine
 * mounts at the same path, or an S3 bucket (`s3://bucket/prefix`, src/storage/s3.ts).
 *
 * Both are used through a local directory, `root`, laid out the same way (`plans/<hash>/…`,
 * `renders/<id>/…`): for a shared directory it is the directory itself and every transfer is a no-op;
 * for S3 it is this machine's mirror, and the phases publish what they wrote and fetch what they read
 * at the points this interface names. The plan and chunk code therefore only ever read local files.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { StorageError } from './errors.js';

/** A planned render's storage, opened by `openStorage()`: see the module comment for how it is used. */
export interface RenderStorage {
  /** As the user gave it: the directory, or `s3://bucket/prefix`. For messages and results. */
  readonly name: string;
  /** The local directory plans and segments are read and written in (see the module comment). */
  readonly root: string;
  /** Throws `storage_unreachable` unless the location can be read and written from here. */
  check(): Promise<void>;
  /**
   * Now by the location's clock, ms: the time it gives a file written now. Every `lastUsedMs` and
   * `lastSeenMs` is on that clock, so ages are judged by it, never by this machine's (which may be off).
   */
  clock(): Promise<number>;
  /** Makes the plan frozen in `root/plans/<hash>` visible to every machine. */
  publishPlan(hash: string): Promise<void>;
  /**
   * Brings the plan `hash` into `root/plans/<hash>` when the location has it (else leaves it absent),
   * all but its video sources (`sources/…`), which `fetchPlanFiles` brings as a chunk needs them.
   */
  fetchPlan(hash: string): Promise<void>;
  /** Brings the files `rels` (relative to the plan) of plan `hash` that are not here yet. */
  fetchPlanFiles(hash: string, rels: Iterable<string>): Promise<void>;
  /** Records that a render uses plan `hash` now (what `prune` goes by). */
  touchPlan(hash: string): Promise<void>;
  /** The plans in the location, whole or not, with their size and when a render last used them. */
  listPlans(): Promise<StoredPlan[]>;
  /** Deletes plan `hash` from the location (and, for S3, from this machine's mirror). */
  deletePlan(hash: string): Promise<void>;
  /**
   * Marks render `renderId`, which uses plan `planHash`, as waiting for its chunks. The render then
   * calls `refreshRender` every RENDER_REFRESH_MS while it runs: a marker older than RENDER_STALE_MS
   * is a render that died without closing (killed, machine lost).
   */
  openRender(renderId: string, planHash: string): Promise<void>;
  refreshRender(renderId: string): Promise<void>;
  /** The renders with a marker, alive or stale. */
  listRenders(): Promise<OpenRender[]>;
  /** Whether render `renderId` still waits for its chunks: its marker is there and fresh. */
  isRenderOpen(renderId: string): Promise<boolean>;
  /** The local directory a chunk of `renderId` writes its segment in (made if needed). */
  segmentDir(renderId: string): Promise<string>;
  /** Publishes the finished segment `name` of `segmentDir(renderId)` to every machine. */
  publishSegment(renderId: string, name: string): Promise<void>;
  /** Brings the named segments of `renderId` into `segmentDir(renderId)` for assembly. */
  fetchSegments(renderId: string, names: readonly string[]): Promise<void>;
  /** Removes everything of render `renderId`, here and in the location. Never throws. */
  closeRender(renderId: string): Promise<void>;
  /**
   * Shared files outside any plan: the video frames chunks extract and their claims
   * (src/extract/shared-frames.ts). `rel` is relative to `root`, `/`-separated. The text of `rel`:
   * this machine's copy when it has one, else the location's (S3: kept here), or null when neither has it.
   */
  readShared(rel: string): Promise<string | null>;
  /** Brings the shared files `rels` that are not here yet (S3: downloads; a directory: nothing to do). */
  fetchShared(rels: Iterable<string>): Promise<void>;
  /** Makes the shared files `rels`, written here, visible to every machine, in the order given. */
  publishShared(rels: Iterable<string>): Promise<void>;
  /** Creates `rel` holding `text` unless it exists, atomically (one of racing callers wins): whether this call made it. */
  createShared(rel: string, text: string): Promise<boolean>;
  /** Writes `rel` (replacing it) in the location. */
  writeShared(rel: string, text: string): Promise<void>;
  /** The names directly below the shared folder `dir` (no trailing `/`) in the location. */
  listShared(dir: string): Promise<string[]>;
  /** Every shared file below the folder `dir` in the location: path relative to `root`, size in bytes, when written (ms since the epoch). */
  listSharedFiles(dir: string): Promise<SharedFile[]>;
  /** Removes the shared files `rels` from the location and from here. Never throws. */
  removeShared(rels: Iterable<string>): Promise<void>;
}

/** A shared file as `listSharedFiles` finds it. */
export interface SharedFile {
  rel: string;
  size: number;
  modifiedMs: number;
}

/** The marker a render keeps while it waits for chunks (a file, or an object for S3): its plan's hash. */
export const OPEN_MARKER = '.active';

/** How often a running render refreshes its marker, and the age at which a marker is a dead render's. */
export const RENDER_REFRESH_MS = 30_000;
/** A marker not refreshed for this long (ms: 10 refreshes missed) is a dead render's. */
export const RENDER_STALE_MS = 10 * RENDER_REFRESH_MS;

/** A render whose marker is in the storage: one waiting for its chunks, or one that died without closing. */
export interface OpenRender {
  id: string;
  /** The plan it renders ('' when the marker cannot be read). */
  planHash: string;
  /** When the render last refreshed its marker (ms since the epoch). */
  lastSeenMs: number;
}

/** A plan's name in `plans/`: its hash. Anything else there is a plan being written (or left by a crash). */
export const PLAN_HASH = /^[0-9a-f]{64}$/;

/** A plan directory in the storage's `plans/`, as `listPlans()` finds it; `bytes` the total size of its files. */
export interface StoredPlan {
  /** The plan's hash, or the name of an incomplete one (a freeze in progress or killed). */
  name: string;
  complete: boolean;
  bytes: number;
  /** When a render last used it (ms since the epoch): made, reused or fetched. */
  lastUsedMs: number;
}

/** The storage `spec` names: an `s3://` URL, or a directory (resolved against the working directory). */
export async function openStorage(spec: string): Promise<RenderStorage> {
  if (/^s3:/i.test(spec)) {
    const { S3Storage, parseS3Url } = await import('./s3.js');
    return new S3Storage(parseS3Url(spec));
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec)) {
    throw new StorageError(
      'storage_url',
      `\`storage\` "${spec}" is neither a directory nor an s3:// URL: give a shared directory (/mnt/renders) or s3://bucket/prefix`,
      { storage: spec, option: 'storage' },
    );
  }
  return new DirectoryStorage(path.resolve(spec));
}

/** A directory every machine mounts at the same path (NFS, EFS, SMB): nothing to transfer. */
export class DirectoryStorage implements RenderStorage {
  readonly name: string;
  constructor(readonly root: string) {
    this.name = root;
  }

  async check(): Promise<void> {
    await mkdir(this.root, { recursive: true }).catch((error: unknown) => {
      throw new StorageError(
        'storage_unreachable',
        `the storage directory ${this.root} cannot be made (${(error as Error).message}): give \`storage\` a directory this machine can write`,
        { storage: this.name },
        { cause: error },
      );
    });
  }

  async publishPlan(): Promise<void> {}
  async fetchPlan(): Promise<void> {}
  async fetchPlanFiles(): Promise<void> {}

  // A plan directory is never written once renamed in: its own mtime is free to say when it was used.
  async touchPlan(hash: string): Promise<void> {
    const now = new Date(await this.clock());
    await utimes(path.join(this.root, 'plans', hash), now, now).catch(() => {});
  }

  // The file system's time (the kernel's, or a network file system's server's), read from a file written now.
  async clock(): Promise<number> {
    const probe = path.join(this.root, `.clock-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      await writeFile(probe, '');
      return (await stat(probe)).mtimeMs;
    } catch {
      return Date.now(); // unwritable here: `check` says so; this machine's clock is all there is
    } finally {
      await rm(probe, { force: true }).catch(() => {});
    }
  }

  async listPlans(): Promise<StoredPlan[]> {
    const plans = path.join(this.root, 'plans');
    const entries = await readdir(plans, { withFileTypes: true }).catch(() => []);
    return Promise.all(
      entries
        .filter((e) => e.isDirectory())
        .map(async (e) => {
          const dir = path.join(plans, e.name);
          const [{ mtimeMs }, bytes] = await Promise.all([stat(dir), directoryBytes(dir)]);
          const complete =
            PLAN_HASH.test(e.name) &&
            (await stat(path.join(dir, 'plan.json')).then(
              () => true,
              () => false,
            ));
          return { name: e.name, complete, bytes, lastUsedMs: mtimeMs };
        }),
    );
  }

  async deletePlan(hash: string): Promise<void> {
    await rm(path.join(this.root, 'plans', hash), { recursive: true, force: true });
  }

  async openRender(renderId: string, planHash: string): Promise<void> {
    const dir = this.renderDir(renderId);
    await mkdir(dir, { recursive: true });
    // Temp name, then rename: a prune or a worker never reads a half-written marker.
    const temp = path.join(dir, `${OPEN_MARKER}.${process.pid}.tmp`);
    await writeFile(temp, `${planHash}\n${process.pid}\n`);
    await rename(temp, path.join(dir, OPEN_MARKER));
  }

  async refreshRender(renderId: string): Promise<void> {
    const now = new Date(await this.clock());
    await utimes(path.join(this.renderDir(renderId), OPEN_MARKER), now, now).catch(() => {});
  }

  async listRenders(): Promise<OpenRender[]> {
    const renders = path.join(this.root, 'renders');
    const ids = await readdir(renders).catch(() => [] as string[]);
    return Promise.all(
      ids.map(async (id) => {
        const marker = path.join(renders, id, OPEN_MARKER);
        const [planHash, lastSeenMs] = await Promise.all([
          readFile(marker, 'utf8').then(
            (t) => t.split('\n')[0]!,
            () => '',
          ),
          // No marker: a directory a chunk or a render left; its own age tells.
          stat(marker)
            .catch(() => stat(path.join(renders, id)))
            .then(
              (st) => st.mtimeMs,
              () => 0,
            ),
        ]);
        return { id, planHash, lastSeenMs };
      }),
    );
  }

  async isRenderOpen(renderId: string): Promise<boolean> {
    const seen = await stat(path.join(this.renderDir(renderId), OPEN_MARKER)).then(
      (st) => st.mtimeMs,
      () => -1,
    );
    return seen >= 0 && (await this.clock()) - seen < RENDER_STALE_MS;
  }

  // The render made the directory; a chunk must not make it again once the render has removed it.
  async segmentDir(renderId: string): Promise<string> {
    return this.renderDir(renderId);
  }

  async publishSegment(): Promise<void> {}
  async fetchSegments(): Promise<void> {}

  async closeRender(renderId: string): Promise<void> {
    await rm(this.renderDir(renderId), { recursive: true, force: true }).catch(() => {});
  }

  private renderDir(renderId: string): string {
    return path.join(this.root, 'renders', renderId);
  }

  async readShared(rel: string): Promise<string | null> {
    return readFile(this.shared(rel), 'utf8').catch(() => null);
  }

  async fetchShared(): Promise<void> {}
  async publishShared(): Promise<void> {}

  // O_EXCL: exactly one of racing creators (processes or machines on one NFS v3+ export) succeeds.
  async createShared(rel: string, text: string): Promise<boolean> {
    const file = this.shared(rel);
    await mkdir(path.dirname(file), { recursive: true });
    return writeFile(file, text, { flag: 'wx' }).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'EEXIST') return false;
        throw error;
      },
    );
  }

  // Temp name, then rename: a reader never sees it half-written.
  async writeShared(rel: string, text: string): Promise<void> {
    const file = this.shared(rel);
    const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(temp, text);
    await rename(temp, file).catch(async (error: unknown) => {
      await rm(temp, { force: true });
      throw error;
    });
  }

  async listShared(dir: string): Promise<string[]> {
    return readdir(this.shared(dir)).catch(() => []);
  }

  async listSharedFiles(dir: string): Promise<SharedFile[]> {
    const base = this.shared(dir);
    const entries = await readdir(base, { recursive: true, withFileTypes: true }).catch(() => []);
    const files = await Promise.all(
      entries
        .filter((e) => e.isFile())
        .map(async (e) => {
          const file = path.join(e.parentPath, e.name);
          const st = await stat(file).catch(() => null);
          const rel = `${dir}/${path.relative(base, file).split(path.sep).join('/')}`;
          return st ? { rel, size: st.size, modifiedMs: st.mtimeMs } : null;
        }),
    );
    return files.filter((f): f is SharedFile => f !== null);
  }

  async removeShared(rels: Iterable<string>): Promise<void> {
    // In order (a window's manifest before its frames), so no reader takes a half-removed one for whole.
    for (const rel of rels) await rm(this.shared(rel), { recursive: true, force: true }).catch(() => {});
  }

  private shared(rel: string): string {
    return path.join(this.root, ...rel.split('/'));
  }
}

/** Bytes of the files below `dir`. */
async function directoryBytes(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  const sizes = await Promise.all(
    entries
      .filter((e) => e.isFile())
      .map((e) =>
        stat(path.join(e.parentPath, e.name)).then(
          (s) => s.size,
          () => 0,
        ),
      ),
  );
  return sizes.reduce((a, b) => a + b, 0);
}
