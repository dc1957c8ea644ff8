/**
 * Where the mix puts sound: beeps generated at known media times must land at the timeline time the
 * track's start / mediaStart / playbackRate / loop say, within one frame at 30 fps, and the output must
 * be exactly the requested length for both codecs.
 */
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mixAudio, type AudioTrack } from '../../src/encode/audio.js';
import { streamEnd } from '../../src/encode/audio-output.js';
import { ANALYSIS_RATE, decodeMono, findBursts, makeBeepFile, rms } from '../helpers/audio-media.js';

const FRAME = 1 / 30;
const AAC_FRAME = 1024 / 48_000;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'framesmith-audio-timing-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function track(src: string, overrides: Partial<AudioTrack>): AudioTrack {
  return { id: 'audio#t', src, start: 0, mediaStart: 0, playbackRate: 1, loop: false, volume: 1, ...overrides };
}

/** Asserts each expected onset has a burst starting within one frame, and there are no other bursts. */
function expectBeepsAt(bursts: { start: number }[], expected: number[]): void {
  expect(bursts.map((b) => b.start.toFixed(3))).toHaveLength(expected.length);
  for (const [i, t] of expected.entries())
    expect(Math.abs(bursts[i]!.start - t), `beep ${i} at ${bursts[i]!.start}, expected ${t}`).toBeLessThan(FRAME);
}

