/**
 * Leases: "process P is using entry K". A lease is the empty file `leases/<key>.<owner>`; it protects
 * the entry from GC exactly while the owner process lives (owner.ts checks pid + start time), so a
 * crashed render never pins entries forever and no age threshold is guessed.
 */
import { readdirSync, rmSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LEASES } from './layout.js';
import { isTokenAlive, ownToken } from './owner.js';

/**
 * Lease files this process holds, by path, with how many references (across every FrameCache object
 * of the process) keep each alive: two cache objects on one directory share the file, and one object
 * releasing must not drop the other's protection.
 */
const processLeases = new Map<string, number>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Best effort on a normal exit; a killed process's leases die with it anyway (owner check).
  process.once('exit', () => {
    for (const file of processLeases.keys()) {
      try {
        rmSync(file, { force: true });
      } catch {
        // Leftovers are harmless: the owner check finds them dead.
      }
    }
  });
}

/** The leases one FrameCache object holds in one cache directory, reference-counted per key. */
export class LeaseTable {
  private readonly counts = new Map<string, number>();
  private readonly dir: string;

  constructor(root: string) {
    this.dir = path.join(root, LEASES);
    installExitHook();
  }

  private file(key: string): string {
    return path.join(this.dir, `${key}.${ownToken()}`);
  }

  /** Takes (or re-takes) a lease on `key`; the file exists on disk when this resolves. */
  async acquire(key: string): Promise<void> {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    const file = this.file(key);
    const shared = processLeases.get(file) ?? 0;
    processLeases.set(file, shared + 1);
    if (shared === 0) {
      await mkdir(this.dir, { recursive: true });
      await writeFile(file, '');
    }
  }

  /** Drops one reference; the lease file goes when the process's last reference does. */
  async release(key: string): Promise<void> {
    const count = this.counts.get(key) ?? 0;
    if (count === 0) return;
    if (count === 1) this.counts.delete(key);
    else this.counts.set(key, count - 1);
    const file = this.file(key);
    const shared = (processLeases.get(file) ?? 1) - 1;
    if (shared > 0) {
      processLeases.set(file, shared);
    } else {
      processLeases.delete(file);
      await rm(file, { force: true });
    }
  }

  holds(key: string): boolean {
    return this.counts.has(key);
  }

  /** Drops every reference this table holds, synchronously. */
  close(): void {
    for (const [key, count] of this.counts) {
      const file = this.file(key);
      const shared = (processLeases.get(file) ?? count) - count;
      if (shared > 0) {
        processLeases.set(file, shared);
        continue;
      }
      processLeases.delete(file);
      try {
        rmSync(file, { force: true });
      } catch {
        // Harmless: see the exit hook.
      }
    }
    this.counts.clear();
  }
}

/**
 * Keys that hold at least one lease of a live process. Lease files of dead owners are deleted on the
 * way. With `onlyKey`, only that key's leases are examined.
 */
export async function liveLeasedKeys(root: string, onlyKey?: string): Promise<Set<string>> {
  const dir = path.join(root, LEASES);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return new Set();
  }
  const live = new Set<string>();
  for (const name of names) {
    const dot = name.indexOf('.');
    if (dot < 0) continue;
    const key = name.slice(0, dot);
    if (onlyKey !== undefined && key !== onlyKey) continue;
    if (live.has(key)) continue;
    if (isTokenAlive(name.slice(dot + 1))) live.add(key);
    else await rm(path.join(dir, name), { force: true }).catch(() => {});
  }
  return live;
}

/** Synchronous variant used only where an async gap would open a race window. */
export function hasLiveLeaseSync(root: string, key: string): boolean {
  try {
    return readdirSync(path.join(root, LEASES)).some((name) => name.startsWith(`${key}.`) && isTokenAlive(name.slice(key.length + 1)));
  } catch {
    return false;
  }
}
