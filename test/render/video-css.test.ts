/**
 * A video frame is drawn exactly where, and as, the browser would draw the <video>: CSS applies to it.
 * One 320x180 composition (6 frames) holds the same 160x90 indexed clip several times, each with one
 * property: object-fit contain (letterboxed), cover + object-position (cropped), a transform, opacity,
 * border radius with an element stacked above it (and a box-shadow and outline, which HyperFrames does not
 * draw: it hides the <video> under an <img> of the frame), clip-path, and a filter. Every check is on pixels of
 * every frame; the clip's frame k shows source frame k. Rendered with the frames extracted by ffmpeg
 * (painted as the element's background) and decoded in the page (`videoDecode: 'page'`: drawn into a
 * canvas given the video's box and visual properties).
 */
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render } from '../../src/render.js';
import { audioStage } from '../../src/stages/audio.js';
import { videoFramesStage, type VideoFramesStage } from '../../src/stages/video-frames.js';
import { makeIndexedVideo, readFrameIndexFromRaw } from '../helpers/frame-media.js';
import { decodeFrames, hashFrames, makeProject, page, pixel, type DecodedVideo } from '../helpers/render-pixels.js';

const FRAMES = 6;
let project: string;
let video: DecodedVideo;
let stage: VideoFramesStage;

const STYLE = `
video { position: absolute; }
#contain { left: 0; top: 0; width: 80px; height: 80px; object-fit: contain; }
#cover { left: 90px; top: 0; width: 40px; height: 45px; object-fit: cover; object-position: 0% 0%; }
#xf { left: 140px; top: 0; width: 80px; height: 45px; transform-origin: 0 0; transform: translate(20px, 70px) scale(0.75); }
#fade { left: 240px; top: 0; width: 80px; height: 45px; opacity: 0.5; }
#round { left: 0; top: 95px; width: 80px; height: 45px; border-radius: 12px; box-shadow: 0 10px 0 4px #0f0; outline: 3px solid #0f0; }
#above { position: absolute; left: 60px; top: 125px; width: 30px; height: 30px; background: #f00; z-index: 2; }
#clipped { left: 100px; top: 120px; width: 80px; height: 45px; clip-path: inset(0 50% 0 0); }
#inverted { left: 230px; top: 120px; width: 80px; height: 45px; filter: invert(1); }`;

const BODY = `${['contain', 'cover', 'xf', 'fade', 'round', 'clipped', 'inverted']
  .map((id) => `<video id="${id}" src="clip.mp4" muted data-start="0" data-duration="1"></video>`)
  .join('\n')}\n<div id="above"></div>`;

function rgb(k: number, x: number, y: number): [number, number, number] {
  const [r, g, b] = pixel(video, k, x, y);
  return [r!, g!, b!];
}
const isBlue = ([r, g, b]: number[]) => b! > 200 && r! < 50 && g! < 50;
const isWhite = ([r, g, b]: number[]) => r! > 200 && g! > 200 && b! > 200;
const isBlack = ([r, g, b]: number[]) => r! < 50 && g! < 50 && b! < 50;
const readAt = (k: number, region: { x: number; y: number; w: number; h: number }) =>
  readFrameIndexFromRaw(video.frames[k]!, 320, 180, 'rgb24', region);

/** Whether cell i of the grid is white on source frame n. */
const bit = (n: number, i: number) => ((n >> i) & 1) === 1;

beforeAll(async () => {
  project = await makeProject({});
  await makeIndexedVideo(path.join(project, 'clip.mp4'), { width: 160, height: 90, fps: 30, frames: 30, codec: 'h264' });
  await writeFile(path.join(project, 'index.html'), page({ duration: FRAMES / 30, rootBackground: '#0000ff', style: STYLE, body: BODY }));
}, 120_000);

afterAll(async () => {
  if (project) await rm(project, { recursive: true, force: true });
});

