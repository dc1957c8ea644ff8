/**
 * The in-page runtime in real Chromium: compositions served by the project server, the runtime
 * injected before the page's scripts, state read back after seek().
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { bundledShell } from '../helpers/bundled-shell.js';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseComposition } from '../../src/load/index.js';
import { runtimeConfigFor, runtimeScript, type RuntimeConfig } from '../../src/browser/runtime-config.js';
import { startProjectServer, type ProjectServer } from '../../src/browser/server.js';
import type { ReadyInfo } from '../../src/browser/page-api.js';

let dir: string;
let browser: Browser;
let server: ProjectServer;
let count = 0;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fs-runtime-'));
  server = await startProjectServer(dir);
  server.mount('/vendor/gsap/', path.resolve('node_modules/gsap/dist'));
  browser = await puppeteer.launch({
    executablePath: await bundledShell(),
    headless: 'shell',
    userDataDir: path.join(dir, '.profile'),
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
      '--disable-quic',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

const PAGE_STYLE =
  '<style>body{margin:0} #root{position:relative;width:400px;height:200px} .box{position:absolute;left:0;top:0;width:10px;height:10px}</style>';

/** Writes a project, parses it, opens it with the runtime injected and waits for ready(). */
async function open(
  body: string,
  options: { seed?: number; config?: (c: RuntimeConfig) => RuntimeConfig } = {},
): Promise<{ page: Page; config: RuntimeConfig; size: ReadyInfo }> {
  const project = path.join(dir, `c${count++}`);
  await mkdir(project, { recursive: true });
  await writeFile(path.join(project, 'index.html'), `<!doctype html><html><head>${PAGE_STYLE}</head><body>${body}</body></html>`);
  await writeFile(
    path.join(project, 'dot.svg'),
    '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" fill="red"/></svg>',
  );
  const composition = await parseComposition(project);
  let config = runtimeConfigFor(composition, options.seed ?? 1);
  if (options.config) config = options.config(config);
  const page = await browser.newPage();
  await page.evaluateOnNewDocument(runtimeScript(config));
  await page.goto(server.urlFor(path.join(project, 'index.html')), { waitUntil: 'load' });
  const size = await page.evaluate(() => window.__framesmith!.ready());
  return { page, config, size };
}

const seek = (page: Page, frame: number, fps = 30) => page.evaluate((f, t) => window.__framesmith!.seek(f, t), frame, frame / fps);
const leftOf = (page: Page, sel: string) => page.$eval(sel, (el) => el.getBoundingClientRect().left);

