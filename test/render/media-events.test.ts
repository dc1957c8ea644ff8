/**
 * Page scripts that wait for media: the page never loads its files (the media guard), yet a script
 * that sizes things from `loadedmetadata` / `canplaythrough` must see what a player reports — the
 * file's duration, videoWidth/videoHeight, readyState 4 — before the first frame is captured. Checked
 * by the pixels of bars the listeners size: a red bar 100 px wide per second of the 1 s video and as
 * tall as its 90 px, a green bar 100 px per second of the 0.5 s audio; and a clock bar drawn every
 * frame from a trimmed, sped-up video's `currentTime`.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render } from '../../src/render.js';
import { makeBeepFile } from '../helpers/audio-media.js';
import { makeIndexedVideo, readFrameIndexFromRaw } from '../helpers/frame-media.js';
import { decodeFrames, makeProject, page, pixel, type DecodedVideo } from '../helpers/render-pixels.js';

let project: string;
let video: DecodedVideo;

const SCRIPT = `
  var v = document.getElementById('v');
  var a = document.getElementById('a');
  var bar = document.getElementById('bar');
  // Listeners added after the elements were parsed, as most pages do.
  v.addEventListener('loadedmetadata', function () {
    bar.style.width = Math.round(v.duration * 100) + 'px';
    bar.style.height = v.videoHeight + 'px';
    bar.style.background = v.readyState === 4 && v.videoWidth === 160 ? '#ff0000' : '#ffffff';
  });
  a.addEventListener('canplaythrough', function () {
    document.getElementById('abar').style.width = Math.round(a.duration * 100) + 'px';
  });
  // A clock read on every frame: 200 px per second of #w's currentTime.
  var w = document.getElementById('w');
  function tick() {
    document.getElementById('clock').style.width = Math.round(w.currentTime * 200) + 'px';
    requestAnimationFrame(tick);
  }
  requestAnimationFrame(tick);`;

beforeAll(async () => {
  project = await makeProject(
    {
      'index.html': page({
        duration: 0.1,
        rootBackground: '#0000ff',
        style:
          '#v { position: absolute; left: 0; top: 0; } #bar, #abar { position: absolute; left: 170px; width: 0; }' +
          ' #bar { top: 0; height: 0; } #abar { top: 100px; height: 20px; background: #00ff00; }' +
          ' #w { position: absolute; left: 0; top: 100px; width: 40px; }' +
          ' #clock { position: absolute; left: 0; top: 150px; height: 20px; width: 0; background: #ffff00; }',
        body:
          '<video id="v" src="clip.mp4" muted data-start="0"></video><audio id="a" src="tone.m4a" data-start="0"></audio>' +
          '<video id="w" src="clip.mp4" muted data-start="0" data-media-start="0.5" data-playback-rate="2"></video>' +
          '<div id="bar"></div><div id="abar"></div><div id="clock"></div>',
        script: SCRIPT,
      }),
    },
    'fs-media-events-',
  );
  await makeIndexedVideo(path.join(project, 'clip.mp4'), { width: 160, height: 90, fps: 30, frames: 30, codec: 'h264' });
  await makeBeepFile(project, 'tone.m4a', { duration: 0.5, beeps: [{ at: 0, length: 0.1 }], format: 'm4a' });
  const result = await render(project, { output: path.join(project, 'out.mp4'), quality: 'high', cache: false });
  video = await decodeFrames(result.output, { width: 320, height: 180 });
});
afterAll(async () => {
  await rm(project, { recursive: true, force: true });
});

const colour = (k: number, x: number, y: number) =>
  pixel(video, k, x, y)
    .map((c) => (c! > 200 ? 1 : c! < 50 ? 0 : -1))
    .join('');

describe('scripts waiting for media events', () => {
  it('loadedmetadata: duration 1 s, videoHeight 90, videoWidth 160 and readyState 4, from the first frame on', () => {
    for (let k = 0; k < video.frames.length; k++) {
      expect(colour(k, 260, 45)).toBe('100'); // inside the 100 px wide red bar
      expect(colour(k, 280, 45)).toBe('001'); // past its right edge: the blue stage
      expect(colour(k, 200, 85)).toBe('100');
      expect(colour(k, 200, 95)).toBe('001'); // below its 90 px
    }
  });

  it('canplaythrough on <audio>: duration 0.5 s', () => {
    for (let k = 0; k < video.frames.length; k++) {
      expect(colour(k, 210, 110)).toBe('010');
      expect(colour(k, 230, 110)).toBe('001');
    }
  });

  it('currentTime reads the media time the clip shows at each frame: 0.5 s + 2 × t', () => {
    for (let k = 0; k < video.frames.length; k++) {
      const width = Math.round((0.5 + (2 * k) / 30) * 200);
      expect(colour(k, width - 4, 160), `frame ${k}, inside ${width} px`).toBe('110');
      expect(colour(k, width + 4, 160), `frame ${k}, past ${width} px`).toBe('001');
    }
  });

  it('the video itself still shows its exact frames', () => {
    for (let k = 0; k < video.frames.length; k++) {
      expect(readFrameIndexFromRaw(video.frames[k]!, 320, 180, 'rgb24', { x: 0, y: 0, w: 160, h: 90 })).toBe(k);
    }
  });
});
