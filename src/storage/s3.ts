/**
 * An S3 bucket as render storage (`--storage s3://bucket/prefix`; see storage.ts for the contract).
 *
 * Objects mirror the shared-directory layout under the prefix: `plans/<hash>/…` (plan.json uploaded
 * last, so a plan with its plan.json is whole) and `renders/<id>/…` (the open marker and the segments,
 * each under its attempt's own name), and `plans/<hash>.used`, rewritten by each render that uses the
 * plan (what `framesmith storage prune` goes by), and `frames/…`, the video frames chunks extract (see
 * src/extract/shared-frames.ts). Each machine works in a local mirror,
 * `$XDG_CACHE_HOME/framesmith/storage/<hash of endpoint and URL>/`: a plan is downloaded there once per
 * machine (plans are content-addressed, so a copy never goes stale) into a temporary directory renamed
 * in whole — all but its video sources, which come file by file (each through a temporary name) as the
 * chunks rendered here need them — and dropped from the mirror after a day unused here (`trimMirror`); a worker's segment is
 * uploaded, then deleted locally.
 *
 * Configuration is the AWS SDK's own: credentials from its default chain (AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY, a profile, an instance role); region from AWS_REGION (default us-east-1);
 * AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL for an S3-compatible server (MinIO, Ceph, R2), which is
 * then addressed path-style. The object operations and their errors are s3-bucket.ts's.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pLimit from 'p-limit';
import { S3Bucket, type S3Location } from './s3-bucket.js';
import {
  OPEN_MARKER,
  PLAN_HASH,
  RENDER_STALE_MS,
  type OpenRender,
  type RenderStorage,
  type SharedFile,
  type StoredPlan,
} from './storage.js';

export { parseS3Url, type S3Location } from './s3-bucket.js';

/** How long this machine's mirror keeps a plan no chunk here has used, and how often it looks. */
export const MIRROR_KEEP_MS = 24 * 3600_000;
const MIRROR_TRIM_EVERY_MS = 3600_000;

/** Transfers at once for a plan's files (small frames: latency, not bandwidth, bounds them). */
const TRANSFERS = 8;

/**
 * A storage location in an S3 bucket (or an S3-compatible server: AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL), with
 * this machine's credentials; `root` is this machine's local mirror of it, under `$XDG_CACHE_HOME` (else `~/.cache`)/framesmith/storage/.
 */
/** The name of the objects `clock()` writes (and removes) to read the bucket's time. */
const CLOCK_OBJECT = '.clock';

export class S3Storage implements RenderStorage {
  readonly name: string;
  readonly root: string;
  private readonly bucket: S3Bucket;
  /** The renders this process opened, with their plans (to write their markers again). */
  private readonly opened = new Map<string, string>();
  private trimmedAt = 0;

  constructor(location: S3Location) {
    this.name = location.url;
    this.bucket = new S3Bucket(location, this.name);
    const id = createHash('sha256')
      .update(`${this.bucket.endpoint ?? 'aws'}\n${location.url}`)
      .digest('hex')
      .slice(0, 16);
    const cacheHome = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
    this.root = path.join(cacheHome, 'framesmith', 'storage', id);
  }

  /** This machine's mirror copy of `rel`. */
  private localFile(rel: string): string {
    return path.join(this.root, ...rel.split('/'));
  }

  async check(): Promise<void> {
    await this.bucket.check();
    await mkdir(this.root, { recursive: true });
    await this.trimMirror();
  }

  /**
   * Removes from this machine's mirror what no chunk here used for MIRROR_KEEP_MS: plans (the bucket
   * keeps them; a later chunk fetches again), interrupted fetches, render directories. Called at
   * start and at most hourly after, so a long-running worker's disk does not fill with old plans.
   */
  async trimMirror(now = Date.now()): Promise<void> {
    this.trimmedAt = now;
    for (const part of ['plans', 'renders', 'frames']) {
      const dir = path.join(this.root, part);
      const entries = await readdir(dir).catch(() => [] as string[]);
      await Promise.all(
        entries.map(async (name) => {
          const mtime = await stat(path.join(dir, name)).then(
            (st) => st.mtimeMs,
            () => now,
          );
          if (now - mtime > MIRROR_KEEP_MS) await rm(path.join(dir, name), { recursive: true, force: true }).catch(() => {});
        }),
      );
    }
  }

  async publishPlan(hash: string): Promise<void> {
    const rel = `plans/${hash}`;
    if (await this.bucket.exists(`${rel}/plan.json`)) return;
    const files = await listFiles(path.join(this.root, ...rel.split('/')));
    const limit = pLimit(TRANSFERS);
    await Promise.all(
      files.filter((f) => f !== 'plan.json').map((f) => limit(() => this.bucket.upload(`${rel}/${f}`, this.localFile(`${rel}/${f}`)))),
    );
    await this.bucket.upload(`${rel}/plan.json`, this.localFile(`${rel}/plan.json`));
  }

