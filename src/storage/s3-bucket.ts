/**
 * The objects of an S3 bucket under a key prefix, as render storage stores them (s3.ts): one client
 * configured from the AWS SDK's own chain, keys relative to the prefix, and every failure turned into a
 * `StorageError` that says whether the storage answered at all (`storage_unreachable`) or answered with
 * an error (`storage_transfer`).
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
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
import { StorageError } from './errors.js';

/** An `s3://bucket[/prefix]` storage location, parsed by `parseS3Url()`. */
export interface S3Location {
  bucket: string;
  /** Key prefix without leading or trailing `/` ('' for the bucket's root). */
  prefix: string;
  /** `s3://bucket/prefix`, normalized. */
  url: string;
}

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

/** Files up to this size are uploaded from memory. */
const SMALL_FILE = 8 * 1024 * 1024;

/** An object listed under a prefix: its key relative to the prefix, size and modification time (ms since the epoch). */
export interface BucketObject {
  key: string;
  size: number;
  modifiedMs: number;
}

/**
 * The bucket and prefix of `location` through one S3 client (region from AWS_REGION, default
 * us-east-1; AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL for an S3-compatible server, addressed path-style);
 * every `rel` is a key relative to the prefix. `name` is how messages name the storage.
 */
export class S3Bucket {
  readonly client: S3Client;
  readonly endpoint: string | undefined;

  constructor(
    readonly location: S3Location,
    readonly name: string,
  ) {
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
  }

  /** Checks that the bucket can be read and written (a probe object written and removed); `storage_unreachable` otherwise. */
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
  }

  /** The text of object `rel`, or null when there is none. */
  async getTextIfAny(rel: string): Promise<string | null> {
    try {
      const { Body } = await this.client.send(new GetObjectCommand({ Bucket: this.location.bucket, Key: this.key(rel) }));
      return await Body!.transformToString();
    } catch (error) {
      if (status(error) === 404) return null;
      throw this.transferError('read', rel, error);
    }
  }

  /**
   * Creates object `rel` holding `text` unless it exists (a conditional PUT, If-None-Match: *: S3
   * since 2024, MinIO and R2 let one of racing writers create it); false when it existed.
   */
  async putIfAbsent(rel: string, text: string): Promise<boolean> {
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.location.bucket, Key: this.key(rel), Body: text, IfNoneMatch: '*' }));
      return true;
    } catch (error) {
      const code = status(error);
      if (code === 412 || code === 409) return false;
      throw this.transferError('write', rel, error);
    }
  }

  /** The object key of `rel`: under the prefix. */
  key(rel: string): string {
    return this.location.prefix ? `${this.location.prefix}/${rel}` : rel;
  }

  /** Whether object `rel` exists. */
  async exists(rel: string): Promise<boolean> {
    return (await this.modified(rel)) !== null;
  }

  /** When the object `rel` was last written (ms since the epoch), or null when there is none. */
  async modified(rel: string): Promise<number | null> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.location.bucket, Key: this.key(rel) }));
      return head.LastModified?.getTime() ?? 0;
    } catch (error) {
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return null;
      throw this.transferError('read', rel, error);
    }
  }

  /** Keys under `rel` (ending in `/`), relative to it. */
  async list(rel: string): Promise<string[]> {
    return (await this.listObjects(rel)).map((o) => o.key);
  }

  /** Objects under `rel` (ending in `/`): keys relative to it, sizes, modification times. */
  async listObjects(rel: string): Promise<BucketObject[]> {
    const objects: BucketObject[] = [];
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

  /** The text of object `rel`. */
  async getText(rel: string): Promise<string> {
    try {
      const { Body } = await this.client.send(new GetObjectCommand({ Bucket: this.location.bucket, Key: this.key(rel) }));
      return await Body!.transformToString();
    } catch (error) {
      throw this.transferError('read', rel, error);
    }
  }

  /** Deletes object `rel`. */
  async remove(rel: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.location.bucket, Key: this.key(rel) }));
    } catch (error) {
      throw this.transferError('delete', rel, error);
    }
  }

  /** Writes `body` as object `rel`. */
  async put(rel: string, body: string): Promise<void> {
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.location.bucket, Key: this.key(rel), Body: body }));
    } catch (error) {
      throw this.transferError('write', rel, error);
    }
  }

  /** Uploads the local `file` as object `rel`. */
  async upload(rel: string, file: string): Promise<void> {
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
  async download(rel: string, file: string): Promise<void> {
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
  transferError(verb: string, rel: string, error: unknown): StorageError {
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

/** The HTTP status of an SDK error (undefined: no answer). */
function status(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

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
