/**
 * The HyperFrames composition contract, each point in a small composition of its own, rendered and
 * checked by its pixels: the root sized by data-width/height, `window.__timelines` before any page
 * script, the length from the registered timeline, variables, one composition of several picked by
 * id, one sub-composition file mounted twice (scoped scripts, per-host values), a host without its
 * own id, and WebGPU.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { render, RenderError, type RenderOptions } from '../../src/render.js';
import { launchBrowser } from '../../src/browser/launch.js';
import { decodeFrames, leftEdge, makeProject, pixel, type DecodedVideo } from '../helpers/render-pixels.js';

const projects: string[] = [];
afterAll(async () => {
  for (const dir of projects) await rm(dir, { recursive: true, force: true });
});

const GSAP = '<script src="/__framesmith/vendor/gsap/gsap.min.js"></script>';

async function renderFiles(
  files: Record<string, string>,
  options: RenderOptions = {},
  size = { width: 160, height: 90 },
): Promise<{ video: DecodedVideo; frames: number; dir: string }> {
  const dir = await makeProject(files, 'fs-contract-');
  projects.push(dir);
  const output = path.join(dir, 'out.mp4');
  // One browser: these are contract points of a page, not of the worker pool (tested in pool/animation/gsap-callbacks).
  const result = await render(dir, { output, workers: 1, quality: 'high', ...options });
  return { video: await decodeFrames(output, size), frames: result.frames, dir };
}

function close(p: number[], rgb: [number, number, number], tolerance = 30): boolean {
  return Math.abs(p[0]! - rgb[0]) <= tolerance && Math.abs(p[1]! - rgb[1]) <= tolerance && Math.abs(p[2]! - rgb[2]) <= tolerance;
}

describe('the HyperFrames composition contract', () => {
  it('a root with only absolutely positioned children is sized by data-width / data-height (its background fills the frame)', async () => {
    const { video } = await renderFiles({
      'index.html': `<!doctype html><html><head><style>#root{background:rgb(255,0,0)} .dot{position:absolute;left:100px;top:50px;width:20px;height:20px;background:rgb(0,255,0)}</style></head>
<body><div id="root" data-composition-id="main" data-width="160" data-height="90" data-duration="0.2"><div class="dot"></div></div></body></html>`,
    });
    expect(close(pixel(video, 0, 10, 80), [255, 0, 0])).toBe(true);
    expect(close(pixel(video, 0, 150, 10), [255, 0, 0])).toBe(true);
    expect(close(pixel(video, 0, 110, 60), [0, 255, 0])).toBe(true);
  });

  it('window.__timelines exists before any page script: `window.__timelines["main"] = tl` in <head> works', async () => {
    const { video } = await renderFiles({
      'index.html': `<!doctype html><html><head>${GSAP}<script>
  window.__timelines["main"] = gsap.timeline({ paused: true });
</script><style>html,body{margin:0} #root{background:#000} #b{position:absolute;left:0;top:30px;width:20px;height:20px;background:#fff}</style></head>
<body><div id="root" data-composition-id="main" data-width="160" data-height="90" data-duration="1"><div id="b"></div></div>
<script>window.__timelines["main"].to('#b', { x: 100, duration: 1, ease: 'none' });</script></body></html>`,
    });
    expect(Math.abs(leftEdge(video, 15, 40, [255, 255, 255]) - 50)).toBeLessThanOrEqual(1);
  });

  it("without data-duration, the length is the root timeline's, extended by a sub-composition timeline at its host's start", async () => {
    const root = `<div id="root" data-composition-id="main" data-width="160" data-height="90"></div>`;
    const short = await renderFiles({
      'index.html': `<!doctype html><html><head>${GSAP}</head><body>${root}
<script>window.__timelines.main = gsap.timeline({ paused: true }).to({}, { duration: 1.5 });</script></body></html>`,
    });
    expect(short.frames).toBe(45);
    const extended = await renderFiles({
      'index.html': `<!doctype html><html><head>${GSAP}</head><body>
<div id="root" data-composition-id="main" data-width="160" data-height="90">
  <div data-composition-id="scene" data-composition-src="scene.html" data-start="1"></div>
</div>
<script>window.__timelines.main = gsap.timeline({ paused: true }).to({}, { duration: 1.5 });</script></body></html>`,
      'scene.html': `<template><div data-composition-id="scene"><script>window.__timelines.scene = gsap.timeline({ paused: true }).to({}, { duration: 1.2 });</script></div></template>`,
    });
    // The scene's 1.2 s timeline from 1 s runs to 2.2 s.
    expect(extended.frames).toBe(66);
  });

  it('without data-duration, a timeline or a timed end, the render refuses, naming the root', async () => {
    const dir = await makeProject(
      {
        'index.html':
          '<!doctype html><div id="root" data-composition-id="main" data-width="160" data-height="90"><p data-start="0">forever</p></div>',
      },
      'fs-contract-',
    );
    projects.push(dir);
    const error = await render(dir, { output: path.join(dir, 'x.mp4') }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RenderError);
    expect(error).toMatchObject({ code: 'no_duration', fields: { element: '#main' } });
  });

  it("variables: declared defaults, overridden by the render's values; both reach getVariables() and --<slug> CSS properties", async () => {
    const files = {
      'index.html': `<!doctype html><html data-composition-variables='[{"id":"accentColor","type":"color","default":"#ff0000"},{"id":"size","type":"number","default":20}]'>
<head><style>html,body{margin:0} #root{background:#000} #css{position:absolute;left:100px;top:10px;width:20px;height:20px;background:var(--accentcolor)}</style></head>
<body><div id="root" data-composition-id="main" data-width="160" data-height="90" data-duration="0.2"><div id="box"></div><div id="css"></div></div>
<script>const v = window.__hyperframes.getVariables(); const b = document.getElementById('box');
b.style.cssText = 'position:absolute;left:10px;top:10px;background:' + v.accentColor + ';width:' + v.size + 'px;height:' + v.size + 'px';</script></body></html>`,
    };
    const defaults = await renderFiles(files);
    expect(close(pixel(defaults.video, 0, 15, 15), [255, 0, 0])).toBe(true);
    expect(close(pixel(defaults.video, 0, 110, 20), [255, 0, 0])).toBe(true);
    expect(close(pixel(defaults.video, 0, 35, 35), [0, 0, 0])).toBe(true);
    const set = await renderFiles(files, { variables: { accentColor: '#00ff00', size: 40 } });
    expect(close(pixel(set.video, 0, 15, 15), [0, 255, 0])).toBe(true);
    expect(close(pixel(set.video, 0, 110, 20), [0, 255, 0])).toBe(true);
    expect(close(pixel(set.video, 0, 45, 45), [0, 255, 0])).toBe(true);
    // A wrong name or type is a warning by default (test/load/variables-hf.test.ts); strictVariables refuses it.
    for (const [variables, message] of [
      [
        { accent: '#fff' },
        /variable "accent" \(given "#fff" \(a string\)\) is not declared in data-composition-variables of .*index\.html \(declared: accentColor, size\)/,
      ],
      [{ size: 'big' }, /variable "size" is declared in .*index\.html as number and expects a finite number, got "big" \(a string\)/],
    ] as const) {
      const error = await render(defaults.dir, { output: path.join(defaults.dir, 'bad.mp4'), variables, strictVariables: true }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: 'invalid_variables', message: expect.stringMatching(message) });
    }
  });

  it("--composition picks one of several top-level compositions by id: its size, at the frame's origin", async () => {
    const { video, frames } = await renderFiles(
      {
        'index.html': `<!doctype html><html><head><style>html,body{margin:0}</style></head><body>
<div data-composition-id="first" data-width="320" data-height="180" data-duration="1" style="background:rgb(255,0,0)"></div>
<div data-composition-id="second" data-width="160" data-height="90" data-duration="0.5" style="background:rgb(0,0,255)">
  <div data-start="0.2" data-duration="0.1" style="position:absolute;left:0;top:0;width:30px;height:30px;background:rgb(255,255,0)"></div>
</div></body></html>`,
      },
      { composition: 'second' },
    );
    expect(frames).toBe(15);
    expect(close(pixel(video, 0, 80, 45), [0, 0, 255])).toBe(true);
    expect(close(pixel(video, 0, 10, 10), [0, 0, 255])).toBe(true);
    expect(close(pixel(video, 7, 10, 10), [255, 255, 0])).toBe(true);
  });

  it("one file mounted twice: each mount's script finds its own elements and values; a host without an id works", async () => {
    const card = `<template><div data-composition-id="card" data-width="80" data-height="90">
  <style>.bar{position:absolute;left:0;top:0;height:10px;background:rgb(255,255,255)}</style>
  <div class="bar"></div>
  <script>
    const v = __hyperframes.getVariables();
    document.querySelector('.bar').style.top = v.top + 'px';
    const tl = gsap.timeline({ paused: true }).fromTo('.bar', { width: 0 }, { width: v.width, duration: 1, ease: 'none' });
    window.__timelines['card'] = tl;
  </script>
</div></template>`;
    const { video } = await renderFiles({
      'index.html': `<!doctype html><html><head>${GSAP}<style>html,body{margin:0} #root{background:#000}</style></head><body>
<div id="root" data-composition-id="main" data-width="160" data-height="90" data-duration="1">
  <div data-composition-id="card" data-composition-src="card.html" data-start="0" data-variable-values='{"width":40,"top":10}' style="position:absolute;left:0;top:0;width:80px;height:90px"></div>
  <div data-composition-id="card" data-composition-src="card.html" data-start="0" data-variable-values='{"width":80,"top":40}' style="position:absolute;left:80px;top:0;width:80px;height:90px"></div>
  <div data-composition-src="card.html" data-start="0.5" data-variable-values='{"width":60,"top":70}' style="position:absolute;left:0;top:0;width:80px;height:90px"></div>
</div></body></html>`,
      'card.html': card,
    });
    // At 0.75 s: mount 1 at 75% of 40 px, mount 2 at 75% of 80 px (its own timeline: card__2), the id-less host 0.25 s in.
    const width = (y: number, from: number) => {
      let x = from;
      while (x < 160 && close(pixel(video, 22, x, y), [255, 255, 255], 60)) x++;
      return x - from;
    };
    expect(Math.abs(width(15, 0) - 30)).toBeLessThanOrEqual(1);
    expect(Math.abs(width(45, 80) - 60)).toBeLessThanOrEqual(1);
    expect(Math.abs(width(75, 0) - 15)).toBeLessThanOrEqual(1);
  });

  it('data-requires-webgpu fails clearly when the browser has no WebGPU adapter (and renders when it has one)', async () => {
    const probe = await launchBrowser({ webgpu: true });
    let hasAdapter: boolean;
    try {
      const page = await probe.browser.newPage();
      hasAdapter = await page.evaluate(async () =>
        Boolean(await (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu?.requestAdapter()),
      );
    } finally {
      await probe.close();
    }
    const dir = await makeProject(
      {
        'index.html':
          '<!doctype html><div data-composition-id="main" data-width="160" data-height="90" data-duration="0.2" data-requires-webgpu></div>',
      },
      'fs-contract-',
    );
    projects.push(dir);
    const output = path.join(dir, 'gpu.mp4');
    const outcome = await render(dir, { output, workers: 1 }).then(
      () => 'rendered',
      (e: unknown) => e,
    );
    if (hasAdapter) expect(outcome).toBe('rendered');
    else
      expect(outcome).toMatchObject({
        code: 'webgpu_unavailable',
        message: expect.stringMatching(/index\.html is marked data-requires-webgpu, but this browser has no WebGPU adapter/),
      });
  });
});
