/**
 * The bookkeeping of `ChunkSessions` (src/render/chunk-session.ts) with stand-in sessions: which
 * session a chunk gets, and when one is closed. That a kept session gives the frames a fresh one does
 * is proven by pixels in chunk-session.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { CaptureSession } from '../../src/render/capture-session.js';
import { ChunkSessions, chunkSessionKey, type OpenedChunkSession } from '../../src/render/chunk-session.js';

/** A stand-in session: one page whose browser is connected until `die()`; counts its closes. */
function fakeSession() {
  const state = { closed: 0, connected: true };
  const page = { isClosed: () => state.closed > 0, browser: () => ({ connected: state.connected }) };
  const session = {
    workers: [{ capturePage: { page } }],
    close: async () => {
      state.closed++;
    },
  } as unknown as CaptureSession;
  return { session, state, die: () => (state.connected = false) };
}

function opener() {
  const made: Array<ReturnType<typeof fakeSession>> = [];
  const open = async (): Promise<OpenedChunkSession> => {
    const s = fakeSession();
    made.push(s);
    return { session: s.session, loadWarnings: [{ code: 'page', message: `load ${made.length}` }] };
  };
  return { made, open };
}

const keyA = chunkSessionKey({ planHash: 'a', storageRoot: '/s', browsers: 1, deadlines: { x: 1 } });
const keyB = chunkSessionKey({ planHash: 'b', storageRoot: '/s', browsers: 1, deadlines: { x: 1 } });

describe('ChunkSessions', () => {
  it('keys differ by any part: plan, storage, browsers, browser, deadlines', () => {
    const base = { planHash: 'a', storageRoot: '/s', browsers: 1, deadlines: { x: 1 } };
    const variants = [
      { ...base, planHash: 'b' },
      { ...base, storageRoot: '/t' },
      { ...base, browsers: 2 },
      { ...base, browserPath: '/usr/bin/chromium' },
      { ...base, deadlines: { x: 2 } },
    ];
    for (const v of variants) expect(chunkSessionKey(v)).not.toBe(chunkSessionKey(base));
    expect(chunkSessionKey({ ...base })).toBe(chunkSessionKey(base));
  });

  it('a chunk of the same plan reuses the idle session with its load warnings; forward ranges keep the page, a range behind it reloads', async () => {
    const pool = new ChunkSessions();
    const { made, open } = opener();
    const first = await pool.acquire(keyA, 'r1', open);
    expect(first.reused).toBe(false);
    await first.release({ healthy: true, next: 30 });
    const second = await pool.acquire(keyA, 'r2', open);
    expect(second.reused).toBe(true);
    expect(second.session).toBe(first.session);
    expect(second.loadWarnings).toEqual([{ code: 'page', message: 'load 1' }]);
    expect(second.needsReload(30)).toBe(false);
    expect(second.needsReload(60)).toBe(false);
    expect(second.needsReload(29)).toBe(true);
    expect(second.needsReload(0)).toBe(true);
    await second.release({ healthy: true, next: 60 });
    expect(pool.counts).toEqual({ opened: 1, reused: 1, idle: 1 });
    expect(made[0]!.state.closed).toBe(0);
    await pool.close();
    expect(made[0]!.state.closed).toBe(1);
  });

  it('a failed chunk closes its session; the next chunk opens a fresh one', async () => {
    const pool = new ChunkSessions();
    const { made, open } = opener();
    await (await pool.acquire(keyA, 'r1', open)).release({ healthy: false });
    expect(made[0]!.state.closed).toBe(1);
    const next = await pool.acquire(keyA, 'r1', open);
    expect(next.reused).toBe(false);
    expect(pool.counts.opened).toBe(2);
    await next.release({ healthy: false });
  });

  it('a chunk of another plan closes the idle session and opens its own', async () => {
    const pool = new ChunkSessions();
    const { made, open } = opener();
    await (await pool.acquire(keyA, 'r1', open)).release({ healthy: true, next: 10 });
    const other = await pool.acquire(keyB, 'r2', open);
    expect(other.reused).toBe(false);
    expect(made[0]!.state.closed).toBe(1);
    expect(pool.counts).toEqual({ opened: 2, reused: 0, idle: 0 });
    await other.release({ healthy: true, next: 5 });
    await pool.close();
    expect(made[1]!.state.closed).toBe(1);
  });

  it('two chunks of one plan at once: each has its own session, one is kept (keepPerKey: as many as asked)', async () => {
    const pool = new ChunkSessions();
    const { made, open } = opener();
    const [x, y] = await Promise.all([pool.acquire(keyA, 'r1', open), pool.acquire(keyA, 'r1', open)]);
    expect(x.session).not.toBe(y.session);
    await x.release({ healthy: true, next: 10 });
    await y.release({ healthy: true, next: 20 });
    expect(made.map((m) => m.state.closed)).toEqual([0, 1]);
    expect(pool.counts.idle).toBe(1);
    await pool.close();

    // A worker running two chunks at once keeps two; the next chunk takes the one whose page is not past its first frame.
    const two = new ChunkSessions({ keepPerKey: 2 });
    const [p, q] = await Promise.all([two.acquire(keyA, 'r1', open), two.acquire(keyA, 'r1', open)]);
    await p.release({ healthy: true, next: 40 });
    await q.release({ healthy: true, next: 20 });
    expect(two.counts.idle).toBe(2);
    const next = await two.acquire(keyA, 'r1', open, 30);
    expect(next.session).toBe(q.session);
    expect(next.needsReload(30)).toBe(false);
    await next.release({ healthy: true, next: 45 });
    await two.close();
    expect(made.slice(2).map((m) => m.state.closed)).toEqual([1, 1]);
  });

  it('an idle session closes after idleMs, when its render is cancelled, or when its browser died meanwhile', async () => {
    const pool = new ChunkSessions({ idleMs: 20 });
    const { made, open } = opener();
    await (await pool.acquire(keyA, 'r1', open)).release({ healthy: true, next: 10 });
    await new Promise((r) => setTimeout(r, 60));
    expect(made[0]!.state.closed).toBe(1);
    expect(pool.counts.idle).toBe(0);

    const kept = new ChunkSessions();
    await (await kept.acquire(keyA, 'r1', open)).release({ healthy: true, next: 10 });
    await kept.closeRender('r-other');
    expect(made[1]!.state.closed).toBe(0);
    await kept.closeRender('r1');
    expect(made[1]!.state.closed).toBe(1);

    await (await kept.acquire(keyA, 'r2', open)).release({ healthy: true, next: 10 });
    made[2]!.die();
    const fresh = await kept.acquire(keyA, 'r2', open);
    expect(fresh.reused).toBe(false);
    expect(made[2]!.state.closed).toBe(1);
    await fresh.release({ healthy: false });
  });

  it('after close(), chunks still render, each with a session closed when it is released', async () => {
    const pool = new ChunkSessions();
    const { made, open } = opener();
    await pool.close();
    const held = await pool.acquire(keyA, 'r1', open);
    await held.release({ healthy: true, next: 1 });
    expect(made[0]!.state.closed).toBe(1);
    expect(pool.counts.idle).toBe(0);
  });
});
