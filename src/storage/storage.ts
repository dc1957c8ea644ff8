/**
 * Where a planned render keeps its plan and its segments (`--storage`): a directory every machine
 * mounts at the same path, or an S3 bucket (`s3://bucket/prefix`, src/storage/s3.ts).
 *
 * Both are used through a local directory, `root`, laid out the same way (`plans/<hash>/…`,
 * `renders/<id>/…`): for a shared directory it is the directory itself and every transfer is a no-op;
 * for S3 it is this machine's mirror, and the phases publish what they wrote and fetch what they read
 * at the points this interface names. The plan and chunk code therefore only ever read local files.
 */
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { StorageError } from './errors.js';

export interface RenderStorage {
  /** As the user gave it: the directory, or `s3://bucket/prefix`. For messages and results. */
  readonly name: string;
  /** The local directory plans and segments are read and written in (see the module comment). */
  readonly root: string;
  /** Throws `storage_unreachable` unless the location can be read and written from here. */
  check(): Promise<void>;
  /** Makes the plan frozen in `root/plans/<hash>` visible to every machine. */
  publishPlan(hash: string): Promise<void>;
  /** Brings the plan `hash` into `root/plans/<hash>` when the location has it (else leaves it absent). */
  fetchPlan(hash: string): Promise<void>;
  /** Marks render `renderId` as waiting for its chunks. */
  openRender(renderId: string): Promise<void>;
  /** Whether render `renderId` still waits for its chunks (not finished, failed or cancelled). */
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

/** The marker a render keeps while it waits for chunks (a file, or an object for S3). */
export const OPEN_MARKER = '.active';

/** The storage `spec` names: an `s3://` URL, or a directory (resolved against the working directory). */
export async function openStorage(spec: string): Promise<RenderStorage> {
  if (/^s3:/i.test(spec)) {
    const { S3Storage, parseS3Url } = await import('./s3.js');
    return new S3Storage(parseS3Url(spec));
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec)) {
    throw new StorageError('storage_url', `--storage "${spec}" is neither a directory nor an s3:// URL: give a shared directory (/mnt/renders) or s3://bucket/prefix`, spec);
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
      throw new StorageError('storage_unreachable', `the storage directory ${this.root} cannot be made (${(error as Error).message}): give --storage a directory this machine can write`, this.name, undefined, { cause: error });
    });
  }

  async publishPlan(): Promise<void> {}
  async fetchPlan(): Promise<void> {}

  async openRender(renderId: string): Promise<void> {
    const dir = this.renderDir(renderId);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, OPEN_MARKER), `${process.pid}\n`);
  }

  isRenderOpen(renderId: string): Promise<boolean> {
    return stat(path.join(this.renderDir(renderId), OPEN_MARKER)).then(() => true, () => false);
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
