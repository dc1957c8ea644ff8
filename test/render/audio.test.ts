/**
 * Sound through render(): the mix of `<audio>`/`<video>` elements is muxed into the output.
 *
 * The composition (1.5 s at 30 fps) has an `<audio>` whose file beeps at media time 0.5 s, placed at
 * 0.3 s with a 0.2 s trim, so the beep must be heard at 0.3 + (0.5 - 0.2) = 0.6 s — within one frame.
 * A muted `<video>` whose own sound beeps at 1.0 s must stay silent.
 */
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render } from '../../src/render.js';
import { decodeMono, findBursts, makeBeepFile, streamCodecs } from '../helpers/audio-media.js';
import { makeProject, page } from '../helpers/render-pixels.js';

const FRAME = 1 / 30;
let project: string;

function composition(audio: boolean): string {
  return page({
    duration: 1.5,
    style: 'video { position: absolute; left: 0; top: 0; width: 64px; height: 64px; }',
    body: `
${audio ? '<audio id="beep" src="beep.wav" data-start="0.3" data-media-start="0.2" data-duration="1"></audio>' : ''}
<video id="quiet" src="loud.mp4" muted data-start="0" data-duration="1.5"></video>`,
  });
}

beforeAll(async () => {
  project = await makeProject({});
  await makeBeepFile(project, 'beep.wav', { duration: 1.5, beeps: [{ at: 0.5, length: 0.1 }] });
  await makeBeepFile(project, 'loud.mp4', { duration: 1.6, beeps: [{ at: 1.0, length: 0.2 }], format: 'mp4' });
}, 120_000);

afterAll(async () => {
  if (project) await rm(project, { recursive: true, force: true });
});

describe('audio in the render', () => {
  it('MP4: AAC; the beep lands within one frame of 0.6 s and the muted video is silent', async () => {
    await writeFile(path.join(project, 'index.html'), composition(true));
    const output = path.join(project, 'out.mp4');
    const result = await render(project, { output, workers: 1 });
    expect(result.frames).toBe(45);
    expect(await streamCodecs(output)).toEqual(['h264', 'aac']);
    const bursts = findBursts(await decodeMono(output));
    expect(bursts.length).toBe(1);
    expect(Math.abs(bursts[0]!.start - 0.6)).toBeLessThan(FRAME);
    expect(Math.abs(bursts[0]!.end - 0.7)).toBeLessThan(FRAME);
  }, 120_000);

  it('WebM: Opus, same placement', async () => {
    await writeFile(path.join(project, 'index.html'), composition(true));
    const output = path.join(project, 'out.webm');
    await render(project, { output, workers: 1 });
    expect(await streamCodecs(output)).toEqual(['vp9', 'opus']);
    const bursts = findBursts(await decodeMono(output));
    expect(bursts.length).toBe(1);
    expect(Math.abs(bursts[0]!.start - 0.6)).toBeLessThan(FRAME);
  }, 120_000);

  it('an unmuted video with sound is heard, trimmed and placed like its picture', async () => {
    // loud.mp4 beeps at media 1.0 s; started at 0.2 s with a 0.7 s trim, the beep is heard at 0.5 s.
    await writeFile(
      path.join(project, 'index.html'),
      page({
        duration: 1.5,
        body: '<video id="sound" src="loud.mp4" data-start="0.2" data-media-start="0.7" data-duration="1.2" style="width:64px;height:64px"></video>',
      }),
    );
    const output = path.join(project, 'video-sound.mp4');
    await render(project, { output, workers: 1 });
    expect(await streamCodecs(output)).toEqual(['h264', 'aac']);
    const bursts = findBursts(await decodeMono(output));
    expect(bursts.length).toBe(1);
    expect(Math.abs(bursts[0]!.start - 0.5)).toBeLessThan(FRAME);
  }, 120_000);

  it('nothing audible (only a muted video with sound): no audio stream', async () => {
    await writeFile(path.join(project, 'index.html'), composition(false));
    const output = path.join(project, 'silent.mp4');
    await render(project, { output, workers: 1 });
    expect(await streamCodecs(output)).toEqual(['h264']);
  }, 120_000);
});
