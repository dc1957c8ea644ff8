/**
 * The preview's sound: GET /__preview/audio serves the render's mix (Opus in WebM) exactly as long as
 * the composition, with the beep where the timeline puts it, mixed again on a live edit; the player
 * page's `<audio>` starts muted, turns on when the user starts playback, and follows the playhead.
 *
 * The composition: 64x64, 2 s at 30 fps, one `<audio>` at 0.5 s whose file beeps at media 0.3 s, so
 * the beep is heard at 0.8 s.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamEnd } from '../../src/encode/audio-output.js';
import { startPreviewServer, type PreviewServer } from '../../src/preview/server.js';
import '../../src/preview/player-api.js';
import { decodeMono, findBursts, makeBeepFile } from '../helpers/audio-media.js';
import { bundledShell } from '../helpers/bundled-shell.js';
import { waitFor } from '../helpers/render-cli.js';

const FRAME = 1 / 30;

function html(audio: string): string {
  return `<!doctype html><html><body style="margin:0"><div id="root" data-composition-id="main" data-width="64" data-height="64" data-fps="30" data-duration="2" style="width:64px;height:64px;background:#123">${audio}</div></body></html>`;
}

let project: string;
let scratch: string;
let server: PreviewServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  project = await mkdtemp(path.join(os.tmpdir(), 'fs-preview-audio-'));
  scratch = await mkdtemp(path.join(os.tmpdir(), 'fs-preview-audio-out-'));
  await makeBeepFile(project, 'beep.wav', { duration: 1, beeps: [{ at: 0.3, length: 0.1 }] });
  await writeFile(path.join(project, 'index.html'), html('<audio id="a" src="beep.wav" data-start="0.5"></audio>'));
  server = await startPreviewServer(project, { cache: false });
  const state = await server.settled();
  expect('info' in state, JSON.stringify(state)).toBe(true);
  browser = await puppeteer.launch({ executablePath: await bundledShell(), headless: 'shell', args: ['--no-sandbox'] });
  page = await browser.newPage();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  for (const dir of [project, scratch]) if (dir) await rm(dir, { recursive: true, force: true });
});

/** Downloads the current mix into the scratch directory; null on 204. */
async function fetchMix(name: string): Promise<{ file: string | null; version: number }> {
  const res = await fetch(`${server.url}__preview/audio`);
  const version = Number(res.headers.get('x-version'));
  if (res.status === 204) return { file: null, version };
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('audio/webm');
  const file = path.join(scratch, name);
  await writeFile(file, Buffer.from(await res.arrayBuffer()));
  return { file, version };
}

describe('preview sound', () => {
  it('serves the mix as long as the composition, the beep at 0.8 s, with byte ranges', async () => {
    const { file } = await fetchMix('first.webm');
    expect(Math.abs((await streamEnd(file!, 'a'))! - 2)).toBeLessThan(0.001);
    const bursts = findBursts(await decodeMono(file!));
    expect(bursts).toHaveLength(1);
    expect(Math.abs(bursts[0]!.start - 0.8)).toBeLessThan(FRAME);
    const part = await fetch(`${server.url}__preview/audio`, { headers: { range: 'bytes=10-109' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toMatch(/^bytes 10-109\/\d+$/);
    expect((await part.arrayBuffer()).byteLength).toBe(100);
  }, 60_000);

  it("the player's audio starts muted, plays with the playhead once the user starts playback, and is cued on seek", async () => {
    await page.goto(server.url);
    await page.evaluate(() => window.framesmithPreview.ready);
    const audio = () =>
      page.evaluate(() => {
        const el = document.querySelector('audio')!;
        return { muted: el.muted, paused: el.paused, time: el.currentTime, src: el.src, playhead: window.framesmithPreview.clock };
      });
    const before = await audio();
    expect(before).toMatchObject({ muted: true, paused: true });
    expect(before.src).toMatch(/\/__preview\/audio\?v=\d+$/);
    await page.click('#play');
    // Playing, unmuted (a user gesture started it), and at the playhead within the drift allowed (plus
    // the element's own clock granularity).
    const playing = await waitFor('the sound to play', async () => {
      const a = await audio();
      return !a.paused && a.time > 0.3 ? a : null;
    });
    expect(playing.muted).toBe(false);
    expect(Math.abs(playing.time - playing.playhead)).toBeLessThan(0.06 + FRAME);
    // Still with it half a second of playback later.
    const later = await waitFor('more playback', async () => {
      const a = await audio();
      return a.playhead > playing.playhead + 0.5 ? a : null;
    });
    expect(later.paused).toBe(false);
    expect(Math.abs(later.time - later.playhead)).toBeLessThan(0.06 + FRAME);
    await page.click('#play');
    await page.evaluate(() => window.framesmithPreview.seek(1.2));
    const cued = await audio();
    expect(cued.paused).toBe(true);
    expect(cued.time).toBeCloseTo(1.2, 2);
    expect(cued.playhead).toBeCloseTo(1.2, 2);
  }, 60_000);

  it('mixes again on a live edit: the beep moves with its element, and without sound the endpoint answers 204', async () => {
    const first = await fetchMix('before.webm');
    await writeFile(path.join(project, 'index.html'), html('<audio id="a" src="beep.wav" data-start="1.2"></audio>'));
    const moved = await waitFor('the new version', async () => {
      const m = await fetchMix('after.webm');
      return m.version > first.version ? m : null;
    });
    const bursts = findBursts(await decodeMono(moved.file!));
    expect(bursts.map((b) => Math.abs(b.start - 1.5) < FRAME)).toEqual([true]);
    // The page follows the new version's mix.
    await waitFor('the player to load the new mix', async () =>
      (await page.evaluate(() => document.querySelector('audio')!.src)).endsWith(`v=${moved.version}`),
    );
    await writeFile(path.join(project, 'index.html'), html(''));
    await waitFor('the silent version', async () => {
      const m = await fetchMix('silent.webm');
      return m.version > moved.version && m.file === null;
    });
  }, 60_000);
});