describe('mixAudio placement', () => {
  it('places a beep by start + mediaStart, and trims what comes before mediaStart', async () => {
    // Beeps at media 0.3 (before the trim: must not be heard) and 1.2 (heard at 0.5 + (1.2 - 0.9) = 0.8).
    const src = await makeBeepFile(dir, 'trim.wav', {
      duration: 2,
      beeps: [
        { at: 0.3, length: 0.1 },
        { at: 1.2, length: 0.1 },
      ],
    });
    const out = path.join(dir, 'trim.m4a');
    const result = await mixAudio([track(src, { start: 0.5, mediaStart: 0.9 })], { duration: 2, codec: 'aac', outFile: out });
    expect(result?.file).toBe(out);
    expectBeepsAt(findBursts(await decodeMono(out)), [0.8]);
  });

  it('plays at playbackRate 2: media distances halve on the timeline', async () => {
    const src = await makeBeepFile(dir, 'rate.m4a', {
      duration: 3,
      beeps: [
        { at: 1.0, length: 0.1 },
        { at: 2.0, length: 0.1 },
      ],
      format: 'm4a',
    });
    const out = path.join(dir, 'rate.m4a.out');
    await mixAudio([track(src, { start: 0.25, mediaStart: 0.5, playbackRate: 2 })], { duration: 2, codec: 'aac', outFile: out });
    const bursts = findBursts(await decodeMono(out));
    // 0.25 + (1.0 - 0.5) / 2 = 0.5 and 0.25 + (2.0 - 0.5) / 2 = 1.0; each beep now lasts ~50 ms.
    expectBeepsAt(bursts, [0.5, 1.0]);
    expect(bursts[0]!.end - bursts[0]!.start).toBeLessThan(0.075);
  });

  it('plays at playbackRate 0.4: onset and end within a frame', async () => {
    const src = await makeBeepFile(dir, 'slow.wav', { duration: 1, beeps: [{ at: 0.6, length: 0.05 }] });
    const out = path.join(dir, 'slow.webm');
    await mixAudio([track(src, { start: 0.1, mediaStart: 0.2, playbackRate: 0.4 })], { duration: 1.6, codec: 'opus', outFile: out });
    // Merged over 20 ms: stretched 2.5x, the beep's last window leaves a sub-millisecond ripple ~10 ms
    // after its end, part of the same sound.
    const bursts = findBursts(await decodeMono(out), 0.1, 0.02);
    expect(bursts).toHaveLength(1);
    // Media [0.6, 0.65] → timeline [0.1 + 0.4 / 0.4, 0.1 + 0.45 / 0.4] = [1.1, 1.225]. A stretcher moves
    // a sharp onset earlier (atempo's long windows by 94 ms at this rate); rubberband's short windows
    // keep it within a frame (measured −23 ms), and the end within a few ms.
    expect(Math.abs(bursts[0]!.start - 1.1), `start ${bursts[0]!.start}`).toBeLessThan(FRAME);
    expect(Math.abs(bursts[0]!.end - 1.225), `end ${bursts[0]!.end}`).toBeLessThan(FRAME);
  });

  it('keeps the place of audio that starts late in its file (a video whose audio begins at 0.5 s)', async () => {
    // Audio samples begin at media time 0.5; the beep is 0.1 s into them, at media time 0.6.
    const src = await makeBeepFile(dir, 'late-audio.mp4', {
      duration: 1.2,
      beeps: [{ at: 0.1, length: 0.1 }],
      format: 'mp4',
      audioOffset: 0.5,
    });
    const out = path.join(dir, 'late-audio.m4a');
    await mixAudio([track(src, { start: 0.2 }), track(src, { id: 'video#trimmed', start: 1.5, mediaStart: 0.3 })], {
      duration: 2.5,
      codec: 'aac',
      outFile: out,
    });
    // 0.2 + 0.6 = 0.8, and 1.5 + (0.6 - 0.3) = 1.8.
    expectBeepsAt(findBursts(await decodeMono(out)), [0.8, 1.8]);
  });

  it('without a duration plays to the end of its media (at its rate)', async () => {
    // A tone filling the whole 1 s file: at 2× from 0.3 it must sound on [0.3, 0.8) and stop there.
    const src = await makeBeepFile(dir, 'tone.wav', { duration: 1, beeps: [{ at: 0, length: 1 }] });
    const out = path.join(dir, 'tone.webm');
    await mixAudio([track(src, { start: 0.3, playbackRate: 2 })], { duration: 1.5, codec: 'opus', outFile: out });
    const bursts = findBursts(await decodeMono(out));
    expect(bursts).toHaveLength(1);
    expect(Math.abs(bursts[0]!.start - 0.3)).toBeLessThan(FRAME);
    expect(Math.abs(bursts[0]!.end - 0.8), `end ${bursts[0]!.end}`).toBeLessThan(FRAME);
  });

  it('a track whose mediaStart is past its media end is silent and does not disturb the others', async () => {
    const src = await makeBeepFile(dir, 'short.wav', { duration: 0.5, beeps: [{ at: 0.1, length: 0.1 }] });
    const out = path.join(dir, 'past-end.m4a');
    await mixAudio(
      [
        track(src, { id: 'audio#gone', mediaStart: 3 }),
        track(src, { start: 0.4 }),
        track(src, { id: 'audio#gone-loop', mediaStart: 2, loop: true }),
      ],
      { duration: 1, codec: 'aac', outFile: out },
    );
    expectBeepsAt(findBursts(await decodeMono(out)), [0.5]);
  });

  it('cuts a clip at its duration', async () => {
    const src = await makeBeepFile(dir, 'cut.wav', {
      duration: 2,
      beeps: [
        { at: 0.2, length: 0.1 },
        { at: 1.2, length: 0.1 },
      ],
    });
    const out = path.join(dir, 'cut.m4a');
    await mixAudio([track(src, { start: 0.1, duration: 0.8 })], { duration: 2, codec: 'aac', outFile: out });
    // The second beep would be at 1.3, after the clip ends at 0.9.
    expectBeepsAt(findBursts(await decodeMono(out)), [0.3]);
  });

  it('loops the window [mediaStart, end) at the cycle period', async () => {
    // 0.5 s file, beep at 0.1; mediaStart 0.05 → cycle 0.45 s, first beep at 0.2 + 0.05 = 0.25.
    const src = await makeBeepFile(dir, 'loop.wav', { duration: 0.5, beeps: [{ at: 0.1, length: 0.05 }] });
    const out = path.join(dir, 'loop.m4a');
    await mixAudio([track(src, { start: 0.2, mediaStart: 0.05, loop: true, duration: 1.8 })], {
      duration: 2.2,
      codec: 'aac',
      outFile: out,
    });
    const bursts = findBursts(await decodeMono(out));
    // Clip ends at 2.0, so the beep due at 2.05 is not heard.
    expectBeepsAt(bursts, [0.25, 0.7, 1.15, 1.6]);
    const periods = bursts.slice(1).map((b, i) => b.start - bursts[i]!.start);
    for (const p of periods) expect(Math.abs(p - 0.45)).toBeLessThan(0.002);
  });

  it('scales level by volume: 0.5 is about -6 dB RMS of 1.0', async () => {
    const src = await makeBeepFile(dir, 'level.wav', { duration: 1, beeps: [{ at: 0.2, length: 0.5 }] });
    const full = path.join(dir, 'level-1.m4a');
    const half = path.join(dir, 'level-05.m4a');
    await mixAudio([track(src, { volume: 1 })], { duration: 1, codec: 'aac', outFile: full });
    await mixAudio([track(src, { volume: 0.5 })], { duration: 1, codec: 'aac', outFile: half });
    const a = rms(await decodeMono(full), 0.25, 0.65);
    const b = rms(await decodeMono(half), 0.25, 0.65);
    // A mono source is heard at its own level (0.5 peak sine: RMS 0.354), not 3 dB down.
    expect(a).toBeGreaterThan(0.33);
    expect(a).toBeLessThan(0.38);
    expect(20 * Math.log10(b / a)).toBeGreaterThan(-6.3);
    expect(20 * Math.log10(b / a)).toBeLessThan(-5.7);
  });

  it('sums overlapping tracks without normalisation', async () => {
    const src = await makeBeepFile(dir, 'sum.wav', { duration: 1, beeps: [{ at: 0.2, length: 0.5 }], amplitude: 0.25 });
    const out = path.join(dir, 'sum.m4a');
    await mixAudio([track(src, {}), track(src, { id: 'audio#second' })], { duration: 1, codec: 'aac', outFile: out });
    // Two in-phase copies at 0.25 peak: 0.5 peak, RMS 0.354 (amix's default would halve it).
    const level = rms(await decodeMono(out), 0.25, 0.65);
    expect(level).toBeGreaterThan(0.33);
    expect(level).toBeLessThan(0.38);
  });

  it('mixes 50 tracks, each beep at its place', async () => {
    const base = await makeBeepFile(dir, 'many-0.wav', { duration: 0.5, beeps: [{ at: 0.1, length: 0.04 }] });
    const tracks: AudioTrack[] = [];
    const expected: number[] = [];
    for (let i = 0; i < 50; i++) {
      // 40 distinct files (separate inputs) and 10 tracks sharing one file (one input, split).
      const src = i < 40 ? path.join(dir, `many-${i}.wav`) : base;
      if (i > 0 && i < 40) await copyFile(base, src);
      const start = 0.05 + i * 0.1;
      // Half the tracks trim 50 ms into the file, moving their beep 50 ms earlier.
      const mediaStart = i % 2 === 0 ? 0 : 0.05;
      tracks.push(track(src, { id: `audio#a${i}`, start, mediaStart }));
      expected.push(start + 0.1 - mediaStart);
    }
    const out = path.join(dir, 'many.m4a');
    const result = await mixAudio(tracks, { duration: 5.2, codec: 'aac', outFile: out });
    expect(result?.trackCount).toBe(50);
    // 39 copies are inputs of their own; `base` is read by i = 0 and 40..49, which share one input per
    // mediaStart (0 or 0.05): 39 + 2.
    expect(result!.inputCount).toBe(41);
    expectBeepsAt(findBursts(await decodeMono(out)), expected);
  });
});

