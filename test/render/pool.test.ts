/**
 * The capture pool with real browsers and pages: frames reach the sink strictly in order, a slow sink
 * holds capture back (never more than `reorderLimit` frames captured ahead of the sink), and a sink
 * failure stops capture and surfaces as the error.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type LaunchedBrowser } from '../../src/browser/launch.js';
import { runtimeConfigFor, runtimeScript } from '../../src/browser/runtime-config.js';
import { startProjectServer, type ProjectServer } from '../../src/browser/server.js';
import { captureFrames } from '../../src/capture/pool.js';
import { CaptureWorker } from '../../src/capture/worker.js';
import { parseComposition } from '../../src/load/index.js';
import type { Composition } from '../../src/composition/model.js';
import { makeProject, page } from '../helpers/render-pixels.js';

let dir: string;
let composition: Composition;
let server: ProjectServer;
let browsers: LaunchedBrowser[] = [];
let workers: CaptureWorker[] = [];

beforeAll(async () => {
  dir = await makeProject({
    'index.html': page({
      body: '<div id="b" style="position:absolute;width:10px;height:10px;background:#fff;animation:m 1s linear both"></div>',
      style: '@keyframes m { to { transform: translateX(300px); } }',
    }),
  });
  composition = await parseComposition(dir);
  server = await startProjectServer(dir);
  browsers = await Promise.all([launchBrowser(), launchBrowser()]);
  const runtime = runtimeScript(runtimeConfigFor(composition, 1));
  workers = await Promise.all(
    browsers.map((b, i) =>
      CaptureWorker.open(b.browser, b.captureMode, i, {
        url: server.urlFor(composition.entryFile),
        runtime,
        width: 320,
        height: 180,
        transparent: false,
      }),
    ),
  );
}, 60_000);

afterAll(async () => {
  for (const w of workers) await w.close();
  for (const b of browsers) await b.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

/** Wraps the real workers' renderFrame to count frames captured. */
function counting(): { captured: () => number } {
  let captured = 0;
  for (const w of workers) {
    const original = CaptureWorker.prototype.renderFrame.bind(w);
    w.renderFrame = async (i, t) => {
      const png = await original(i, t);
      captured++;
      return png;
    };
  }
  return { captured: () => captured };
}

describe('capture pool', () => {
  it('a slow sink: frames arrive in order and capture stays within the reorder limit', async () => {
    const counter = counting();
    const seen: number[] = [];
    let maxAhead = 0;
    await captureFrames({
      workers,
      frameCount: composition.frameCount,
      fps: composition.fps,
      reorderLimit: 3,
      sink: async (frame, index) => {
        expect(frame.subarray(1, 4).toString()).toBe('PNG');
        seen.push(index);
        maxAhead = Math.max(maxAhead, counter.captured() - seen.length);
        await new Promise((r) => setTimeout(r, 15));
      },
    });
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(maxAhead).toBeLessThanOrEqual(3);
    expect(maxAhead).toBeGreaterThanOrEqual(1); // the workers did run ahead of the sink
  });

  it('a sink that fails stops capture and rejects with its error', async () => {
    const counter = counting();
    const failure = new Error('disk full (test)');
    const error = await captureFrames({
      workers,
      frameCount: composition.frameCount,
      fps: composition.fps,
      reorderLimit: 2,
      sink: async (_frame, index) => {
        if (index === 5) throw failure;
      },
    }).catch((e: unknown) => e);
    expect(error).toBe(failure);
    // At most the frames in flight when it failed were captured beyond frame 5.
    expect(counter.captured()).toBeLessThanOrEqual(6 + 2 + workers.length);
  });
});
