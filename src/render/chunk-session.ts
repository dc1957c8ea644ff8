/**
 * Capture sessions a worker process keeps loaded between chunks of one plan, so a chunk pays for its
 * frames, not for a server, browsers and a page load each time.
 *
 * A `ChunkSessions` pool belongs to one process (the `worker` command makes one; `renderChunk` without
 * one opens and closes a session per chunk, as before). A chunk `acquire`s the session of its key — the
 * plan hash, the storage it reads the plan from and its browser settings (`chunkSessionKey`) — and
 * `release`s it when done:
 *
 * - a session is used by one chunk at a time; an idle one of the same key is taken again
 *   (`reused: true`), otherwise one is opened;
 * - a chunk that failed, for any reason, closes its session: one whose page threw, timed out or
 *   crashed is never used again;
 * - an idle session closes when a chunk of another key is acquired (a worker renders one plan at a
 *   time: a browser left for the previous plan only costs memory), after `idleMs` without a chunk, when
 *   `closeRender` is told its render was cancelled or failed, and on `close()` (the worker stopping);
 * - an idle session whose browser died meanwhile is closed at `acquire` and a fresh one opened.
 *
 * Why reuse keeps the frames identical to a fresh session's (src/browser/runtime/runtime.ts): a seek
 * forward steps through the frames in between, undrawn, exactly as a freshly loaded page steps through
 * every frame before the chunk's first; a chunk that starts before the frame the page showed last (a
 * retried or out-of-order chunk) gets its pages loaded afresh (`needsReload`), because a seek backwards
 * goes straight to its frame and callback-driven page state would differ. The capture workers' reuse of
 * unchanged frames is reset per chunk by the caller (`CaptureWorker.beginRange`), so a chunk's first
 * frame is always a screenshot.
 */
import type { CaptureHooks } from '../capture/hooks.js';
import type { RenderWarning } from '../warnings.js';
import type { CaptureSession } from './capture-session.js';

/** How long an idle session stays open without a chunk of its plan, ms (a browser and a page held meanwhile). */
export const CHUNK_SESSION_IDLE_MS = 30_000;

/** What a chunk's session is kept by: one key per plan, storage and browser settings. */
export interface ChunkSessionKeyParts {
  planHash: string;
  /** The storage's root on this machine (the plan's files are served from under it). */
  storageRoot: string;
  /** Browsers (capture workers) the session runs. */
  browsers: number;
  /** The browser executable asked for (undefined: the bundled one). */
  browserPath?: string;
  /** The resolved deadlines, compared by value. */
  deadlines: object;
}

/** The key `ChunkSessions` keeps a session under: equal exactly when every part is. */
export function chunkSessionKey(parts: ChunkSessionKeyParts): string {
  return JSON.stringify([parts.planHash, parts.storageRoot, parts.browsers, parts.browserPath ?? null, parts.deadlines]);
}

/** A session opened by `acquire`'s `open`, with the warnings its loading produced (given again to every chunk that reuses it). */
export interface OpenedChunkSession {
  session: CaptureSession;
  loadWarnings: readonly RenderWarning[];
}

/** A session in a chunk's hands, from `ChunkSessions.acquire` (or opened for one chunk alone). */
export interface HeldChunkSession extends OpenedChunkSession {
  /** True when the session was opened for an earlier chunk and kept. */
  readonly reused: boolean;
  /**
   * True when the pages last showed a frame at or after `first` (the chunk's first frame): they must
   * be loaded afresh (`CaptureSession.reload`) before capturing, see the module comment.
   */
  needsReload(first: number): boolean;
  /**
   * Gives the session back: `healthy` (the chunk succeeded, its pages now after frame `next - 1`)
   * keeps it for the next chunk of its key; anything else closes it. Resolves once closed, when closed.
   */
  release(outcome: { healthy: true; next: number } | { healthy: false }): Promise<void>;
}

interface Entry extends OpenedChunkSession {
  key: string;
  /** The render of the chunk that used it last. */
  renderId: string;
  /** The frame after the last one the pages showed (-1: none yet). */
  next: number;
  idleTimer?: NodeJS.Timeout;
}

/** Whether every page of the session is still open in a connected browser. */
function alive(session: CaptureSession): boolean {
  return session.workers.every((w) => !w.capturePage.page.isClosed() && w.capturePage.page.browser().connected);
}

/**
 * `hooks` (a chunk's video painter) for pages kept from an earlier chunk: each page's painted video
 * frames are taken away first, so the page shows none, as a freshly loaded one does — the painter
 * starts believing that and paints whatever this chunk's first frame shows (`videoIndexes`: the
 * plan's videos' timed indexes).
 */
