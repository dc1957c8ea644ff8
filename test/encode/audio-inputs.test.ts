/**
 * What goes into the mix and what is refused: audioTracksFromMedia's choice of elements, `null` when
 * nothing is audible, typed errors naming the element for bad sources, cancellation leaving nothing.
 */
import { readdir, mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audioTracksFromMedia, mixAudio, type AudioTrack } from '../../src/encode/audio.js';
import { AudioError } from '../../src/media/errors.js';
import type { MediaElement } from '../../src/composition/model.js';
import { liveChildCount } from '../../src/media/process.js';
import { decodeMono, fileHasAudio, findBursts, makeBeepFile, makeSilentVideo } from '../helpers/audio-media.js';

const FRAME = 1 / 30;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'framesmith-audio-inputs-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function element(kind: 'audio' | 'video', src: string, label: string, overrides: Partial<MediaElement> = {}): MediaElement {
  return {
    index: 0,
    label,
    tagName: kind,
    start: 0,
    isClip: false,
    kind,
    src,
    mediaStart: 0,
    playbackRate: 1,
    loop: false,
    muted: false,
    volume: 1,
    ...overrides,
  };
}

function track(src: string, overrides: Partial<AudioTrack> = {}): AudioTrack {
  return { id: 'audio#music', src, start: 0, mediaStart: 0, playbackRate: 1, loop: false, volume: 1, ...overrides };
}

/** Files in `dir` whose name contains `stem` (to prove nothing, not even a temp file, was left). */
async function filesLike(stem: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.includes(stem));
}

async function expectAudioError(promise: Promise<unknown>, code: string, id: string, file: string): Promise<AudioError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AudioError);
  const audioError = error as AudioError;
  expect(audioError.code).toBe(code);
  expect(audioError.fields.trackId).toBe(id);
  expect(audioError.fields.file).toBe(file);
  expect(audioError.message).toContain(id);
  expect(audioError.message).toContain(file);
  return audioError;
}

describe('audioTracksFromMedia', () => {
  it('keeps audible audio and unmuted or data-has-audio videos; a muted video contributes nothing', async () => {
    const voice = await makeBeepFile(dir, 'voice.wav', { duration: 1, beeps: [{ at: 0.2, length: 0.1 }] });
    const clip = await makeBeepFile(dir, 'clip.mp4', { duration: 1, beeps: [{ at: 0.6, length: 0.1 }], format: 'mp4' });
    const silent = await makeSilentVideo(dir, 'silent.mp4', 1);
    const media = [
      element('audio', voice, 'audio#voice'),
      element('video', clip, 'video#muted', { muted: true, start: 0 }),
      element('video', silent, 'video#silent'),
      element('audio', voice, 'audio#zero', { volume: 0 }),
      element('audio', voice, 'audio#off', { muted: true }),
    ];
    const tracks = await audioTracksFromMedia(media, fileHasAudio);
    expect(tracks.map((t) => t.id)).toEqual(['audio#voice']);

    const out = path.join(dir, 'muted-video.m4a');
    await mixAudio(tracks, { duration: 1, codec: 'aac', outFile: out });
    const bursts = findBursts(await decodeMono(out));
    // Only the <audio> beep at 0.2; the muted video's beep at 0.6 is absent.
    expect(bursts).toHaveLength(1);
    expect(Math.abs(bursts[0]!.start - 0.2)).toBeLessThan(FRAME);

    // The same video unmuted, and muted but forced with data-has-audio, are both heard (at 0.6 + 0.1).
    const heard = await audioTracksFromMedia(
      [
        element('video', clip, 'video#on', { start: 0.1 }),
        element('video', clip, 'video#forced', { muted: true, hasAudioAttr: true, start: 0.1, volume: 0.5 }),
      ],
      fileHasAudio,
    );
    expect(heard.map((t) => [t.id, t.start, t.volume])).toEqual([
      ['video#on', 0.1, 1],
      ['video#forced', 0.1, 0.5],
    ]);
    const out2 = path.join(dir, 'video-audio.m4a');
    await mixAudio(heard, { duration: 1, codec: 'aac', outFile: out2 });
    const bursts2 = findBursts(await decodeMono(out2));
    expect(bursts2).toHaveLength(1);
    expect(Math.abs(bursts2[0]!.start - 0.7)).toBeLessThan(FRAME);
  });

  it('refuses an <audio> whose file has no audio stream, naming the element', async () => {
    const silent = await makeSilentVideo(dir, 'no-sound.mp4', 0.5);
    const error = await audioTracksFromMedia([element('audio', silent, 'audio#narration')], fileHasAudio).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AudioError);
    expect((error as AudioError).code).toBe('no_audio_stream');
    expect((error as AudioError).message).toContain('audio#narration');
    expect((error as AudioError).message).toContain(silent);
  });
});