describe('in-page runtime', () => {
  it('ready() reports the declared size; a page without timelines seeks without waiting', async () => {
    const { page, size } = await open(
      '<div id="root" data-composition-id="m" data-width="1280" data-height="720" data-duration="1"></div>',
    );
    expect(size).toEqual({ width: 1280, height: 720, hasTimelines: false, timelineDurations: {}, adapterDuration: null });
    await seek(page, 10);
    expect(await page.evaluate(() => window.__framesmith!.errors)).toEqual([]);
    await page.close();
  });

  it('ready() measures the CSS box when no size is declared, and waits for images to decode', async () => {
    const { page, size } = await open('<div id="root" data-composition-id="m" data-duration="1"><img id="i" src="dot.svg"></div>');
    expect(size).toMatchObject({ width: 400, height: 200 });
    expect(await page.$eval('#i', (img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth)).toBe(40);
    await page.close();
  });

  it('does not hang on a missing image; the server records it', async () => {
    const before = server.failedRequests().length;
    const { page } = await open('<div id="root" data-composition-id="m" data-duration="1"><img src="nope.png"></div>');
    await seek(page, 3);
    expect(
      server
        .failedRequests()
        .slice(before)
        .some((u) => u.endsWith('/nope.png')),
    ).toBe(true);
    await page.close();
  });

  it('seeks CSS keyframe animations, including animation-delay and fill', async () => {
    const { page } = await open(`<style>@keyframes move{from{transform:translateX(0)}to{transform:translateX(100px)}}
      #a{animation:move 2s linear 1s both} #b{animation:move 1s linear 0.5s}</style>
      <div id="root" data-composition-id="m" data-duration="4"><div id="a" class="box"></div><div id="b" class="box"></div></div>`);
    const positions: Array<[number, number, number]> = [];
    for (const frame of [0, 30, 45, 60, 75, 105, 45, 0]) {
      await seek(page, frame);
      positions.push([frame, await leftOf(page, '#a'), await leftOf(page, '#b')]);
    }
    // #a: 1 s delay, backwards fill → 0 until t=1, then 50 px/s, held at 100. #b: no fill, active on
    // [0.5, 1.5) → 50 px at t=1, nothing (0) before and after. Seeking backwards works too.
    expect(positions).toEqual([
      [0, 0, 0],
      [30, 0, 50],
      [45, 25, 0],
      [60, 50, 0],
      [75, 75, 0],
      [105, 100, 0],
      [45, 25, 0],
      [0, 0, 0],
    ]);
    await page.close();
  });

  it("starts CSS animations inside a clip at the clip's start (HyperFrames' timing); Web Animations keep document time", async () => {
    const { page } = await open(`<style>@keyframes move{from{transform:translateX(0)}to{transform:translateX(100px)}}
      #c{animation:move 2s linear 0.5s both} #n{animation:move 2s linear both}</style>
      <div id="root" data-composition-id="m" data-duration="4">
        <div id="clip" class="clip" data-start="1" data-duration="3"><div id="c" class="box"></div><div id="w" class="box"></div></div>
        <div id="n" class="box"></div>
      </div>
      <script>document.getElementById('w').animate([{ transform: 'translateX(0)' }, { transform: 'translateX(100px)' }], { duration: 2000, fill: 'both' });</script>`);
    const at = async (frame: number) => {
      await seek(page, frame);
      return [await leftOf(page, '#c'), await leftOf(page, '#w'), await leftOf(page, '#n')];
    };
    // #c: born at the clip's start (1 s) + 0.5 s delay → moves from t = 1.5 s at 50 px/s.
    // #w (a script's Web Animation) and #n (outside any clip) run from t = 0.
    expect(await at(30)).toEqual([0, 50, 50]);
    expect(await at(45)).toEqual([0, 75, 75]);
    expect(await at(75)).toEqual([50, 100, 100]);
    expect(await at(105)).toEqual([100, 100, 100]);
    await page.close();
  });

  it('starts an animation created by a rAF callback at the virtual time it was created', async () => {
    const { page } = await open(`<style>@keyframes move{from{transform:translateX(0)}to{transform:translateX(100px)}}
      .go{animation:move 1s linear forwards}</style>
      <div id="root" data-composition-id="m" data-duration="4"><div id="s" class="box"></div></div>
      <script>
        requestAnimationFrame(function tick(ts) {
          if (ts >= 1000) document.getElementById('s').classList.add('go');
          requestAnimationFrame(tick);
        });
      </script>`);
    const at = async (frame: number) => {
      await seek(page, frame);
      return leftOf(page, '#s');
    };
    expect(await at(15)).toBe(0);
    expect(await at(30)).toBe(0);
    expect(await at(45)).toBe(50);
    expect(await at(60)).toBe(100);
    await page.close();
  });

  it('seeks Web Animations started at load', async () => {
    const { page } = await open(`<div id="root" data-composition-id="m" data-duration="3"><div id="w" class="box"></div></div>
      <script>document.getElementById('w').animate([{opacity:0},{opacity:1}],{duration:1000,delay:500,fill:'both'});</script>`);
    const opacity = () => page.$eval('#w', (el) => Number(getComputedStyle(el).opacity));
    await seek(page, 0);
    expect(await opacity()).toBe(0);
    await seek(page, 30);
    expect(await opacity()).toBeCloseTo(0.5, 5);
    await seek(page, 90);
    expect(await opacity()).toBe(1);
    await seek(page, 24);
    expect(await opacity()).toBeCloseTo(0.3, 5);
    await page.close();
  });

  it('seeks GSAP timelines in window.__timelines, nested ones from their host start', async () => {
    const { page, size } = await open(`
      <div id="root" data-composition-id="main" data-duration="4">
        <div id="g" class="box"></div>
        <div id="host" data-composition-id="scene" data-start="1" data-duration="2"><div id="h" class="box"></div></div>
      </div>
      <script src="/vendor/gsap/gsap.min.js"></script>
      <script>
        const main = gsap.timeline({ paused: true }).to('#g', { x: 200, duration: 2, ease: 'none' });
        const scene = gsap.timeline({ paused: true }).to('#h', { x: 100, duration: 1, ease: 'none' });
        window.__timelines = { main, scene };
      </script>`);
    expect(size.hasTimelines).toBe(true);
    const at = async (frame: number) => {
      await seek(page, frame);
      return [await leftOf(page, '#g'), await leftOf(page, '#h')];
    };
    expect(await at(15)).toEqual([50, 0]);
    expect(await at(45)).toEqual([150, 50]);
    expect(await at(90)).toEqual([200, 100]);
    expect(await at(0)).toEqual([0, 0]);
    await page.close();
  });

  it('drives Date, performance.now() and requestAnimationFrame from virtual time', async () => {
    const { page } = await open(`<div id="root" data-composition-id="m" data-duration="2"><div id="r" class="box"></div><p id="d"></p></div>
      <script>
        window.loadedAt = [Date.now(), new Date().getTime(), performance.now(), typeof Date(), new Date(0).getTime(), new Date() instanceof Date];
        function tick(ts) {
          document.getElementById('r').style.left = (ts / 10) + 'px';
          document.getElementById('d').textContent = [Date.now(), new Date().toISOString(), performance.now()].join('|');
          requestAnimationFrame(tick);
        }
        requestAnimationFrame(tick);
      </script>`);
    const base = Date.UTC(2024, 0, 1);
    expect(await page.evaluate(() => (window as unknown as { loadedAt: unknown[] }).loadedAt)).toEqual([base, base, 0, 'string', 0, true]);
    // Real time passes, virtual time does not: nothing ran yet.
    expect(await page.$eval('#d', (el) => el.textContent)).toBe('');
    await seek(page, 15);
    expect(await page.$eval('#d', (el) => el.textContent)).toBe(`${base + 500}|2024-01-01T00:00:00.500Z|500`);
    expect(await leftOf(page, '#r')).toBe(50);
    await seek(page, 45);
    expect(await leftOf(page, '#r')).toBe(150);
    expect(await page.$eval('#d', (el) => el.textContent)).toBe(`${base + 1500}|2024-01-01T00:00:01.500Z|1500`);
    await page.close();
  });

  it('shows a 1 s clip on exactly 30 frames at 30 fps, hiding descendants without shifting layout; any data-start element is windowed', async () => {
    const { page } = await open(`<style>#kid{visibility:visible}</style>
      <div id="root" data-composition-id="m" data-duration="3">
        <div id="c" class="clip" data-start="1" data-duration="1" style="height:50px"><span id="kid">x</span></div>
        <div id="after" style="height:10px"></div>
        <div id="plain" data-start="0.5" data-duration="0.1">no class="clip": windowed all the same, as HyperFrames shows it</div>
      </div>`);
    const visibleFrames: number[] = [];
    const plainFrames: number[] = [];
    const afterTops = new Set<number>();
    for (let frame = 0; frame < 90; frame++) {
      await seek(page, frame);
      const state = await page.evaluate(() => ['c', 'kid', 'plain'].map((id) => getComputedStyle(document.getElementById(id)!).visibility));
      if (state[0] === 'visible') visibleFrames.push(frame);
      if (state[2] === 'visible') plainFrames.push(frame);
      expect(state[1]).toBe(state[0]);
      afterTops.add(await page.$eval('#after', (el) => el.getBoundingClientRect().top));
    }
    expect(visibleFrames).toHaveLength(30);
    expect([visibleFrames[0], visibleFrames.at(-1)]).toEqual([30, 59]);
    expect(plainFrames).toEqual([15, 16, 17]);
    expect(afterTops.size).toBe(1);
    await page.close();
  });

  it('clip windows hold at 30000/1001 fps frame boundaries', async () => {
    const { page } = await open(`<div id="root" data-composition-id="m" data-duration="3" data-fps="30000/1001">
        <div id="c" class="clip" data-start="1.001" data-duration="1.001"></div></div>`);
    const visible: number[] = [];
    for (let frame = 25; frame < 65; frame++) {
      await page.evaluate((f, t) => window.__framesmith!.seek(f, t), frame, (frame * 1001) / 30000);
      if (await page.$eval('#c', (el) => getComputedStyle(el).visibility === 'visible')) visible.push(frame);
    }
    expect([visible.length, visible[0]]).toEqual([30, 30]);
    await page.close();
  });

  it('seeds Math.random: the same sequence on every load, another with another seed', async () => {
    const body =
      '<div id="root" data-composition-id="m" data-duration="1"></div><script>window.draws = [Math.random(), Math.random(), Math.random()];</script>';
    const draws = async (seed: number) => {
      const { page } = await open(body, { seed });
      const values = await page.evaluate(() => (window as unknown as { draws: number[] }).draws);
      await page.close();
      return values;
    };
    const first = await draws(7);
    expect(await draws(7)).toEqual(first);
    expect(await draws(8)).not.toEqual(first);
    for (const v of first) expect(v >= 0 && v < 1).toBe(true);
    expect(new Set(first).size).toBe(3);
  });

  it('collects uncaught errors and unhandled rejections', async () => {
    const { page } = await open(`<div id="root" data-composition-id="m" data-duration="1"></div>
      <script>Promise.reject(new Error('later'));</script>
      <script>throw new Error('boom');</script>
      <script>requestAnimationFrame(() => { throw new Error('in frame'); });</script>`);
    await seek(page, 1);
    const errors = await page.evaluate(() => window.__framesmith!.errors);
    expect(errors.some((e) => e.includes('boom') && e.includes('index.html'))).toBe(true);
    expect(errors.some((e) => e.startsWith('Unhandled promise rejection') && e.includes('later'))).toBe(true);
    expect(errors.some((e) => e.includes('in frame'))).toBe(true);
    await page.close();
  });

  it('ready() refuses a page whose timed elements differ from the parsed ones', async () => {
    const project = path.join(dir, `c${count++}`);
    await mkdir(project, { recursive: true });
    await writeFile(
      path.join(project, 'index.html'),
      `<!doctype html><div data-composition-id="m" data-duration="1">
      <div id="a" data-start="0" data-duration="1"></div><div id="b" data-start="0" data-duration="1"></div></div>
      <script>const x = document.createElement('i'); x.id = 'intruder'; x.dataset.start = '0'; document.getElementById('a').before(x);</script>`,
    );
    const page = await browser.newPage();
    await page.evaluateOnNewDocument(runtimeScript(runtimeConfigFor(await parseComposition(project))));
    await page.goto(server.urlFor(path.join(project, 'index.html')));
    const error = await page.evaluate(() =>
      window.__framesmith!.ready().then(
        () => 'ok',
        (e: Error) => e.message,
      ),
    );
    expect(error).toContain('timed element 0 should be div#a but the page has i#intruder');
    await page.close();
  });

  it('addresses the same elements by index as parseComposition', async () => {
    const { page, config } = await open(`<div id="root" data-composition-id="m" data-duration="5" data-start="0" data-no-timeline>
        <div id="one" data-start="0" data-duration="1"></div>
        <section><audio id="a" src="x.mp3"></audio><p id="two" data-start="one" data-duration="1"></p></section>
        <template><div data-start="0" data-duration="1" id="ghost"></div></template>
        <video id="v" src="v.mp4" data-duration="1"></video>
      </div>`);
    const inPage = await page.evaluate(() => {
      const root = document.querySelector('[data-composition-id]');
      return Array.from(document.querySelectorAll('[data-start], video, audio'))
        .filter((e) => e !== root)
        .map((e) => e.id);
    });
    expect(inPage).toEqual(['one', 'a', 'two', 'v']);
    expect(config.timed.map((t) => [t.index, t.id])).toEqual([
      [0, 'one'],
      [1, 'a'],
      [2, 'two'],
      [3, 'v'],
    ]);
    await page.close();
  });
});
