/**
 * An S3 bucket as render storage (`--storage s3://bucket/prefix`; see storage.ts for the contract).
 *
 * Objects mirror the shared-directory layout under the prefix: `plans/<hash>/…` (plan.json uploaded
 * last, so a plan with its plan.json is whole) and `renders/<id>/…` (the open marker and the segments,
 * each under its attempt's own name), and `plans/<hash>.used`, rewritten by each render that uses the
 * plan (what `framesmith storage prune` goes by). Each machine works in a local mirror,
 * `$XDG_CACHE_HOME/framesmith/storage/<hash of endpoint and URL>/`: a plan is downloaded there once per
 * machine (plans are content-addressed, so a copy never goes stale) into a temporary directory renamed
 * in whole — all but its video frames, which come file by file (each through a temporary name) as the
 * chunks rendered here need them — and dropped from the mirror after a day unused here (`trimMirror`); a worker's segment is
 * uploaded, then deleted locally.
 *
 * Configuration is the AWS SDK's own: credentials from its default chain (AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY, a profile, an instance role); region from AWS_REGION (default us-east-1);
 * AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL for an S3-compatible server (MinIO, Ceph, R2), which is
 * then addressed path-style.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { StorageError } from './errors.js';
import { OPEN_MARKER, PLAN_HASH, RENDER_STALE_MS, type OpenRender, type RenderStorage, type StoredPlan } from './storage.js';

/** An `s3://bucket[/prefix]` storage location, parsed by `parseS3Url()`. */
export interface S3Location {
  bucket: string;
  /** Key prefix without leading or trailing `/` ('' for the bucket's root). */
  prefix: string;
  /** `s3://bucket/prefix`, normalized. */
  url: string;
}

/** How long this machine's mirror keeps a plan no chunk here has used, and how often it looks. */
export const MIRROR_KEEP_MS = 24 * 3600_000;
const MIRROR_TRIM_EVERY_MS = 3600_000;

/** Files up to this size are uploaded from memory. */
const SMALL_FILE = 8 * 1024 * 1024;

/** Transfers at once for a plan's files (small frames: latency, not bandwidth, bounds them). */
const TRANSFERS = 8;

/** Throws `storage_url` unless `spec` is `s3://bucket[/prefix]`. */
export function parseS3Url(spec: string): S3Location {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/i.exec(spec);
  const bucket = m?.[1] ?? '';
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new StorageError(
      'storage_url',
      `\`storage\` "${spec}" is not an S3 URL with a valid bucket name: give s3://bucket/prefix (bucket: 3–63 lowercase letters, digits, dots, hyphens)`,
      { storage: spec, option: 'storage' },
    );
  }
  const prefix = (m?.[2] ?? '').replace(/^\/+|\/+$/g, '');
  return { bucket, prefix, url: `s3://${bucket}${prefix ? `/${prefix}` : ''}` };
}

/**
 * A storage location in an S3 bucket (or an S3-compatible server: AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL), with
 * this machine's credentials; `root` is this machine's local mirror of it, under `$XDG_CACHE_HOME` (else `~/.cache`)/framesmith/storage/.
 */
export class S3Storage implements RenderStorage {
  readonly name: string;
  readonly root: string;
  private readonly client: S3Client;
  private readonly endpoint: string | undefined;
  /** The renders this process opened, with their plans (to write their markers again). */
  private readonly opened = new Map<string, string>();
  private trimmedAt = 0;

