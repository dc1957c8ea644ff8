/**
 * `videoDecode: 'page'` in a render where the page can decode only some videos: an absolutely
 * positioned H.264 clip is decoded in the page, one in the normal flow (the canvas overlay needs an
 * absolute or fixed box) is extracted by ffmpeg, and both show the frame due on every frame — the
 * painter's and the page decoder's hooks side by side in one capture.
 */
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render } from '../../src/render.js';
import { videoFramesStage, type VideoFramesStage } from '../../src/stages/video-frames.js';
import { expectedSourceFrame, makeIndexedVideo, readFrameIndexFromRaw, type IndexedVideo } from '../helpers/frame-media.js';
import { decodeFrames, makeProject, page, type DecodedVideo } from '../helpers/render-pixels.js';

const FRAMES = 12;
let project: string;
let clip: IndexedVideo;
let stage: VideoFramesStage;
let out: DecodedVideo;

beforeAll(async () => {
  project = await makeProject({});
  clip = await makeIndexedVideo(path.join(project, 'clip.mp4'), { width: 160, height: 90, fps: 30, frames: 30, codec: 'h264', gop: 6 });
  await writeFile(
    path.join(project, 'index.html'),
    page({
      duration: FRAMES / 30,
      rootBackground: '#0000ff',
      style:
        '#abs { position: absolute; left: 160px; top: 0; width: 160px; height: 90px; } #flow { display: block; width: 160px; height: 90px; }',
      body: '<video id="flow" src="clip.mp4" muted data-start="0"></video><video id="abs" src="clip.mp4" muted data-start="0" data-media-start="0.3"></video>',
    }),
  );
  stage = videoFramesStage({ cache: false, videoDecode: 'page' });
  const output = path.join(project, 'mixed.mp4');
  await render(project, { output, quality: 'high', stages: [stage] });
  out = await decodeFrames(output, { width: 320, height: 180 });
}, 120_000);

afterAll(async () => {
  if (project) await rm(project, { recursive: true, force: true });
});

describe('page decode where the page can, ffmpeg elsewhere, in one render', () => {
  it('decodes the absolutely positioned video in the page and extracts the one in the flow, saying why', () => {
    expect(stage.stats.decode.choices).toEqual([
      { element: 'video#flow', path: 'ffmpeg', reason: "the element's position is static, not absolute or fixed" },
      { element: 'video#abs', path: 'page' },
    ]);
    expect(stage.stats.perVideo.map((v) => v.element)).toEqual(['video#flow']);
    expect(stage.stats.decode.page?.maxOpenFrames).toBeGreaterThan(0);
  });

  it('both show the frame due on every frame', () => {
    expect(out.frames.length).toBe(FRAMES);
    const wrong: string[] = [];
    for (let k = 0; k < FRAMES; k++) {
      const flow = readFrameIndexFromRaw(out.frames[k]!, 320, 180, 'rgb24', { x: 0, y: 0, w: 160, h: 90 });
      const abs = readFrameIndexFromRaw(out.frames[k]!, 320, 180, 'rgb24', { x: 160, y: 0, w: 160, h: 90 });
      if (flow !== expectedSourceFrame(clip.pts, k / 30)) wrong.push(`frame ${k}: flow shows ${flow}`);
      if (abs !== expectedSourceFrame(clip.pts, 0.3 + k / 30)) wrong.push(`frame ${k}: abs shows ${abs}`);
    }
    expect(wrong).toEqual([]);
  });
});
