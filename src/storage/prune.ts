/**
 * Removing the plans no render needs any more from a storage location. Plans are kept after a render
 * (a render of the same content reuses one), so they pile up; `prunePlans` removes those no render
 * has used for `olderThanMs`, never one a live render uses. An incomplete plan (a freeze or an upload
 * in progress, or one killed midway) is removed only after a day without change, whatever
 * `olderThanMs` says: no freeze takes that long. Renders that died without closing (their marker not
 * refreshed for RENDER_STALE_MS) hold no plan, and their `renders/<id>/` is removed too.
 *
 * The video frames chunks extracted (`frames/<window>/`, src/extract/shared-frames.ts) are shared by
 * content between plans: a window written longer ago than `olderThanMs` is removed (manifest first),
 * and with it claims left by dead workers, but only while no render is live — any live render may be
 * about to read any window. A removed window is decoded again by the next chunk that needs it.
 */
import { RENDER_STALE_MS, type OpenRender, type RenderStorage, type SharedFile, type StoredPlan } from './storage.js';

/** How long an incomplete plan goes unchanged before `prunePlans` may remove it, ms (one day). */
export const INCOMPLETE_AGE_MS = 24 * 3600_000;

/** Which plans `prunePlans()` removes, and whether it only lists them. */
export interface PruneOptions {
  /** Remove plans last used longer ago than this. */
  olderThanMs: number;
  /** List what would go, remove nothing. */
  dryRun?: boolean;
  /** "Now", for tests. Default: the storage's clock (`RenderStorage.clock`), on which every age in it is. */
  now?: number;
}

/** A plan `prunePlans()` kept: used by a live render, or last used too recently. */
export type KeptPlan = StoredPlan & { why: 'in use' | 'recent' };

/** What `prunePlans()` removed (under `dryRun`: would remove) and what it kept. */
export interface PruneResult {
  removed: StoredPlan[];
  kept: KeptPlan[];
  /** Bytes of the plans removed. */
  freedBytes: number;
  /** Renders that died without closing, whose `renders/<id>/` was removed. */
  deadRenders: OpenRender[];
  /** Windows of extracted video frames (and leftover claims) removed, and their bytes. */
  frames: { windows: number; bytes: number };
  /** The time the ages were judged at (ms, the storage's clock unless `now` was given). */
  now: number;
}

/**
 * Removes from `storage` the plans no open render uses and last used longer ago than `options.olderThanMs`, and the
 * folders of renders that died without closing; resolves to what was removed and what was kept (and why).
 */
export async function prunePlans(storage: RenderStorage, options: PruneOptions): Promise<PruneResult> {
  const now = options.now ?? (await storage.clock());
  const [plans, renders] = await Promise.all([storage.listPlans(), storage.listRenders()]);
  const live = renders.filter((r) => now - r.lastSeenMs < RENDER_STALE_MS);
  const deadRenders = renders.filter((r) => !live.includes(r));
  const inUse = new Set(live.map((r) => r.planHash));
  const removed: StoredPlan[] = [];
  const kept: KeptPlan[] = [];
  for (const plan of plans.sort((a, b) => a.lastUsedMs - b.lastUsedMs)) {
    const minAge = plan.complete ? options.olderThanMs : Math.max(options.olderThanMs, INCOMPLETE_AGE_MS);
    if (inUse.has(plan.name)) kept.push({ ...plan, why: 'in use' });
    else if (now - plan.lastUsedMs < minAge) kept.push({ ...plan, why: 'recent' });
    else removed.push(plan);
  }
  const windows = live.length > 0 ? [] : oldWindows(await storage.listSharedFiles('frames'), now - options.olderThanMs);
  if (!options.dryRun) {
    for (const plan of removed) await storage.deletePlan(plan.name);
    for (const render of deadRenders) await storage.closeRender(render.id);
    for (const w of windows) await storage.removeShared(w.rels);
  }
  return {
    removed,
    kept,
    freedBytes: removed.reduce((sum, p) => sum + p.bytes, 0),
    deadRenders,
    frames: { windows: windows.filter((w) => !w.claim).length, bytes: windows.reduce((sum, w) => sum + w.bytes, 0) },
    now,
  };
}

/**
 * The windows (`frames/<key>/…`) and claims (`frames/.claims/<key>/…`) of `files` whose every file was
 * written before `before`: each with its files, the manifest first, and their bytes.
 */
function oldWindows(files: readonly SharedFile[], before: number): Array<{ rels: string[]; bytes: number; claim: boolean }> {
  const groups = new Map<string, SharedFile[]>();
  for (const f of files) {
    const parts = f.rel.split('/');
    const group = parts[1] === '.claims' ? parts.slice(0, 3).join('/') : parts.slice(0, 2).join('/');
    groups.set(group, [...(groups.get(group) ?? []), f]);
  }
  return [...groups.entries()]
    .filter(([, list]) => list.every((f) => f.modifiedMs < before))
    .map(([group, list]) => ({
      // The folder last: a shared directory keeps no empty one (in a bucket it names no object).
      rels: [...list.map((f) => f.rel).sort((a, b) => Number(b.endsWith('/manifest.json')) - Number(a.endsWith('/manifest.json'))), group],
      bytes: list.reduce((sum, f) => sum + f.size, 0),
      claim: group.includes('/.claims/'),
    }));
}

/** `7d`, `12h`, `30m`, `90s` (or plain seconds) as ms; NaN for anything else. */
export function parseAge(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)?$/.exec(text.trim());
  if (!m) return Number.NaN;
  const unit = { s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 }[(m[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}