describe.each(['ffmpeg', 'page'] as const)('CSS applies to the video frame (videoDecode %s)', (videoDecode) => {
  beforeAll(async () => {
    const output = path.join(project, `css-${videoDecode}.mp4`);
    stage = videoFramesStage({ cache: false, videoDecode });
    await render(project, { output, quality: 'high', workers: 1, stages: [stage, audioStage()] });
    video = await decodeFrames(output, { width: 320, height: 180 });
  }, 120_000);

  it('renders every frame, each video decoded on the path asked for', () => {
    expect(video.frames.length).toBe(FRAMES);
    expect(new Set(stage.stats.decode.choices.map((c) => c.path))).toEqual(new Set([videoDecode]));
  });

  it.runIf(videoDecode === 'ffmpeg')(
    'frames sent over loopback HTTP, with the page image caches dropped before every frame, give the same pixels',
    async () => {
      const output = path.join(project, 'css-http.mp4');
      await render(project, {
        output,
        quality: 'high',
        workers: 1,
        stages: [videoFramesStage({ cache: false, transport: 'http', decodedBudgetBytes: 1 })],
      });
      const overHttp = await decodeFrames(output, { width: 320, height: 180 });
      expect(hashFrames(overHttp)).toEqual(hashFrames(video));
    },
    120_000,
  );

  it.runIf(videoDecode === 'ffmpeg')('decodes frames at the size each video is drawn, once per distinct size', () => {
    const sizes = Object.fromEntries(
      stage.stats.perVideo.map((v) => [v.element, [v.requested?.width, v.requested?.height, v.width, v.height]]),
    );
    // The size drawn in the layout box (transforms aside), device pixels: contain fits 16:9 into 80x80.
    expect(sizes['video#contain']).toEqual([80, 45, 80, 45]);
    expect(sizes['video#cover']).toEqual([40, 45, 80, 45]);
    for (const id of ['xf', 'fade', 'round', 'clipped', 'inverted']) expect(sizes[`video#${id}`]).toEqual([80, 45, 80, 45]);
    // Seven videos of one file and trim, all decoded at 80x45 (covering 40x45 takes 80x45 too): one
    // extraction pass, six shared.
    expect(stage.stats.extraction?.uniqueExtractions).toBe(1);
    expect(stage.stats.extraction?.dedupeHits).toBe(6);
    expect(stage.stats.perVideo.filter((v) => v.sharedWith !== undefined).length).toBe(6);
  });

  it('object-fit: contain letterboxes the frame in its box', () => {
    for (let k = 0; k < FRAMES; k++) {
      expect(readAt(k, { x: 0, y: 18, w: 80, h: 45 })).toBe(k);
      expect(isBlue(rgb(k, 40, 8))).toBe(true);
      expect(isBlue(rgb(k, 40, 72))).toBe(true);
    }
  });

  it('object-fit: cover with object-position 0% 0% shows the left columns, cropped to the box', () => {
    // The 160x90 frame is scaled to 80x45 to cover 40x45; position 0% keeps columns 0 and 1 (20 px each).
    for (let k = 0; k < FRAMES; k++) {
      for (const row of [0, 1, 2, 3]) {
        for (const col of [0, 1]) {
          const i = row * 4 + col;
          const p = rgb(k, 90 + col * 20 + 10, Math.round(row * 11.25 + 5.6));
          expect(bit(k, i) ? isWhite(p) : isBlack(p)).toBe(true);
        }
      }
      expect(isBlue(rgb(k, 133, 20))).toBe(true); // right of the box: not drawn
    }
  });

  it('transforms move and scale the frame', () => {
    for (let k = 0; k < FRAMES; k++) expect(readAt(k, { x: 160, y: 70, w: 60, h: 34 })).toBe(k);
  });

  it('opacity blends the frame with the stage', () => {
    for (let k = 0; k < FRAMES; k++) {
      // Over pure blue at 0.5: white cells are about (128, 128, 255), black ones about (0, 0, 128).
      for (let i = 0; i < 15; i++) {
        const [r, g, b] = rgb(k, 240 + (i % 4) * 20 + 10, Math.round(Math.floor(i / 4) * 11.25 + 5.6));
        const ok = bit(k, i) ? r > 100 && r < 160 && g > 100 && g < 160 && b > 220 : r < 40 && g < 40 && b > 100 && b < 160;
        expect(ok, `frame ${k} cell ${i}: (${r}, ${g}, ${b})`).toBe(true);
      }
    }
  });

  it('border radius clips the corners, and an element stacked above covers the frame', () => {
    for (let k = 0; k < FRAMES; k++) {
      expect(isBlue(rgb(k, 1, 96))).toBe(true);
      const [r, g, b] = rgb(k, 75, 135);
      expect(r > 200 && g < 50 && b < 50).toBe(true);
      const cell0 = rgb(k, 10, 100);
      expect(bit(k, 0) ? isWhite(cell0) : isBlack(cell0)).toBe(true);
    }
  });

  it('the video draws no box-shadow and no outline, as in HyperFrames', () => {
    for (let k = 0; k < FRAMES; k++) {
      expect(isBlue(rgb(k, 40, 150)), `frame ${k}: shadow`).toBe(true);
      expect(isBlue(rgb(k, 40, 93)), `frame ${k}: outline`).toBe(true);
    }
  });

  it('clip-path hides the clipped part', () => {
    for (let k = 0; k < FRAMES; k++) {
      const cell0 = rgb(k, 110, 125);
      expect(bit(k, 0) ? isWhite(cell0) : isBlack(cell0)).toBe(true);
      expect(isBlue(rgb(k, 170, 140))).toBe(true);
    }
  });

  it('filters apply: invert turns the always-black cell 14 white', () => {
    for (let k = 0; k < FRAMES; k++) expect(isWhite(rgb(k, 230 + 50, 120 + 39))).toBe(true);
  });
});

describe('only changed frames are sent to the page', () => {
  it('a 15 fps clip in a 30 fps render, then held: each distinct frame is sent once, every frame still right', async () => {
    const dir = await makeProject({});
    try {
      await makeIndexedVideo(path.join(dir, 'slow.mp4'), { width: 160, height: 90, fps: 15, frames: 5, codec: 'h264' });
      await writeFile(
        path.join(dir, 'index.html'),
        page({
          duration: 0.6,
          style: 'video { position: absolute; left: 0; top: 0; width: 160px; height: 90px; }',
          body: '<video id="slow" src="slow.mp4" muted data-start="0" data-duration="0.6"></video>',
        }),
      );
      const held = videoFramesStage({ cache: false });
      const output = path.join(dir, 'slow.mp4.out.mp4');
      await render(dir, { output, quality: 'high', workers: 1, stages: [held] });
      const frames = await decodeFrames(output, { width: 320, height: 180 });
      expect(frames.frames.length).toBe(18);
      // Slot k is at media time k/30: source frame floor(k/2) while the 5 frames last, then held at 4.
      const shown = frames.frames.map((f) => readFrameIndexFromRaw(f, 320, 180, 'rgb24', { x: 0, y: 0, w: 160, h: 90 }));
      expect(shown).toEqual(Array.from({ length: 18 }, (_, k) => Math.min(Math.floor(k / 2), 4)));
      expect(held.stats.paint.framesPushed).toBe(5);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
