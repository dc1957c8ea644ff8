/**
 * Animation libraries through HyperFrames' hooks and framesmith's own adapter hook, each seeked
 * exactly at the frame's time and read back by its pixels: anime.js (`window.__hfAnime`), Lottie with
 * inline animation data (`window.__hfLottie`), a Three.js scene drawn in an `hf-seek` listener from
 * `window.__hfThreeTime` (whose `waitUntil` promise the capture waits for), a library of the page's
 * own registered with `window.__framesmith.registerAdapter`, and an iframe animating by
 * requestAnimationFrame and CSS.
 *
 * The libraries are the real npm packages (dev dependencies), copied into each test project.
 */
import { copyFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { render } from '../../src/render.js';
import { decodeFrames, leftEdge, makeProject, type DecodedVideo } from '../helpers/render-pixels.js';

/** A file inside node_modules (package "exports" do not list the browser bundles). */
const NODE_MODULES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../node_modules');
const FPS = 30;
const projects: string[] = [];
afterAll(async () => {
  for (const dir of projects) await rm(dir, { recursive: true, force: true });
});

/** Renders `files` (with library files copied in) as a PNG sequence and decodes it. */
async function renderFiles(files: Record<string, string>, libraries: Record<string, string> = {}, frames = 30): Promise<DecodedVideo> {
  const dir = await makeProject(files, 'fs-adapters-');
  projects.push(dir);
  for (const [name, file] of Object.entries(libraries)) await copyFile(path.join(NODE_MODULES, file), path.join(dir, name));
  const output = path.join(dir, 'frames');
  const result = await render(dir, { output, format: 'png', workers: 2 });
  expect(result.frames).toBe(frames);
  return decodeFrames(path.join(output, 'frame-%06d.png'), { width: 160, height: 90 });
}

const stage = (
  body: string,
  head = '',
  duration = 1,
) => `<!doctype html><html><head>${head}<style>html,body{margin:0} #root{background:#000}
.box{position:absolute;left:0;width:20px;height:20px;background:#fff}</style></head><body>
<div id="root" data-composition-id="main" data-width="160" data-height="90" data-duration="${duration}">${body}</div></body></html>`;

/** The box moved 100 px per second from x = 10: where its left edge is on frame k. */
const linear = (k: number) => Math.round(10 + (100 * k) / FPS);

function expectPositions(video: DecodedVideo, row: number, expected: (k: number) => number, frames = [0, 7, 15, 22, 29]): void {
  for (const k of frames) {
    const x = leftEdge(video, k, row, [255, 255, 255], 60);
    expect(Math.abs(x - expected(k)), `frame ${k}: edge at ${x}, expected ${expected(k)}`).toBeLessThanOrEqual(1);
  }
}

describe('animation adapters', () => {
  it("anime.js through window.__hfAnime: seeked to the frame's time in ms", async () => {
    const video = await renderFiles(
      {
        'index.html': stage(
          '<div id="a" class="box" style="top:30px;left:10px"></div>',
          '<script src="anime.umd.min.js"></script>',
        ).replace(
          '</body>',
          `<script>
  const animation = anime.animate('#a', { x: 100, duration: 1000, ease: 'linear', autoplay: false });
  window.__hfAnime = [animation];
</script></body>`,
        ),
      },
      { 'anime.umd.min.js': 'animejs/dist/bundles/anime.umd.min.js' },
    );
    expectPositions(video, 40, linear);
  });

  it("anime.js through hyperframesAnime.register: on its composition's time, primed for frame 0", async () => {
    // #a on the root's timeline (100 px/s); #c a child placed at 500 ms, which frame 0 shows at its
    // starting x (50 px) only because registration primes the timeline; #d on the timeline of the
    // composition "intro" (0.5 s to 1 s), 200 px/s from its start, held at its host's end.
    const video = await renderFiles(
      {
        'index.html': stage(
          `<div id="a" class="box" style="top:10px;left:10px"></div><div id="c" class="box" style="top:40px"></div>
<div data-composition-id="intro" data-start="0.5" data-duration="0.3"><div id="d" class="box" style="top:70px;left:10px"></div></div>`,
          '<script src="anime.umd.min.js"></script>',
        ).replace(
          '</body>',
          `<script>
  const main = anime.createTimeline({ autoplay: false });
  main.add('#a', { x: 100, duration: 1000, ease: 'linear' }, 0);
  main.add('#c', { x: [50, 100], duration: 500, ease: 'linear' }, 500);
  hyperframesAnime.register('main', main, { labels: { half: 0.5 } });
  const intro = anime.createTimeline({ autoplay: false });
  intro.add('#d', { x: 200, duration: 1000, ease: 'linear' }, 0);
  window.__hyperframes.hyperframesAnime.register('intro', intro);
</script></body>`,
        ),
      },
      { 'anime.umd.min.js': 'animejs/dist/bundles/anime.umd.min.js' },
    );
    expectPositions(video, 20, linear);
    expectPositions(video, 50, (k) => (k < 15 ? 50 : Math.round(50 + (100 * (k - 15)) / FPS)), [0, 7, 15, 22, 29]);
    // intro: on screen on [0.5, 0.8) s; 200 px/s from 0.5 s, from x = 10.
    expectPositions(video, 80, (k) => Math.round(10 + (200 * (k - 15)) / FPS), [15, 18, 23]);
  });

  it('Lottie (inline animation data) through window.__hfLottie: the frame for the time', async () => {
    // One 20x20 white solid moving x 10 → 110 over 30 frames at 30 fps, linearly.
    const data = {
      v: '5.7.0',
      fr: 30,
      ip: 0,
      op: 30,
      w: 160,
      h: 90,
      nm: 'move',
      ddd: 0,
      assets: [],
      layers: [
        {
          ddd: 0,
          ind: 1,
          ty: 1,
          nm: 'box',
          sr: 1,
          ip: 0,
          op: 30,
          st: 0,
          bm: 0,
          sc: '#ffffff',
          sw: 20,
          sh: 20,
          ks: {
            o: { a: 0, k: 100 },
            r: { a: 0, k: 0 },
            a: { a: 0, k: [0, 0, 0] },
            s: { a: 0, k: [100, 100, 100] },
            p: {
              a: 1,
              k: [
                { t: 0, s: [10, 30, 0], e: [110, 30, 0], i: { x: [1], y: [1] }, o: { x: [0], y: [0] } },
                { t: 30, s: [110, 30, 0] },
              ],
            },
          },
        },
      ],
    };
    const video = await renderFiles(
      {
        'index.html': stage(
          '<div id="lottie" style="position:absolute;left:0;top:0;width:160px;height:90px"></div>',
          '<script src="lottie.min.js"></script>',
        ).replace(
          '</body>',
          `<script>
  window.__hfLottie = [lottie.loadAnimation({ container: document.getElementById('lottie'), renderer: 'svg', loop: false, autoplay: false, animationData: ${JSON.stringify(data)} })];
</script></body>`,
        ),
      },
      { 'lottie.min.js': 'lottie-web/build/player/lottie.min.js' },
    );
    expectPositions(video, 40, linear);
  });

  it('Three.js drawn in an hf-seek listener from __hfThreeTime; the capture waits for its waitUntil promise', async () => {
    // An orthographic camera over [0, 160] x [0, 90]: the cube's left edge is at x = 10 + 100 t, drawn
    // only after a real 30 ms wait, so a capture that did not wait would show the previous frame.
    const video = await renderFiles(
      {
        'index.html': stage('<canvas id="c" width="160" height="90" style="position:absolute;left:0;top:0"></canvas>').replace(
          '</body>',
          `<script type="module">
  import * as THREE from './three.module.js';
  const renderer = new THREE.WebGLRenderer({ canvas: document.getElementById('c'), preserveDrawingBuffer: true });
  const scene = new THREE.Scene();
  const camera = new THREE.OrthographicCamera(0, 160, 90, 0, -10, 10);
  const cube = new THREE.Mesh(new THREE.PlaneGeometry(20, 20), new THREE.MeshBasicMaterial({ color: 0xffffff }));
  scene.add(cube);
  window.addEventListener('hf-seek', (event) => {
    event.detail.waitUntil(new Promise((resolve) => setTimeout(resolve, 30)).then(() => {
      cube.position.set(10 + 100 * window.__hfThreeTime + 10, 45, 0);
      renderer.render(scene, camera);
    }));
  });
</script></body>`,
        ),
      },
      { 'three.module.js': 'three/build/three.module.js', 'three.core.js': 'three/build/three.core.js' },
    );
    expectPositions(video, 45, linear);
  });

  it("a library of the page's own, registered with window.__framesmith.registerAdapter", async () => {
    const video = await renderFiles({
      'index.html': stage('<div id="own" class="box" style="top:30px"></div>').replace(
        '</body>',
        `<script>
  // A tiny "library": positions set from a time it is told, asynchronously.
  const own = document.getElementById('own');
  window.__framesmith.registerAdapter({
    name: 'my-lib',
    seek({ time }) { return Promise.resolve().then(() => { own.style.left = (10 + 100 * time) + 'px'; }); },
  });
</script></body>`,
      ),
    });
    expectPositions(video, 40, linear);
  });

  it("a same-origin iframe follows the frame's time: requestAnimationFrame, performance.now and CSS animations", async () => {
    const child = `<!doctype html><html><head><style>html,body{margin:0;background:#000}
.box{position:absolute;left:0;width:20px;height:20px;background:#fff}
#css{top:60px;left:10px;animation:move 1s linear both} @keyframes move{to{transform:translateX(100px)}}</style></head><body>
<div id="raf" class="box" style="top:10px"></div><div id="css" class="box"></div>
<script>
  const box = document.getElementById('raf');
  requestAnimationFrame(function tick() { box.style.left = (10 + performance.now() / 10) + 'px'; requestAnimationFrame(tick); });
</script></body></html>`;
    const video = await renderFiles({
      'index.html': stage('<iframe src="child.html" style="position:absolute;left:0;top:0;width:160px;height:90px;border:0"></iframe>'),
      'child.html': child,
    });
    expectPositions(video, 20, linear);
    expectPositions(video, 70, linear);
  });
});