describe('mixAudio length', () => {
  for (const codec of ['aac', 'opus'] as const) {
    it(`is exactly the requested duration (${codec})`, async () => {
      const src = await makeBeepFile(dir, `len-${codec}.wav`, { duration: 3, beeps: [{ at: 0.1, length: 0.1 }] });
      for (const duration of [1.7, 61 / 30]) {
        const out = path.join(dir, `len-${codec}-${duration}.${codec === 'aac' ? 'm4a' : 'webm'}`);
        // One track shorter than the output (padded), one longer (cut).
        const result = await mixAudio([track(src, { duration: 0.5 }), track(src, { id: 'audio#long', start: 0.2 })], {
          duration,
          codec,
          outFile: out,
        });
        expect(Math.abs(result!.duration - duration)).toBeLessThanOrEqual(AAC_FRAME);
        expect(Math.abs((await streamEnd(out, 'a'))! - duration)).toBeLessThanOrEqual(AAC_FRAME);
        const decoded = (await decodeMono(out)).length / ANALYSIS_RATE;
        expect(Math.abs(decoded - duration), `decoded ${decoded}`).toBeLessThanOrEqual(AAC_FRAME);
      }
    });
  }

  it('writes the same bytes for the same tracks (aac and opus)', async () => {
    const src = await makeBeepFile(dir, 'same.wav', { duration: 1, beeps: [{ at: 0.1, length: 0.1 }] });
    const tracks = [track(src, { start: 0.1, mediaStart: 0.05, playbackRate: 1.25, loop: true, volume: 0.7 })];
    for (const codec of ['aac', 'opus'] as const) {
      const a = path.join(dir, `same-a.${codec}`);
      const b = path.join(dir, `same-b.${codec}`);
      await mixAudio(tracks, { duration: 1.5, codec, outFile: a });
      await mixAudio(tracks, { duration: 1.5, codec, outFile: b });
      expect((await readFile(a)).equals(await readFile(b)), codec).toBe(true);
    }
  });
});