export function hooksForKeptPages(hooks: CaptureHooks, videoIndexes: readonly number[]): CaptureHooks {
  if (videoIndexes.length === 0) return hooks;
  return {
    ...hooks,
    async setupPage(page, index) {
      await page.evaluate(
        (indexes: number[]) => window.__framesmithVideo?.show(indexes.map((i) => ({ index: i, url: null }))),
        [...videoIndexes],
      );
      await hooks.setupPage?.(page, index);
    },
  };
}

/** Opens a session for one chunk alone: released, it is closed whatever the outcome. */
export async function openOneShot(open: () => Promise<OpenedChunkSession>): Promise<HeldChunkSession> {
  const opened = await open();
  return {
    ...opened,
    reused: false,
    needsReload: () => false,
    release: () => opened.session.close(),
  };
}

/** The sessions one process keeps between chunks (see the module comment). */
export class ChunkSessions {
  private readonly idle = new Set<Entry>();
  private readonly busy = new Set<Entry>();
  private closing = false;
  private openedCount = 0;
  private reusedCount = 0;
  private readonly idleMs: number;
  private readonly keepPerKey: number;

  /**
   * `idleMs`: how long an idle session stays open (default `CHUNK_SESSION_IDLE_MS`); `keepPerKey`: idle
   * sessions kept per key, at most (default 1; a worker running N chunks at once keeps N).
   */
  constructor(options: { idleMs?: number; keepPerKey?: number } = {}) {
    this.idleMs = options.idleMs ?? CHUNK_SESSION_IDLE_MS;
    this.keepPerKey = Math.max(1, options.keepPerKey ?? 1);
  }

  /** Sessions opened so far, chunks that reused one, and sessions idle now (for logs and tests). */
  get counts(): { opened: number; reused: number; idle: number } {
    return { opened: this.openedCount, reused: this.reusedCount, idle: this.idle.size };
  }

  /**
   * An idle session kept under `key` (alive; of several, the one whose pages need no reload for a chunk
   * from frame `first`), or a new one from `open`. Idle sessions of other keys are closed first, and so
   * is a dead one of this key. Rejects with `open`'s error (nothing is kept).
   */
  async acquire(key: string, renderId: string, open: () => Promise<OpenedChunkSession>, first = 0): Promise<HeldChunkSession> {
    if (this.closing) return openOneShot(open);
    const stale: Entry[] = [];
    let entry: Entry | undefined;
    for (const e of this.idle) {
      if (e.key !== key || !alive(e.session)) stale.push(e);
      // The furthest page not past `first`; else any (it reloads).
      else if (!entry || (e.next <= first && (entry.next > first || e.next > entry.next))) entry = e;
    }
    for (const e of stale) this.takeIdle(e);
    if (entry) this.takeIdle(entry);
    await Promise.all(stale.map((e) => this.closeIdle(e)));
    const reused = entry !== undefined;
    if (!entry) {
      const opened = await open();
      this.openedCount++;
      entry = { ...opened, key, renderId, next: -1 };
    } else this.reusedCount++;
    entry.renderId = renderId;
    this.busy.add(entry);
    const held = entry;
    return {
      session: held.session,
      loadWarnings: held.loadWarnings,
      reused,
      needsReload: (from) => held.next > from,
      release: (outcome) => this.release(held, outcome),
    };
  }

  /** Closes the idle sessions last used by a chunk of `renderId` (its render was cancelled or failed). Never throws. */
  async closeRender(renderId: string): Promise<void> {
    await this.closeIdleWhere((e) => e.renderId === renderId);
  }

  /** Closes every idle session now, and every busy one as its chunk releases it; later chunks each open their own. */
  async close(): Promise<void> {
    this.closing = true;
    await this.closeIdleWhere(() => true);
  }

  private async closeIdleWhere(which: (entry: Entry) => boolean): Promise<void> {
    const chosen = [...this.idle].filter(which);
    for (const e of chosen) this.takeIdle(e);
    await Promise.all(chosen.map((e) => this.closeIdle(e)));
  }

  private async release(entry: Entry, outcome: { healthy: true; next: number } | { healthy: false }): Promise<void> {
    if (!this.busy.delete(entry)) return;
    const kept = [...this.idle].filter((e) => e.key === entry.key).length;
    // Beyond `keepPerKey` idle sessions of a key (more chunks of a plan at once than usual), closed, not kept.
    if (!outcome.healthy || this.closing || kept >= this.keepPerKey || !alive(entry.session)) return this.closeIdle(entry);
    entry.next = outcome.next;
    entry.idleTimer = setTimeout(() => {
      if (!this.idle.has(entry)) return;
      this.takeIdle(entry);
      void this.closeIdle(entry);
    }, this.idleMs);
    entry.idleTimer.unref();
    this.idle.add(entry);
  }

  private takeIdle(entry: Entry): void {
    clearTimeout(entry.idleTimer);
    entry.idleTimer = undefined;
    this.idle.delete(entry);
  }

  private closeIdle(entry: Entry): Promise<void> {
    return entry.session.close().catch(() => {});
  }
}
