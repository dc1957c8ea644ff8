/**
 * Where a planned render keeps its plan and its segments (`--storage`): a directory every machine
 * mounts at the same path, or an S3 bucket (`s3://bucket/prefix`, src/storage/s3.ts).
 *
 * Both are used through a local directory, `root`, laid out the same way (`plans/<hash>/…`,
 * `renders/<id>/…`): for a shared directory it is the directory itself and every transfer is a no-op;
 * for S3 it is this machine's mirror, and the phases publish what they wrote and fetch what they read
 * at the points this interface names. The plan and chunk code therefore only ever read local files.
 */
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
  /** Makes the plan frozen in `root/plans/<hash>` visible to every machine. */
  publishPlan(hash: string): Promise<void>;
  /**
   * Brings the plan `hash` into `root/plans/<hash>` when the location has it (else leaves it absent),
   * all but its video frames (`frames/…`), which `fetchPlanFiles` brings as a chunk needs them.
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
    const now = new Date();
    await utimes(path.join(this.root, 'plans', hash), now, now).catch(() => {});
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
    const now = new Date();
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
    return seen >= 0 && Date.now() - seen < RENDER_STALE_MS;
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