  constructor(private readonly location: S3Location) {
    this.name = location.url;
    this.endpoint = process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL || undefined;
    // The SDK warns on stderr that its 2027 releases will need Node 22: a notice for us, not our users.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    this.client = new S3Client({
      region: process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1',
      ...(this.endpoint ? { endpoint: this.endpoint, forcePathStyle: true } : {}),
      // The SDK's default CRC checksums on every request are not understood by every S3-compatible
      // server; S3 itself needs them only where it requires them.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // requestTimeout: a socket silent this long (a server gone without closing) fails the request.
      requestHandler: { connectionTimeout: 5000, requestTimeout: 30_000 },
    });
    const id = createHash('sha256')
      .update(`${this.endpoint ?? 'aws'}\n${location.url}`)
      .digest('hex')
      .slice(0, 16);
    const cacheHome = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
    this.root = path.join(cacheHome, 'framesmith', 'storage', id);
  }

  async check(): Promise<void> {
    const probe = `.framesmith-probe-${randomBytes(6).toString('hex')}`;
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.location.bucket }));
      await this.client.send(new PutObjectCommand({ Bucket: this.location.bucket, Key: this.key(probe), Body: 'probe' }));
      await this.client.send(new DeleteObjectCommand({ Bucket: this.location.bucket, Key: this.key(probe) }));
    } catch (error) {
      throw new StorageError(
        'storage_unreachable',
        `the bucket of ${this.name}${this.endpoint ? ` at ${this.endpoint}` : ''} cannot be read and written (${describe(error)}): check the bucket, AWS_ENDPOINT_URL, AWS_REGION and the credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) on this machine`,
        { storage: this.name },
        { cause: error },
      );
    }
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
    for (const part of ['plans', 'renders']) {
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
    if (await this.exists(`${rel}/plan.json`)) return;
    const files = await listFiles(path.join(this.root, ...rel.split('/')));
    const limit = pLimit(TRANSFERS);
    await Promise.all(files.filter((f) => f !== 'plan.json').map((f) => limit(() => this.upload(`${rel}/${f}`))));
    await this.upload(`${rel}/plan.json`);
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
    const all = await this.list(`plans/${hash}/`);
    if (!all.includes('plan.json')) return; // absent, or still being uploaded: openPlan says so
    // The frames come one by one as chunks need them (fetchPlanFiles): a worker fetches its range only.
    const keys = all.filter((k) => !k.startsWith('frames/'));
    const temp = path.join(this.root, 'plans', `.fetch-${hash.slice(0, 12)}-${randomBytes(4).toString('hex')}`);
    try {
      const limit = pLimit(TRANSFERS);
      await Promise.all(keys.map((k) => limit(() => this.download(`plans/${hash}/${k}`, path.join(temp, ...k.split('/'))))));
      await rename(temp, dir).catch(async (error: NodeJS.ErrnoException) => {
        // Another chunk on this machine fetched it first: theirs is the same content.
        if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
      });
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
  }

  async touchPlan(hash: string): Promise<void> {
    await this.put(`plans/${hash}.used`, `${new Date().toISOString()}\n`);
  }

  async listPlans(): Promise<StoredPlan[]> {
    const plans = new Map<string, StoredPlan>();
    for (const o of await this.listObjects('plans/')) {
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
    const keys = (await this.list(`plans/${hash}/`)).map((k) => `plans/${hash}/${k}`);
    // plan.json first: a plan without it is incomplete, never taken for whole while the rest goes.
    keys.sort((a, b) => Number(b.endsWith('/plan.json')) - Number(a.endsWith('/plan.json')));
    if (keys[0]?.endsWith('/plan.json')) await this.remove(keys.shift()!);
    const limit = pLimit(TRANSFERS);
    await Promise.all([...keys, `plans/${hash}.used`].map((k) => limit(() => this.remove(k))));
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
            await this.download(`plans/${hash}/${rel}`, file);
        }),
      ),
    );
  }

  async openRender(renderId: string, planHash: string): Promise<void> {
    await this.put(`renders/${renderId}/${OPEN_MARKER}`, `${planHash}\n${os.hostname()} ${process.pid}\n`);
    this.opened.set(renderId, planHash);
  }

  // An object's time cannot be touched: the marker is written again.
  async refreshRender(renderId: string): Promise<void> {
    const planHash = this.opened.get(renderId);
    if (planHash) await this.openRender(renderId, planHash).catch(() => {});
  }

  async listRenders(): Promise<OpenRender[]> {
    const byId = new Map<string, OpenRender & { marker: boolean }>();
    for (const o of await this.listObjects('renders/')) {
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
          ? await this.getText(`renders/${render.id}/${OPEN_MARKER}`).then(
              (t) => t.split('\n')[0]!,
              () => '',
            )
          : '',
      })),
    );
  }

  async isRenderOpen(renderId: string): Promise<boolean> {
    const modifiedMs = await this.modified(`renders/${renderId}/${OPEN_MARKER}`);
    return modifiedMs !== null && Date.now() - modifiedMs < RENDER_STALE_MS;
  }

  async segmentDir(renderId: string): Promise<string> {
    const dir = path.join(this.root, 'renders', renderId);
    await mkdir(dir, { recursive: true });
    return dir;
  }

  async publishSegment(renderId: string, name: string): Promise<void> {
    try {
      await this.upload(`renders/${renderId}/${name}`);
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
            await this.download(`renders/${renderId}/${name}`, file);
        }),
      ),
    );
  }

  async closeRender(renderId: string): Promise<void> {
    try {
      const keys = await this.list(`renders/${renderId}/`);
      const limit = pLimit(TRANSFERS);
      await Promise.all(keys.map((k) => limit(() => this.remove(`renders/${renderId}/${k}`))));
    } catch {
      // Left behind: `framesmith storage prune` removes them once the marker is stale (README).
    }
    await rm(path.join(this.root, 'renders', renderId), { recursive: true, force: true }).catch(() => {});
    this.opened.delete(renderId);
  }

  private key(rel: string): string {
    return this.location.prefix ? `${this.location.prefix}/${rel}` : rel;
  }

  private async exists(rel: string): Promise<boolean> {
    return (await this.modified(rel)) !== null;
  }

  /** When the object `rel` was last written (ms since the epoch), or null when there is none. */
  private async modified(rel: string): Promise<number | null> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.location.bucket, Key: this.key(rel) }));
      return head.LastModified?.getTime() ?? 0;
    } catch (error) {
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return null;
      throw this.transferError('read', rel, error);
    }
  }

  /** Keys under `rel` (ending in `/`), relative to it. */
  private async list(rel: string): Promise<string[]> {
    return (await this.listObjects(rel)).map((o) => o.key);
  }

  /** Objects under `rel` (ending in `/`): keys relative to it, sizes, modification times. */
  private async listObjects(rel: string): Promise<Array<{ key: string; size: number; modifiedMs: number }>> {
    const objects: Array<{ key: string; size: number; modifiedMs: number }> = [];
    const prefix = this.key(rel);
    let token: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.location.bucket, Prefix: prefix, ContinuationToken: token }),
        );
        for (const o of page.Contents ?? []) {
          if (o.Key) objects.push({ key: o.Key.slice(prefix.length), size: o.Size ?? 0, modifiedMs: o.LastModified?.getTime() ?? 0 });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (error) {
      throw this.transferError('list', rel, error);
    }
    return objects;
  }

  private async getText(rel: string): Promise<string> {
    try {
      const { Body } = await this.client.send(new GetObjectCommand({ Bucket: this.location.bucket, Key: this.key(rel) }));
      return await Body!.transformToString();
    } catch (error) {
      throw this.transferError('read', rel, error);
    }
  }

  private async remove(rel: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.location.bucket, Key: this.key(rel) }));
    } catch (error) {
      throw this.transferError('delete', rel, error);
    }
  }

  private async put(rel: string, body: string): Promise<void> {
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.location.bucket, Key: this.key(rel), Body: body }));
    } catch (error) {
      throw this.transferError('write', rel, error);
    }
  }

  /** Uploads `root/<rel>` as `<prefix>/<rel>`. */
  private async upload(rel: string): Promise<void> {
    const file = path.join(this.root, ...rel.split('/'));
    try {
      const { size } = await stat(file);
      // Small files (most frames) in one buffer; large ones streamed with their length (the SDK
      // cannot send a stream of unknown length, and takes a length of 0 for unknown).
      const body = size <= SMALL_FILE ? await readFile(file) : createReadStream(file);
      await this.client.send(new PutObjectCommand({ Bucket: this.location.bucket, Key: this.key(rel), Body: body, ContentLength: size }));
    } catch (error) {
      throw this.transferError('upload', rel, error);
    }
  }

  /** Downloads `<prefix>/<rel>` to `file` (through a temporary name). */
  private async download(rel: string, file: string): Promise<void> {
    const partial = `${file}.partial-${randomBytes(4).toString('hex')}`;
    try {
      await mkdir(path.dirname(file), { recursive: true });
      const { Body } = await this.client.send(new GetObjectCommand({ Bucket: this.location.bucket, Key: this.key(rel) }));
      await pipeline(Body as Readable, createWriteStream(partial));
      await rename(partial, file);
    } catch (error) {
      await rm(partial, { force: true });
      throw this.transferError('download', rel, error);
    }
  }

  /**
   * `storage_unreachable` when no answer came at all (refused, reset, unknown host, timed out: the
   * server or the network is down, which another try seconds later rarely fixes), else
   * `storage_transfer` (an answer that was an error: retried as any chunk failure is).
   */
  private transferError(verb: string, rel: string, error: unknown): StorageError {
    if (unanswered(error)) {
      return new StorageError(
        'storage_unreachable',
        `cannot ${verb} ${rel} in ${this.name}: the storage${this.endpoint ? ` at ${this.endpoint}` : ''} does not answer (${describe(error)}); check that it is up and reachable from this machine, then render again`,
        { storage: this.name, key: this.key(rel) },
        { cause: error },
      );
    }
    return new StorageError(
      'storage_transfer',
      `cannot ${verb} ${rel} in ${this.name} (${describe(error)})`,
      { storage: this.name, key: this.key(rel) },
      { cause: error },
    );
  }
}

/** Files below `dir`, as `/`-separated paths relative to it. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
}

/** Network-level failures: the request got no HTTP answer. */
const UNANSWERED = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'TimeoutError',
  'RequestTimeout',
]);

function unanswered(error: unknown): boolean {
  const e = error as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  return e.$metadata?.httpStatusCode === undefined && (UNANSWERED.has(e.code ?? '') || UNANSWERED.has(e.name ?? ''));
}

function describe(error: unknown): string {
  const e = error as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  // A HEAD answered with an error has no body: the SDK then knows only the status.
  const known = e.message && e.message !== 'UnknownError' && e.name !== 'Unknown';
  const text = known ? e.message : status === 403 ? 'access denied' : status === 404 ? 'no such bucket' : (e.name ?? String(error));
  return `${e.code && e.code !== e.message ? `${e.code}: ` : ''}${text}${status ? ` (HTTP ${status})` : ''}`;
}
