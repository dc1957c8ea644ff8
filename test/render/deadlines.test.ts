/**
 * Every wait on a page has a deadline (src/capture/deadlines.ts): a page script that never returns —
 * while loading, or in a callback at some frame — ends the render with `timeout` naming the phase, the
 * frame and the option that raises the deadline; a renderer that crashes ends it at once with
 * `browser_crashed`. Each time: the browser is gone (no child process left), no output written, the
 * project untouched. Deadlines are short options here so each case takes seconds.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveDeadlines } from '../../src/render/deadlines.js';
import { render } from '../../src/render.js';
import type { RenderOptions } from '../../src/render/types.js';
import { RenderError } from '../../src/render/errors.js';
import { liveChildCount } from '../../src/media/process.js';
import { runCli } from '../helpers/render-cli.js';
import { makeProject, page } from '../helpers/render-pixels.js';

/** 64x36, 1 s at 30 fps: frame 15 is at 0.5 s. */
const small = (script?: string) =>
  page({ body: '<div style="width:10px;height:10px;background:#fff"></div>', width: 64, height: 36, script });
/** An animation frame callback (virtual time) that never returns once the composition reaches 0.5 s: frame 15. */
const LOOP_AT_FRAME_15 = 'requestAnimationFrame(function tick(t) { if (t >= 499) { while (true) {} } requestAnimationFrame(tick); });';

const dirs: string[] = [];
let loadLoop: string;

/** A project holding `html` as index.html; the test checks it is left as it was. */
async function project(html: string): Promise<string> {
  const dir = await makeProject({ 'index.html': html }, 'fs-deadlines-');
  dirs.push(dir);
  return dir;
}

/** Renders `dir` into `dir/out.mp4` expecting a failure; checks nothing is left running or written. */
async function failingRender(dir: string, options: RenderOptions): Promise<RenderError> {
  const before = await readFile(path.join(dir, 'index.html'), 'utf8');
  const output = path.join(dir, 'out.mp4');
  const error = await render(dir, { output, workers: 1, ...options }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RenderError);
  expect(liveChildCount()).toBe(0);
  expect(existsSync(output)).toBe(false);
  // Nothing half-written beside it, the composition as it was.
  expect((await readdir(dir)).sort()).toEqual(['index.html']);
  expect(await readFile(path.join(dir, 'index.html'), 'utf8')).toBe(before);
  return error as RenderError;
}

beforeAll(async () => {
  loadLoop = await project(small('while (true) {}'));
});

afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('deadlines', () => {
  it('an inline script that never returns while the page loads: timeout in the load phase, naming --browser-timeout', async () => {
    const error = await failingRender(loadLoop, { browserTimeout: 1500 });
    expect(error.code).toBe('timeout');
    expect(error.fields).toMatchObject({ phase: 'load', option: 'browserTimeout' });
    expect(error.fields.frame).toBeUndefined();
    expect(error.fields.waitingFor).toBeUndefined();
    expect(error.message).toMatch(/index\.html did not finish loading \(its load event\) within 1500 ms/);
    expect(error.message).toContain('raise `browserTimeout` if the page is only slow');
  }, 60_000);

  it('a callback that never returns at frame 15: timeout in the seek of frame 15, naming --protocol-timeout', async () => {
    const error = await failingRender(await project(small(LOOP_AT_FRAME_15)), { protocolTimeout: 1500 });
    expect(error.code).toBe('timeout');
    expect(error.fields).toMatchObject({ phase: 'seek', frame: 15, option: 'protocolTimeout' });
    expect(error.message).toMatch(/^frame 15 \(0\.500 s\) of http:\/\/127\.0\.0\.1:\d+\/index\.html did not seek/);
    expect(error.message).toContain('raise `protocolTimeout` if the page is only slow');
  }, 60_000);

  it('an adapter whose ready() never settles: timeout in the ready phase, naming --player-ready-timeout', async () => {
    const never = 'window.__framesmith.registerAdapter({ name: "never", seek() {}, ready: () => new Promise(() => {}) });';
    const error = await failingRender(await project(small(never)), { playerReadyTimeout: 1000 });
    expect(error.code).toBe('timeout');
    // A page waiting on a promise (not blocked) says what it waits for; a blocked one cannot (above: no `waitingFor`).
    expect(error.fields).toMatchObject({ phase: 'ready', option: 'playerReadyTimeout', waitingFor: "the adapters' ready()" });
    expect(error.message).toMatch(
      /index\.html did not become ready \(fonts, adapters' ready hooks, timelines\) within 1000 ms \(it was waiting for the adapters' ready\(\)\)/,
    );
    expect(error.message).toContain('raise `playerReadyTimeout` if the page is only slow');
  }, 60_000);

  it('a renderer that crashes at frame 5 is browser_crashed at once, not a wait (the deadline is a minute)', async () => {
    // The crash is real: the page's renderer process is killed through the protocol (Page.crash), as
    // an out-of-memory kill would; the hook then never returns, so only crash detection ends the frame.
    const error = await failingRender(await project(small()), {
      protocolTimeout: 60_000,
      stages: [
        {
          name: 'crash-at-5',
          capture: {
            async beforeCapture(p, frame) {
              if (frame !== 5) return;
              const cdp = await p.createCDPSession();
              void cdp.send('Page.crash').catch(() => {});
              await new Promise(() => {});
            },
          },
        },
      ],
    });
    expect(error.code).toBe('browser_crashed');
    expect(error.fields).toMatchObject({ frame: 5, phase: 'paint' });
    expect(error.message).toMatch(/index\.html: its page process crashed at frame 5 \(0\.167 s\): a script that exhausts memory/);
  }, 30_000);

  it("the three deadlines resolve from options, else PRODUCER_* variables, else HyperFrames' defaults; bad values are invalid_option", () => {
    expect(resolveDeadlines({}, {})).toEqual({ browserTimeoutMs: 60_000, protocolTimeoutMs: 300_000, playerReadyTimeoutMs: 45_000 });
    expect(
      resolveDeadlines(
        { protocolTimeout: 2000 },
        { PRODUCER_PUPPETEER_PROTOCOL_TIMEOUT_MS: '9000', PRODUCER_PLAYER_READY_TIMEOUT_MS: '7000' },
      ),
    ).toEqual({ browserTimeoutMs: 60_000, protocolTimeoutMs: 2000, playerReadyTimeoutMs: 7000 });
    expect(() => resolveDeadlines({ protocolTimeout: 10 }, {})).toThrow(/`protocolTimeout` must be a whole number of ms >= 1000, got 10/);
    expect(() => resolveDeadlines({}, { PRODUCER_PAGE_NAVIGATION_TIMEOUT_MS: 'soon' })).toThrow(
      /PRODUCER_PAGE_NAVIGATION_TIMEOUT_MS must be .*got "soon": fix or unset it/,
    );
  });

  it('CLI: --browser-timeout names the flag and exits 1 with the output unwritten; a bad value is a usage error (exit 2)', async () => {
    const output = path.join(loadLoop, 'cli.mp4');
    const run = await runCli(['render', loadLoop, '-o', output, '--workers', '1', '--browser-timeout', '1.5', '--json']);
    expect(run.code).toBe(1);
    const { error } = JSON.parse(run.stdout) as { error: Record<string, unknown> };
    expect(error).toMatchObject({ code: 'timeout', phase: 'load', option: 'browserTimeout' });
    expect(run.stderr).toMatch(
      /render failed: .*index\.html did not finish loading \(its load event\) within 1500 ms.*raise --browser-timeout/,
    );
    expect(existsSync(output)).toBe(false);
    expect(await readdir(loadLoop)).toEqual(['index.html']);

    const bad = await runCli(['render', loadLoop, '-o', output, '--protocol-timeout', '5']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--protocol-timeout <ms>.*a whole number of milliseconds >= 1000/);
  }, 60_000);
});
