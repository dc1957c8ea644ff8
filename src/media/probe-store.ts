/**
 * Probe results that outlive the process: what ffprobe said about a file (its streams, its packet
 * index) is kept on disk, so a warm run in a new process starts no ffprobe at all.
 *
 * Keyed by the file's path and identity — device, inode, size and modification time in nanoseconds,
 * the same identity the frame cache trusts for a file's content (src/cache/identity.ts) — plus the
 * kind of probe and `PROBE_STORE_VERSION`: a file edited in place gets a new mtime and is probed
 * again. Each record is one small file, `<dir>/<sha256(key)>.<ext>`, written under a temporary name
 * and renamed into place, so concurrent processes and a crash never leave a half-written record; a
 * record that fails to parse is treated as absent. `useProbeStore(dir)` turns it on (the render and
 * `extract` point it at `<cache dir>/probes`); without it probes are memoized in memory only.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Bump when a stored probe's shape or meaning changes: older records are then ignored. */
export const PROBE_STORE_VERSION = 1;

let storeDir: string | null = null;

/** Where probes persist from now on (null: memory only). */
export function useProbeStore(dir: string | null): void {
  storeDir = dir ? path.resolve(dir) : null;
}

/** Counters for tests and metrics: records read from and written to disk. */
export const probeStoreStats = { hits: 0, writes: 0 };

/** The identity part of a key: path, device, inode, size, mtime (ns). Throws when the file is gone. */
export async function fileKey(file: string): Promise<string> {
  const s = await stat(file, { bigint: true });
  return `${path.resolve(file)}\0${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}`;
}

function recordPath(dir: string, kind: string, key: string, ext: string): string {
  const digest = createHash('sha256').update(`${PROBE_STORE_VERSION}\0${kind}\0${key}`).digest('hex');
  return path.join(dir, digest.slice(0, 2), `${digest}.${ext}`);
}

/** The stored JSON value of probe `kind` for `key`, or undefined. */
export async function readStoredProbe<T>(kind: string, key: string): Promise<T | undefined> {
  if (!storeDir) return undefined;
  try {
    const record = JSON.parse(await readFile(recordPath(storeDir, kind, key, 'json'), 'utf8')) as { key?: string; value?: T };
    if (record.key !== key) return undefined;
    probeStoreStats.hits++;
    return record.value;
  } catch {
    return undefined;
  }
}

/** Stores `value` as probe `kind` of `key` (best effort: a store that cannot be written is skipped). */
export async function writeStoredProbe(kind: string, key: string, value: unknown): Promise<void> {
  if (!storeDir) return;
  await writeRecord(recordPath(storeDir, kind, key, 'json'), JSON.stringify({ key, value }));
}

/** The stored binary of probe `kind` for `key` (a Float64Array's bytes), or undefined. */
export async function readStoredFloats(kind: string, key: string): Promise<Float64Array | undefined> {
  if (!storeDir) return undefined;
  try {
    const bytes = await readFile(recordPath(storeDir, kind, key, 'bin'));
    const header = `${key}\n`;
    const head = bytes.subarray(0, Buffer.byteLength(header)).toString('utf8');
    if (head !== header) return undefined;
    // Copy: the values must be 8-byte aligned for a Float64Array view.
    const body = bytes.subarray(Buffer.byteLength(header));
    const values = new Float64Array(body.length / 8);
    Buffer.from(values.buffer).set(body.subarray(0, values.length * 8));
    probeStoreStats.hits++;
    return values;
  } catch {
    return undefined;
  }
}

/** Stores `values` as probe `kind` of `key`, prefixed by the key (to tell a hash collision). */
export async function writeStoredFloats(kind: string, key: string, values: Float64Array): Promise<void> {
  if (!storeDir) return;
  await writeRecord(
    recordPath(storeDir, kind, key, 'bin'),
    Buffer.concat([Buffer.from(`${key}\n`, 'utf8'), Buffer.from(values.buffer, values.byteOffset, values.byteLength)]),
  );
}

async function writeRecord(file: string, data: string | Buffer): Promise<void> {
  const temp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(temp, data);
    await rename(temp, file);
    probeStoreStats.writes++;
  } catch {
    await rm(temp, { force: true }).catch(() => {});
  }
}
