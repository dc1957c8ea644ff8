/**
 * Removing the plans no render needs any more from a storage location. Plans are kept after a render
 * (a render of the same content reuses one), so they pile up; `prunePlans` removes those no render
 * has used for `olderThanMs`, never one a live render uses. An incomplete plan (a freeze or an upload
 * in progress, or one killed midway) is removed only after a day without change, whatever
 * `olderThanMs` says: no freeze takes that long. Renders that died without closing (their marker not
 * refreshed for RENDER_STALE_MS) hold no plan, and their `renders/<id>/` is removed too.
 */
import { RENDER_STALE_MS, type OpenRender, type RenderStorage, type StoredPlan } from './storage.js';

/** How long an incomplete plan goes unchanged before `prunePlans` may remove it, ms (one day). */
export const INCOMPLETE_AGE_MS = 24 * 3600_000;

/** Which plans `prunePlans()` removes, and whether it only lists them. */
export interface PruneOptions {
  /** Remove plans last used longer ago than this. */
  olderThanMs: number;
  /** List what would go, remove nothing. */
  dryRun?: boolean;
  /** "Now", for tests. Default Date.now(). */
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
}

/**
 * Removes from `storage` the plans no open render uses and last used longer ago than `options.olderThanMs`, and the
 * folders of renders that died without closing; resolves to what was removed and what was kept (and why).
 */
export async function prunePlans(storage: RenderStorage, options: PruneOptions): Promise<PruneResult> {
  const now = options.now ?? Date.now();
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
  if (!options.dryRun) {
    for (const plan of removed) await storage.deletePlan(plan.name);
    for (const render of deadRenders) await storage.closeRender(render.id);
  }
  return { removed, kept, freedBytes: removed.reduce((sum, p) => sum + p.bytes, 0), deadRenders };
}

/** `7d`, `12h`, `30m`, `90s` (or plain seconds) as ms; NaN for anything else. */
export function parseAge(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)?$/.exec(text.trim());
  if (!m) return Number.NaN;
  const unit = { s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 }[(m[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}
