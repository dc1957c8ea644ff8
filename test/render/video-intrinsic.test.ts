/**
 * A <video> sized by its file, as a player sizes it: the page never loads the file, so without help
 * Chromium lays the element out at 300x150 (2:1). The media guard gives it the file's size. Here a
 * 160x90 clip with no size at all must cover 160x90 CSS px, and one with only `width: 80px` must be
 * 80x45 (height from the file's aspect ratio), checked by the frame index read in exactly those boxes
 * and the background just outside them. A third clip's file name holds `$'` and `$&`, which once
 * corrupted the injected script (its paths were spliced in with String.replace); now its size still
 * comes from the file.
 */
import { copyFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render } from '../../src/render.js';
import { makeIndexedVideo, readFrameIndexFromRaw } from '../helpers/frame-media.js';
import { decodeFrames, makeProject, page, pixel, type DecodedVideo } from '../helpers/render-pixels.js';

let project: string;
let video: DecodedVideo;

beforeAll(async () => {
  project = await makeProject(
    {
      'index.html': page({
        duration: 0.2,
        rootBackground: '#0000ff',
        style:
          'video { position: absolute; top: 0; } #natural { left: 0; } #half { left: 200px; width: 80px; } #dollar { left: 0; top: 120px; width: 80px; }',
        body:
          '<video id="natural" src="clip.mp4" muted data-start="0"></video><video id="half" muted data-start="0"><source src="clip.mp4"></video>' +
          '<video id="dollar" src="odd $\' and $&amp;.mp4" muted data-start="0"></video>',
      }),
    },
    'fs-intrinsic-',
  );
  await makeIndexedVideo(path.join(project, 'clip.mp4'), { width: 160, height: 90, fps: 30, frames: 6, codec: 'h264' });
  await copyFile(path.join(project, 'clip.mp4'), path.join(project, "odd $' and $&.mp4"));
  const output = path.join(project, 'out.mp4');
  await render(project, { output, quality: 'high', cache: false });
  video = await decodeFrames(output, { width: 320, height: 180 });
});
afterAll(async () => {
  await rm(project, { recursive: true, force: true });
});

const isBlue = (k: number, x: number, y: number) => {
  const [r, g, b] = pixel(video, k, x, y);
  return r! < 40 && g! < 40 && b! > 200;
};

describe("videos take their file's size when CSS does not give one", () => {
  it("no size: 160x90, the file's own", () => {
    for (let k = 0; k < video.frames.length; k++) {
      expect(readFrameIndexFromRaw(video.frames[k]!, 320, 180, 'rgb24', { x: 0, y: 0, w: 160, h: 90 })).toBe(k);
      expect(isBlue(k, 80, 95)).toBe(true);
      expect(isBlue(k, 165, 45)).toBe(true);
    }
  });

  it("width only (<source> child): the height follows the file's aspect ratio", () => {
    for (let k = 0; k < video.frames.length; k++) {
      expect(readFrameIndexFromRaw(video.frames[k]!, 320, 180, 'rgb24', { x: 200, y: 0, w: 80, h: 45 })).toBe(k);
      expect(isBlue(k, 240, 50)).toBe(true);
    }
  });

  it("a file name holding $' and $& (once spliced into the page script by String.replace): sized by its file all the same", () => {
    for (let k = 0; k < video.frames.length; k++) {
      expect(readFrameIndexFromRaw(video.frames[k]!, 320, 180, 'rgb24', { x: 0, y: 120, w: 80, h: 45 })).toBe(k);
      expect(isBlue(k, 40, 170)).toBe(true);
    }
  });
});