describe('mixAudio with nothing audible', () => {
  it('returns null and writes nothing for no tracks, all volume 0, or all past the end', async () => {
    const src = await makeBeepFile(dir, 'quiet.wav', { duration: 1, beeps: [{ at: 0.1, length: 0.1 }] });
    for (const [name, tracks] of [
      ['none', []],
      ['zero', [track(src, { volume: 0 }), track(src, { id: 'audio#b', volume: 0 })]],
      ['late', [track(src, { start: 5 })]],
    ] as const) {
      const out = path.join(dir, `nothing-${name}.m4a`);
      expect(await mixAudio([...tracks], { duration: 1, codec: 'aac', outFile: out })).toBeNull();
      expect(await filesLike(`nothing-${name}`)).toEqual([]);
    }
  });
});

describe('mixAudio bad sources', () => {
  it('a missing file → source_missing naming the element', async () => {
    const missing = path.join(dir, 'gone.wav');
    const good = await makeBeepFile(dir, 'good.wav', { duration: 0.5, beeps: [] });
    const out = path.join(dir, 'bad-missing.m4a');
    await expectAudioError(
      mixAudio([track(good, { id: 'audio#ok' }), track(missing, { id: 'audio#gone' })], { duration: 1, codec: 'aac', outFile: out }),
      'source_missing',
      'audio#gone',
      missing,
    );
    expect(await filesLike('bad-missing')).toEqual([]);
  });

  it('a text file named .wav → invalid_media naming the element', async () => {
    const text = path.join(dir, 'notes.wav');
    await writeFile(text, 'these are my notes, not audio\n'.repeat(20));
    const out = path.join(dir, 'bad-text.m4a');
    const error = await expectAudioError(
      mixAudio([track(text, { id: 'audio#notes' })], { duration: 1, codec: 'aac', outFile: out }),
      'invalid_media',
      'audio#notes',
      text,
    );
    expect(error.message).toMatch(/re-export/);
    expect(await filesLike('bad-text')).toEqual([]);
  });

  it('a corrupt (truncated) file → invalid_media naming the element', async () => {
    // An M4A keeps its index (moov) at the end, so its first half is unreadable.
    const whole = await makeBeepFile(dir, 'whole.m4a', { duration: 1, beeps: [{ at: 0.1, length: 0.1 }], format: 'm4a' });
    const bytes = await readFile(whole);
    const broken = path.join(dir, 'broken.m4a');
    await writeFile(broken, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const out = path.join(dir, 'bad-corrupt.webm');
    await expectAudioError(
      mixAudio([track(broken, { id: 'audio#broken' })], { duration: 1, codec: 'opus', outFile: out }),
      'invalid_media',
      'audio#broken',
      broken,
    );
    expect(await filesLike('bad-corrupt')).toEqual([]);
  });

  it('a video without sound given as a track → no_audio_stream naming the element', async () => {
    const silent = await makeSilentVideo(dir, 'mute-track.mp4', 0.5);
    const out = path.join(dir, 'bad-nosound.m4a');
    await expectAudioError(
      mixAudio([track(silent, { id: 'video#b-roll' })], { duration: 1, codec: 'aac', outFile: out }),
      'no_audio_stream',
      'video#b-roll',
      silent,
    );
  });

  it('out-of-range numbers → invalid_input naming the element', async () => {
    const src = await makeBeepFile(dir, 'range.wav', { duration: 0.5, beeps: [] });
    const out = path.join(dir, 'bad-range.m4a');
    await expectAudioError(
      mixAudio([track(src, { id: 'audio#fast', playbackRate: 0 })], { duration: 1, codec: 'aac', outFile: out }),
      'invalid_input',
      'audio#fast',
      src,
    );
    await expectAudioError(
      mixAudio([track(src, { id: 'audio#early', start: -1 })], { duration: 1, codec: 'aac', outFile: out }),
      'invalid_input',
      'audio#early',
      src,
    );
  });
});

describe('mixAudio cancellation', () => {
  it('rejects with cancelled and leaves no file', async () => {
    const src = await makeBeepFile(dir, 'long.wav', { duration: 30, beeps: [{ at: 1, length: 0.1 }] });
    const out = path.join(dir, 'cancelled.webm');
    const controller = new AbortController();
    const pending = mixAudio(
      Array.from({ length: 8 }, (_, i) => track(src, { id: `audio#c${i}`, start: i * 0.01, playbackRate: 1.1 })),
      { duration: 30, codec: 'opus', outFile: out, signal: controller.signal },
    );
    setTimeout(() => controller.abort(), 300);
    const error = await pending.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AudioError);
    expect((error as AudioError).code).toBe('cancelled');
    expect(await filesLike('cancelled')).toEqual([]);
    // ffmpeg itself was ended, not left running.
    expect(liveChildCount()).toBe(0);
  });
});
