/**
 * `data-var-src` / `data-var-text` in a real render, checked by its pixels: an `<img>` bound to an
 * image variable shows the blue PNG the render's value names instead of its red default; inside a
 * sub-composition with its own variables, a `<video>` bound to the host's value shows that file's
 * frames (each frame carries its number) and the page's scripts see the bound text of their own
 * scope. A key the composition does not declare is a warning and the render goes on.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render, type RenderResult } from '../../src/render.js';
import { runFfmpeg } from '../../src/media/tools.js';
import { makeSilentVideo } from '../helpers/audio-media.js';
import { makeIndexedVideo, readFrameIndexFromRaw } from '../helpers/frame-media.js';
import { decodeFrames, makeProject, pixel, type DecodedVideo } from '../helpers/render-pixels.js';

const VARS = JSON.stringify([
  { id: 'pic', label: 'Picture', type: 'image', default: 'red.png' },
  { id: 'label', label: 'Label', type: 'string', default: 'no' },
]);
const CARD_VARS = JSON.stringify([
  { id: 'clip', label: 'Clip', type: 'string', default: 'media/a.mp4' },
  { id: 'label', label: 'Label', type: 'string', default: 'card' },
]);

const INDEX = `<!doctype html><html data-composition-variables='${VARS}'><head><style>
html, body { margin: 0; }
#root { position: relative; width: 320px; height: 180px; overflow: hidden; background: #000; }
#pic { position: absolute; left: 0; top: 0; width: 80px; height: 90px; }
#toptext { position: absolute; left: 0; top: 150px; margin: 0; font-size: 8px; color: #000; }
#topok { position: absolute; left: 90px; top: 0; width: 40px; height: 40px; background: #f00; }
#card { position: absolute; left: 160px; top: 0; width: 160px; height: 180px; }
</style></head><body>
<div id="root" data-composition-id="main" data-width="320" data-height="180" data-duration="0.2">
<img id="pic" src="red.png" data-var-src="pic">
<p id="toptext" data-var-text="label">no</p>
<div id="topok"></div>
<div id="card" data-composition-id="card" data-composition-src="card.html" data-start="0" data-variable-values='{"clip":"media/b.mp4","label":"GO"}'></div>
</div>
<script>if (document.getElementById('toptext').textContent === 'TOP') document.getElementById('topok').style.background = '#00ff00';</script>
</body></html>`;

const CARD = `<template><div data-composition-id="card" data-width="160" data-height="180" data-composition-variables='${CARD_VARS}'>
<video class="v" src="media/a.mp4" data-var-src="clip" muted data-start="0" style="position:absolute;left:0;top:0;width:160px;height:90px"></video>
<span class="t" data-var-text="label" style="position:absolute;left:0;top:160px;font-size:8px;color:#000">card</span>
<div class="ok" style="position:absolute;left:0;top:100px;width:40px;height:40px;background:#f00"></div>
<script>if (document.querySelector('.t').textContent === 'GO') document.querySelector('.ok').style.background = '#00ff00';</script>
</div></template>`;

let dir: string;
let result: RenderResult;
let video: DecodedVideo;

beforeAll(async () => {
  dir = await makeProject({ 'index.html': INDEX, 'card.html': CARD }, 'fs-var-bind-');
  for (const [name, color] of [
    ['red.png', 'red'],
    ['blue.png', 'blue'],
  ]) {
    await runFfmpeg(['-y', '-v', 'error', '-f', 'lavfi', '-i', `color=c=${color}:s=80x90`, '-frames:v', '1', path.join(dir, name!)]);
  }
  await makeIndexedVideo(path.join(dir, 'media', 'b.mp4'), { width: 160, height: 90, fps: 30, frames: 6, codec: 'h264' });
  await makeSilentVideo(path.join(dir, 'media'), 'a.mp4', 0.5); // the authored default: grey, no frame numbers
  result = await render(dir, {
    output: path.join(dir, 'out.mp4'),
    quality: 'high',
    cache: false,
    variables: { pic: { url: 'blue.png' }, label: 'TOP', extra: 1 },
  });
  video = await decodeFrames(result.output, { width: 320, height: 180 });
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function close(p: number[], rgb: [number, number, number], tolerance = 40): boolean {
  return Math.abs(p[0]! - rgb[0]) <= tolerance && Math.abs(p[1]! - rgb[1]) <= tolerance && Math.abs(p[2]! - rgb[2]) <= tolerance;
}

describe('variable bindings in a render', () => {
  it('renders despite a key the composition does not declare, with a warning naming it', () => {
    expect(result.frames).toBe(6);
    const variableWarnings = result.warnings.filter((w) => w.code === 'variable');
    expect(variableWarnings).toHaveLength(1);
    expect(variableWarnings[0]!.message).toMatch(
      /variable "extra" \(given 1 \(a number\)\) is not declared in data-composition-variables of .*index\.html \(declared: pic, label\)/,
    );
  });

  it("data-var-src swaps the image: the blue PNG of the render's value, not the red default", () => {
    for (let k = 0; k < 6; k++) expect(close(pixel(video, k, 40, 45), [0, 0, 255])).toBe(true);
  });

  it("data-var-text: the page's script reads the bound text, at the top level and in the sub-composition's own scope", () => {
    expect(close(pixel(video, 0, 110, 20), [0, 255, 0])).toBe(true);
    expect(close(pixel(video, 0, 180, 120), [0, 255, 0])).toBe(true);
  });

  it("data-var-src swaps a sub-composition's video to the host's value: its frames, extracted and shown in order", () => {
    for (let k = 0; k < 6; k++) expect(readFrameIndexFromRaw(video.frames[k]!, 320, 180, 'rgb24', { x: 160, y: 0, w: 160, h: 90 })).toBe(k);
  });
});
