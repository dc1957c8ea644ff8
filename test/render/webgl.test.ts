/**
 * WebGL pages. Browsers start without WebGL (faster for 2D); under `webgl: 'auto'` a page that asks for
 * a WebGL context while loading gets browsers started again with it (SwiftShader). Checked by pixels:
 * a canvas cleared, on every animation frame, to a red level that encodes the composition frame
 * (40 per frame), green 255. Also: `off` leaves the canvas blank, a 2D page never gets WebGL, and a
 * page whose first context comes mid-timeline is rendered again with WebGL.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render, type RenderOptions, type RenderResult } from '../../src/render.js';
import { decodeFrames, makeProject, page, pixel, type DecodedVideo } from '../helpers/render-pixels.js';

const FRAMES = 6;

/** `whenMs`: the context is first asked for on the first animation frame at or after that time. */
function webglPage(whenMs = -1): string {
  return page({
    duration: FRAMES / 30,
    rootBackground: '#0000ff',
    body: '<canvas id="c" width="320" height="180" style="position:absolute;left:0;top:0"></canvas>',
    script: `
      var gl = null;
      function draw() {
        var ms = performance.now();
        if (!gl && ms >= ${whenMs}) gl = document.getElementById('c').getContext('webgl');
        if (gl) {
          var k = Math.round(ms * 30 / 1000);
          gl.clearColor((k * 40) / 255, 1, 0, 1);
          gl.clear(gl.COLOR_BUFFER_BIT);
        }
        requestAnimationFrame(draw);
      }
      ${whenMs < 0 ? "gl = document.getElementById('c').getContext('webgl');" : ''}
      requestAnimationFrame(draw);`,
  });
}

const projects: string[] = [];
async function renderPage(
  html: string,
  webgl?: 'auto' | 'on' | 'off',
  extra: RenderOptions = {},
): Promise<{ result: RenderResult; video: DecodedVideo }> {
  const dir = await makeProject({ 'index.html': html }, 'fs-webgl-');
  projects.push(dir);
  const result = await render(dir, {
    output: path.join(dir, 'out.mp4'),
    quality: 'high',
    cache: false,
    ...(webgl ? { webgl } : {}),
    ...extra,
  });
  return { result, video: await decodeFrames(result.output, { width: 320, height: 180 }) };
}
afterAll(async () => {
  await Promise.all(projects.map((p) => rm(p, { recursive: true, force: true })));
});

const near = (value: number, expected: number) => Math.abs(value - expected) <= 6;

describe('a page that draws with WebGL', () => {
  let auto: { result: RenderResult; video: DecodedVideo };
  beforeAll(async () => {
    auto = await renderPage(webglPage());
  });

  it("auto: the browser gets WebGL and every frame shows the canvas drawn at that frame's time", () => {
    expect(auto.result.webgl).toBe(true);
    expect(auto.video.frames.length).toBe(FRAMES);
    for (let k = 0; k < FRAMES; k++) {
      const [r, g, b] = pixel(auto.video, k, 160, 90);
      expect(near(r!, k * 40) && near(g!, 255) && near(b!, 0), `frame ${k}: ${r},${g},${b}`).toBe(true);
    }
  });

  it('on: the same pixels, with one browser start', async () => {
    const on = await renderPage(webglPage(), 'on');
    expect(on.result.webgl).toBe(true);
    for (let k = 0; k < FRAMES; k++) expect(pixel(on.video, k, 160, 90)).toEqual(pixel(auto.video, k, 160, 90));
  });

  it('off: no WebGL, the canvas stays blank over the blue stage', async () => {
    const off = await renderPage(webglPage(), 'off');
    expect(off.result.webgl).toBe(false);
    const [r, g, b] = pixel(off.video, 2, 160, 90);
    expect(r! < 40 && g! < 40 && b! > 200).toBe(true);
  });
});

describe('pages that do not need WebGL at load', () => {
  it('a 2D canvas page is rendered without WebGL', async () => {
    const html = page({
      duration: 0.1,
      body: '<canvas id="c" width="320" height="180"></canvas>',
      script: "var c = document.getElementById('c').getContext('2d'); c.fillStyle = '#ff0000'; c.fillRect(0, 0, 320, 180);",
    });
    const { result, video } = await renderPage(html);
    expect(result.webgl).toBe(false);
    const [r, g, b] = pixel(video, 0, 160, 90);
    expect(r! > 200 && g! < 40 && b! < 40).toBe(true);
  });

  /** Frames 0–2 blank over the blue stage, then the canvas drawn at each frame's time. */
  function expectDrawnFromFrame3(video: DecodedVideo): void {
    for (let k = 0; k < FRAMES; k++) {
      const [r, g, b] = pixel(video, k, 160, 90);
      if (k < 3) expect(r! < 40 && g! < 40 && b! > 200, `frame ${k}: ${r},${g},${b}`).toBe(true);
      else expect(near(r!, k * 40) && near(g!, 255) && near(b!, 0), `frame ${k}: ${r},${g},${b}`).toBe(true);
    }
  }

  it('a WebGL context first asked for mid-timeline: rendered again with WebGL, every frame right', async () => {
    // The context is created on the first frame at or after 100 ms (frame 3), then drawn every frame.
    const { result, video } = await renderPage(webglPage(100));
    expect(result.webgl).toBe(true);
    expectDrawnFromFrame3(video);
  });

  it('in chunks: the chunk that meets the context mid-timeline captures its frames again with WebGL', async () => {
    // Chunk 0 (frames 0–2) never asks; chunk 1 (frames 3–5) is refused at frame 3 and captures again.
    const { result, video } = await renderPage(webglPage(100), undefined, { chunkFrames: 3 });
    expect(result.chunks?.length).toBe(2);
    expect(result.webgl).toBe(true);
    expectDrawnFromFrame3(video);
  });
});