  async fetchPlan(hash: string): Promise<void> {
    if (Date.now() - this.trimmedAt > MIRROR_TRIM_EVERY_MS) await this.trimMirror();
    const dir = path.join(this.root, 'plans', hash);
    if (
      await stat(path.join(dir, 'plan.json')).then(
        () => true,
        () => false,
      )
    ) {
      const now = new Date();
      await utimes(dir, now, now).catch(() => {}); // used now: kept by trimMirror
      return;
    }
    const all = await this.bucket.list(`plans/${hash}/`);
    if (!all.includes('plan.json')) return; // absent, or still being uploaded: openPlan says so
    // The video sources come as chunks need them (fetchPlanFiles): a chunk whose frames another
    // worker already extracted never downloads them.
    const keys = all.filter((k) => !k.startsWith('sources/'));
    const temp = path.join(this.root, 'plans', `.fetch-${hash.slice(0, 12)}-${randomBytes(4).toString('hex')}`);
    try {
      const limit = pLimit(TRANSFERS);
      await Promise.all(keys.map((k) => limit(() => this.bucket.download(`plans/${hash}/${k}`, path.join(temp, ...k.split('/'))))));
      await rename(temp, dir).catch(async (error: NodeJS.ErrnoException) => {
        // Another chunk on this machine fetched it first: theirs is the same content.
        if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
      });
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
  }

  async touchPlan(hash: string): Promise<void> {
    await this.bucket.put(`plans/${hash}.used`, `${new Date().toISOString()}\n`);
  }

  async listPlans(): Promise<StoredPlan[]> {
    const plans = new Map<string, StoredPlan>();
    for (const o of await this.bucket.listObjects('plans/')) {
      const used = /^([0-9a-f]{64})\.used$/.exec(o.key);
      const name = used ? used[1]! : o.key.split('/')[0]!;
      const plan = plans.get(name) ?? { name, complete: false, bytes: 0, lastUsedMs: 0 };
      plan.lastUsedMs = Math.max(plan.lastUsedMs, o.modifiedMs);
      if (!used) plan.bytes += o.size;
      if (o.key === `${name}/plan.json` && PLAN_HASH.test(name)) plan.complete = true;
      plans.set(name, plan);
    }
    return [...plans.values()];
  }

  async deletePlan(hash: string): Promise<void> {
    const keys = (await this.bucket.list(`plans/${hash}/`)).map((k) => `plans/${hash}/${k}`);
    // plan.json first: a plan without it is incomplete, never taken for whole while the rest goes.
    keys.sort((a, b) => Number(b.endsWith('/plan.json')) - Number(a.endsWith('/plan.json')));
    if (keys[0]?.endsWith('/plan.json')) await this.bucket.remove(keys.shift()!);
    const limit = pLimit(TRANSFERS);
    await Promise.all([...keys, `plans/${hash}.used`].map((k) => limit(() => this.bucket.remove(k))));
    await rm(path.join(this.root, 'plans', hash), { recursive: true, force: true });
  }

  async fetchPlanFiles(hash: string, rels: Iterable<string>): Promise<void> {
    const limit = pLimit(TRANSFERS);
    await Promise.all(
      [...rels].map((rel) =>
        limit(async () => {
          const file = path.join(this.root, 'plans', hash, ...rel.split('/'));
          if (
            !(await stat(file).then(
              () => true,
              () => false,
            ))
          )
            await this.bucket.download(`plans/${hash}/${rel}`, file);
        }),
      ),
    );
  }

  async openRender(renderId: string, planHash: string): Promise<void> {
    await this.bucket.put(`renders/${renderId}/${OPEN_MARKER}`, `${planHash}\n${os.hostname()} ${process.pid}\n`);
    this.opened.set(renderId, planHash);
  }

  // An object's time cannot be touched: the marker is written again.
  async refreshRender(renderId: string): Promise<void> {
    const planHash = this.opened.get(renderId);
    if (planHash) await this.openRender(renderId, planHash).catch(() => {});
  }

  async listRenders(): Promise<OpenRender[]> {
    const byId = new Map<string, OpenRender & { marker: boolean }>();
    for (const o of await this.bucket.listObjects('renders/')) {
      const id = o.key.split('/')[0]!;
      const render = byId.get(id) ?? { id, planHash: '', lastSeenMs: 0, marker: false };
      if (o.key === `${id}/${OPEN_MARKER}`) {
        render.marker = true;
        render.lastSeenMs = o.modifiedMs;
      } else if (!render.marker) {
        render.lastSeenMs = Math.max(render.lastSeenMs, o.modifiedMs);
      }
      byId.set(id, render);
    }
    return Promise.all(
      [...byId.values()].map(async ({ marker, ...render }) => ({
        ...render,
        planHash: marker
          ? await this.bucket.getText(`renders/${render.id}/${OPEN_MARKER}`).then(
              (t) => t.split('\n')[0]!,
              () => '',
            )
          : '',
      })),
    );
  }

  async isRenderOpen(renderId: string): Promise<boolean> {
    const modifiedMs = await this.bucket.modified(`renders/${renderId}/${OPEN_MARKER}`);
    return modifiedMs !== null && (await this.clock()) - modifiedMs < RENDER_STALE_MS;
  }

  // The bucket's time: the modification time it gives an object written now (whole seconds, as every
  // object time it reports), read from an object of this call's own, removed again.
  async clock(): Promise<number> {
    const probe = `${CLOCK_OBJECT}-${randomBytes(6).toString('hex')}`;
    try {
      await this.bucket.put(probe, '');
      return (await this.bucket.modified(probe)) ?? Date.now();
    } finally {
      await this.bucket.remove(probe).catch(() => {});
    }
  }

  async segmentDir(renderId: string): Promise<string> {
    const dir = path.join(this.root, 'renders', renderId);
    await mkdir(dir, { recursive: true });
    return dir;
  }

  async publishSegment(renderId: string, name: string): Promise<void> {
    try {
      await this.bucket.upload(`renders/${renderId}/${name}`, this.localFile(`renders/${renderId}/${name}`));
    } finally {
      await rm(path.join(this.root, 'renders', renderId, name), { force: true });
    }
  }

  async fetchSegments(renderId: string, names: readonly string[]): Promise<void> {
    const limit = pLimit(TRANSFERS);
    await Promise.all(
      names.map((name) =>
        limit(async () => {
          const file = path.join(this.root, 'renders', renderId, name);
          if (
            !(await stat(file).then(
              () => true,
              () => false,
            ))
          )
            await this.bucket.download(`renders/${renderId}/${name}`, file);
        }),
      ),
    );
  }

  async closeRender(renderId: string): Promise<void> {
    try {
      const keys = await this.bucket.list(`renders/${renderId}/`);
      const limit = pLimit(TRANSFERS);
      await Promise.all(keys.map((k) => limit(() => this.bucket.remove(`renders/${renderId}/${k}`))));
    } catch {
      // Left behind: `framesmith storage prune` removes them once the marker is stale (README).
    }
    await rm(path.join(this.root, 'renders', renderId), { recursive: true, force: true }).catch(() => {});
    this.opened.delete(renderId);
  }

  async readShared(rel: string): Promise<string | null> {
    const file = path.join(this.root, ...rel.split('/'));
    const local = await readFile(file, 'utf8').catch(() => null);
    if (local !== null) return local;
    const text = await this.bucket.getTextIfAny(rel);
    if (text === null) return null;
    const partial = `${file}.partial-${randomBytes(4).toString('hex')}`;
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(partial, text);
    await rename(partial, file);
    return text;
  }

  async fetchShared(rels: Iterable<string>): Promise<void> {
    const limit = pLimit(TRANSFERS);
    await Promise.all(
      [...rels].map((rel) =>
        limit(async () => {
          const file = path.join(this.root, ...rel.split('/'));
          if (
            !(await stat(file).then(
              () => true,
              () => false,
            ))
          )
            await this.bucket.download(rel, file);
        }),
      ),
    );
  }

  async publishShared(rels: Iterable<string>): Promise<void> {
    for (const rel of rels) await this.bucket.upload(rel, this.localFile(rel));
  }

  async createShared(rel: string, text: string): Promise<boolean> {
    return this.bucket.putIfAbsent(rel, text);
  }

  async writeShared(rel: string, text: string): Promise<void> {
    await this.bucket.put(rel, text);
  }

  async listShared(dir: string): Promise<string[]> {
    const names = new Set<string>();
    for (const key of await this.bucket.list(`${dir}/`)) names.add(key.split('/')[0]!);
    return [...names];
  }

  async listSharedFiles(dir: string): Promise<SharedFile[]> {
    return (await this.bucket.listObjects(`${dir}/`)).map((o) => ({ rel: `${dir}/${o.key}`, size: o.size, modifiedMs: o.modifiedMs }));
  }

  async removeShared(rels: Iterable<string>): Promise<void> {
    const list = [...rels];
    // The first (a window's manifest) alone, then the rest: no reader takes a half-removed window for whole.
    const limit = pLimit(TRANSFERS);
    const removeOne = async (rel: string) => {
      await this.bucket.remove(rel).catch(() => {});
      await rm(path.join(this.root, ...rel.split('/')), { recursive: true, force: true }).catch(() => {});
    };
    if (list.length > 0) await removeOne(list[0]!);
    await Promise.all(list.slice(1).map((rel) => limit(() => removeOne(rel))));
  }
}

/** Files below `dir`, as `/`-separated paths relative to it. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
}
