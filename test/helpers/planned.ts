/**
 * The composition planned-render tests share (320x180, 45 frames at 30 fps): an indexed clip at (0,0)
 * 240x135 whose frame k is on output frame k, a red box moving 200 px/s along the bottom (a CSS
 * animation), and a beep at 0.5 s; and the check that every frame of an output is the one due.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import { decodeMono, findBursts, makeBeepFile } from './audio-media.js';
import { makeIndexedVideo, readFrameIndexFromRaw, readFramePts } from './frame-media.js';
import { decodeFrames, leftEdge, makeProject, type DecodedVideo } from './render-pixels.js';

export const FRAMES = 45;
export const CLIP = { x: 0, y: 0, w: 240, h: 135 };
export const BEEP_AT = 0.5;

export function plannedHtml(background: string): string {
  return `<!doctype html><html><head><style>html,body{margin:0;background:transparent}
#root{position:relative;width:320px;height:180px;overflow:hidden;background:${background}}
video{position:absolute;left:0;top:0;width:240px;height:135px}
.box{position:absolute;left:0;top:150px;width:20px;height:20px;background:#f00;animation:move 1.5s linear forwards}
@keyframes move{to{left:300px}}</style></head><body>
<div id="root" data-composition-id="main" data-width="320" data-height="180" data-fps="30" data-duration="1.5">
<video src="clip.mp4" muted data-start="0"></video><div class="box"></div>
<audio src="beep.wav" data-start="0"></audio>
</div></body></html>`;
}

/** A project holding the composition, its clip and its beep. */
export async function makePlannedProject(prefix: string): Promise<string> {
  const project = await makeProject({ 'index.html': plannedHtml('#203040') }, prefix);
  await makeIndexedVideo(path.join(project, 'clip.mp4'), { width: 240, height: 135, fps: 30, frames: 60, codec: 'h264', gop: 12 });
  await makeBeepFile(project, 'beep.wav', { duration: 1.5, beeps: [{ at: BEEP_AT, length: 0.1 }] });
  return project;
}

export async function setBackground(project: string, background: string): Promise<void> {
  await writeFile(path.join(project, 'index.html'), plannedHtml(background));
}

/** The frames whose clip does not show frame k, or whose box is not where frame k has it. */
export function wrongFrames(video: DecodedVideo, layout: 'rgb24' | 'rgba'): string[] {
  const wrong: string[] = [];
  for (let k = 0; k < video.frames.length; k++) {
    const shown = readFrameIndexFromRaw(video.frames[k]!, 320, 180, layout, CLIP);
    if (shown !== k) wrong.push(`frame ${k}: clip shows ${shown}`);
    const x = leftEdge(video, k, 160, [255, 0, 0]);
    if (Math.abs(x - 200 * (k / 30)) > 1.5) wrong.push(`frame ${k}: box at ${x}, expected ${((200 * k) / 30).toFixed(1)}`);
  }
  return wrong;
}

/** An MP4 of the planned composition is exact: every frame the one due, timestamps k/30, the beep on time. */
export async function expectPlannedOutput(output: string): Promise<void> {
  const video = await decodeFrames(output, { width: 320, height: 180 });
  expect(video.frames.length).toBe(FRAMES);
  expect(wrongFrames(video, 'rgb24')).toEqual([]);
  const pts = await readFramePts(output);
  expect(pts.filter((t, k) => Math.abs(t - k / 30) > 1e-6)).toEqual([]);
  const bursts = findBursts(await decodeMono(output));
  expect(bursts).toHaveLength(1);
  expect(Math.abs(bursts[0]!.start - BEEP_AT)).toBeLessThan(0.005);
}
