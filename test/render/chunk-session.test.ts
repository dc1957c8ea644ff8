/**
 * A worker keeps its capture session (browser, loaded page) between chunks of one plan
 * (src/render/chunk-session.ts), and the frames are those of fresh sessions: three chunks of the
 * planned composition (test/helpers/planned.ts: a clip whose frame k is on frame k, a moving CSS box)
 * rendered through one `ChunkSessions`, as the `worker` command does — forward past a gap, then back
 * into it — decode to exactly the frames of a render whose every chunk opened its own session. Then a
 * chunk of another plan gets a session of its own, and a chunk that fails closes its session.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserStats, idleBrowserCount } from '../../src/browser/pool.js';
import { render } from '../../src/render.js';
import { renderChunk } from '../../src/render/chunk.js';
import { ChunkSessions } from '../../src/render/chunk-session.js';
import { RenderError } from '../../src/render/errors.js';
import type { ChunkJob, ChunkResult } from '../../src/plan/chunks.js';
import { openStorage } from '../../src/storage/storage.js';
import { FRAMES, makePlannedProject, setBackground, wrongFrames } from '../helpers/planned.js';
import { decodeFrames, hashFrames, makeProject, pixel, type DecodedVideo } from '../helpers/render-pixels.js';

let project: string;
let storage: string;
/** The composition in chunks of 15, each chunk in a session of its own (a planned render in this process). */
let fresh: DecodedVideo;
let planHash: string;
const sessions = new ChunkSessions();

beforeAll(async () => {
  project = await makePlannedProject('fs-chunk-session-');
  storage = await makeProject({}, 'fs-storage-');
  const output = path.join(project, 'fresh.mp4');
  // Three chunks, three workers: each chunk in a session of its own. The plan's browser is handed to
  // one of them (3 launches, not 4), and with `keepBrowsers: 0` none is left running.
  const launches = browserStats.launches;
  const idle = idleBrowserCount();
  const result = await render(project, { output, chunkFrames: 15, workers: 3, storage, keepBrowsers: 0 });
  expect(result.chunks!.map((c) => c.sessionReused)).toEqual([false, false, false]);
  expect(browserStats.launches - launches).toBe(3);
  expect(idleBrowserCount()).toBe(idle);
  planHash = result.plan!.hash;
  fresh = await decodeFrames(output, { width: 320, height: 180 });
}, 180_000);

afterAll(async () => {
  await sessions.close();
  for (const dir of [project, storage]) if (dir) await rm(dir, { recursive: true, force: true });
});

/** Renders `job` through the kept sessions into render `renderId` (open as long as `open()` says). */
async function chunk(job: Omit<ChunkJob, 'renderId'>, renderId = 'kept', open: () => boolean = () => true): Promise<ChunkResult> {
  const store = await openStorage(storage);
  await store.openRender(renderId, job.planHash);
  return renderChunk({ ...job, renderId }, { storage: store, sessions, renderOpen: async () => open() });
}

async function framesOf(result: ChunkResult, renderId = 'kept'): Promise<Buffer[]> {
  return (await decodeFrames(path.join(storage, 'renders', renderId, result.segment), { width: 320, height: 180 })).frames;
}

describe('a worker keeps its browser and page across chunks of one plan', () => {
  it('chunks 0, 2 then 1 in one session give exactly the frames of fresh sessions; a chunk of another plan, and one after a failure, get fresh sessions', async () => {
    const first = await chunk({ planHash, index: 0, first: 0, count: 15 });
    // Forward past a gap (frames 15-29 stepped through undrawn), then back into it (pages loaded afresh).
    const third = await chunk({ planHash, index: 2, first: 30, count: 15 });
    const second = await chunk({ planHash, index: 1, first: 15, count: 15 });
    expect([first, third, second].map((r) => r.sessionReused)).toEqual([false, true, true]);
    expect(sessions.counts).toEqual({ opened: 1, reused: 2, idle: 1 });
    // Counted per chunk, and every chunk's first frame is a screenshot.
    for (const r of [first, second, third]) {
      expect(r.capture!.captured + r.capture!.reused).toBe(15);
      expect(r.capture!.captured).toBeGreaterThan(0);
    }
    const kept: DecodedVideo = { ...fresh, frames: [...(await framesOf(first)), ...(await framesOf(second)), ...(await framesOf(third))] };
    expect(kept.frames).toHaveLength(FRAMES);
    expect(wrongFrames(kept, 'rgb24')).toEqual([]);
    expect(hashFrames(kept)).toEqual(hashFrames(fresh));

    // Another plan (another background): the idle session is closed, a new one opened.
    await setBackground(project, '#402030');
    let otherHash: string;
    try {
      const other = await render(project, { output: path.join(project, 'other.mp4'), frames: { first: 0, last: 0 }, storage });
      otherHash = other.plan!.hash;
    } finally {
      await setBackground(project, '#203040');
    }
    expect(otherHash).not.toBe(planHash);
    const otherChunk = await chunk({ planHash: otherHash, index: 0, first: 0, count: 1 }, 'other');
    expect(otherChunk.sessionReused).toBe(false);
    expect(sessions.counts).toEqual({ opened: 2, reused: 2, idle: 1 });
    const [frame] = await framesOf(otherChunk, 'other');
    // Right of the clip, above the box: the other plan's background (#402030).
    const background = pixel({ ...fresh, frames: [frame!] }, 0, 300, 60);
    expect(background.every((c, i) => Math.abs(c - [64, 32, 48][i]!) <= 6) || background).toBe(true);

    // A chunk that fails (its render is no longer open after the capture) closes its session: none is kept.
    let asked = 0;
    const failed = await chunk({ planHash, index: 0, first: 0, count: 2 }, 'failing', () => asked++ === 0).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(RenderError);
    expect((failed as RenderError).code).toBe('cancelled');
    expect(sessions.counts).toEqual({ opened: 3, reused: 2, idle: 0 });
  }, 240_000);
});
