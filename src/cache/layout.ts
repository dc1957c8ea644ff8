/**
 * On-disk layout of a cache directory:
 *
 *   entries/<key>/             one published extraction: frame files + manifest.json (written last)
 *   partial/<key>.<owner>.<r>/ a writer's private directory; renamed to entries/<key> on publish
 *   leases/<key>.<owner>       an empty file: process <owner> is using entries/<key>
 *   trash/<name>.<owner>.<r>/  an entry being deleted (renamed here first so deletion is atomic to readers)
 *   remote/                    downloaded remote sources (see remote.ts)
 *   sources.json               the source-identity memo (see identity.ts)
 *   gc.lock                    held (exclusive create) by the one process running GC
 *
 * <owner> is a process token "<pid>-<starttime>" (owner.ts).
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';

/** Subdirectory of published entries, one directory per cache key. */
export const ENTRIES = 'entries';
/** Subdirectory of writers' unpublished directories. */
export const PARTIAL = 'partial';
/** Subdirectory of lease files. */
export const LEASES = 'leases';
/** Subdirectory where entries and blobs are moved before they are deleted. */
export const TRASH = 'trash';
/** Subdirectory of downloaded remote sources. */
export const REMOTE = 'remote';
/** Lock file created exclusively by the process running GC; holds its owner token. */
export const GC_LOCK = 'gc.lock';
/** File name of an entry's manifest, written last before publishing. */
export const MANIFEST = 'manifest.json';

/** The path of the published entry for `key` under cache root `root` (`<root>/entries/<key>`), existing or not. */
export function entryDir(root: string, key: string): string {
  return path.join(root, ENTRIES, key);
}

/** 12 random lowercase hex digits that make a temporary name unique (no dots, so `ownerOfName` still works). */
export function uniqueSuffix(): string {
  return randomBytes(6).toString('hex');
}

/**
 * The owner token embedded in a temporary name ("<prefix>.<owner>.<random>", "<file>.<owner>.<random>.tmp"):
 * the last dot-separated part shaped like "<pid>-<starttime>", or null.
 */
export function ownerOfName(name: string): string | null {
  const parts = name.split('.');
  for (let i = parts.length - 1; i >= 1; i--) if (/^\d+-\d+$/.test(parts[i]!)) return parts[i]!;
  return null;
}
