/**
 * The shipped examples render, checked by pixels. Rendered at 10 fps (30 frames of 3 s) to keep the
 * suite fast; positions are computed from each example's own animation values.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render } from '../../src/render.js';
import { decodeFrames, leftEdge, pixel } from '../helpers/render-pixels.js';

const examples = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples');
let out: string;
beforeAll(async () => {
  out = await mkdtemp(path.join(os.tmpdir(), 'fs-examples-'));
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

describe('examples', () => {
  it('title-card: the orange bar has grown across by 1 s, the title is white by 2 s, the tag is a 1.5 s clip', async () => {
    const output = path.join(out, 'title-card.mp4');
    const result = await render(path.join(examples, 'title-card'), { output, fps: 10, quality: 'draft' });
    expect(result).toMatchObject({ frames: 30, width: 1280, height: 720 });
    const video = await decodeFrames(output, { width: 1280, height: 720 });
    expect(video.frames).toHaveLength(30);
    const orange = (f: number, x: number) => {
      const p = pixel(video, f, x, 333);
      return p[0]! > 200 && p[1]! > 80 && p[1]! < 150 && p[2]! < 80;
    };
    expect(orange(0, 640)).toBe(false); // scaleX(0) at t = 0
    expect(orange(10, 1200)).toBe(true); // full width at 1 s
    // The title fades in from 0.3 s to 1.2 s: no white text on frame 0, white glyph pixels on frame 20.
    const white = (f: number) => {
      let n = 0;
      for (let x = 120; x < 700; x += 2)
        for (let y = 210; y < 310; y += 2) {
          const p = pixel(video, f, x, y);
          if (p[0]! > 230 && p[1]! > 230 && p[2]! > 230) n++;
        }
      return n;
    };
    expect(white(0)).toBe(0);
    expect(white(20)).toBeGreaterThan(200);
    // The tag (#tag, class="clip" from 1.5 s) is drawn in the lower right only from frame 15.
    const tagArea = (f: number) => {
      let bright = 0;
      for (let x = 1000; x < 1230; x++) for (let y = 650; y < 680; y++) if (pixel(video, f, x, y)[0]! > 120) bright++;
      return bright;
    };
    expect(tagArea(14)).toBe(0);
    expect(tagArea(15)).toBeGreaterThan(50);
  });

  it('gsap-scene: gsap is served under /__framesmith/vendor/gsap/ and #a moves 980 px linearly from 0.5 s to 2.5 s', async () => {
    const output = path.join(out, 'gsap-scene.mp4');
    const result = await render(path.join(examples, 'gsap-scene'), { output, fps: 10, quality: 'draft' });
    expect(result.frames).toBe(30);
    const video = await decodeFrames(output, { width: 1280, height: 720 });
    const cyan: [number, number, number] = [34, 211, 238];
    for (let f = 0; f < 30; f++) {
      const t = f / 10;
      const x = 100 + 980 * Math.min(1, Math.max(0, (t - 0.5) / 2));
      // The dot is a circle: on its centre row its left edge is its box's left edge.
      expect(Math.abs(leftEdge(video, f, 360, cyan, 60) - x), `frame ${f}`).toBeLessThanOrEqual(2);
    }
  });

  it('webgl-shader: WebGL starts on demand (the script assumes a context) and each frame is the shader at its time', async () => {
    const output = path.join(out, 'webgl-shader.mp4');
    const result = await render(path.join(examples, 'webgl-shader'), { output, fps: 10, quality: 'high' });
    expect(result).toMatchObject({ frames: 20, webgl: true });
    const video = await decodeFrames(output, { width: 640, height: 360 });
    // The shader's colour at pixel (320, 100): gl_FragCoord is (320.5, 259.5) from the bottom left.
    const u = 320.5 / 640;
    const v = 259.5 / 360;
    const fract = (x: number) => x - Math.floor(x);
    for (const f of [0, 3, 7, 12, 19]) {
      const t = f / 10;
      const expected = [0.5 + 0.5 * Math.sin(2 * Math.PI * t), fract(u + 0.25 * t), fract(v + 0.5 * t)].map((c) => c * 255);
      const actual = pixel(video, f, 320, 100);
      for (const [i, c] of expected.entries())
        expect(
          Math.abs(actual[i]! - c),
          `frame ${f} channel ${i}: ${actual.join(',')} vs ${expected.map(Math.round).join(',')}`,
        ).toBeLessThanOrEqual(8);
    }
  });
});
