/**
 * HyperFrames' audio attributes, measured in the mix: `data-automation` volume lanes by RMS over time
 * windows, `data-fx-chain` filters by the energy at two frequencies, delays by where the echoes land,
 * `data-audio-group` buses by level; what framesmith does not reproduce is a warning, never silence.
 * Compositions are parsed from real HTML (parseComposition), tracks built as the render builds them.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompositionError } from '../../src/composition/errors.js';
import type { Composition } from '../../src/composition/model.js';
import { audioTracksFromMedia, mixAudio } from '../../src/encode/audio.js';
import { parseComposition } from '../../src/load/index.js';
import { render } from '../../src/render.js';
import { RenderError } from '../../src/render/errors.js';
import { runFfmpeg } from '../../src/media/tools.js';
import { audioStage } from '../../src/stages/audio.js';
import type { StageContext } from '../../src/stages/stage.js';
import type { RenderWarning } from '../../src/warnings.js';
import { decodeFrames, pixel } from '../helpers/render-pixels.js';
import { ANALYSIS_RATE, decodeMono, findBursts, makeBeepFile, rms } from '../helpers/audio-media.js';

let dir: string;
let twoTones: string;
let tone: string;
let n = 0;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'framesmith-audio-fx-'));
  // 200 Hz + 5 kHz at 0.25 each, and a plain 1 kHz tone at 0.5: 3 s, 48 kHz mono.
  twoTones = path.join(dir, 'two-tones.wav');
  await runFfmpeg([
    '-y',
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    'aevalsrc=0.25*sin(2*PI*200*t)+0.25*sin(2*PI*5000*t):s=48000:d=3',
    '-c:a',
    'pcm_s16le',
    '-f',
    'wav',
    twoTones,
  ]);
  tone = path.join(dir, 'tone.wav');
  await runFfmpeg([
    '-y',
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    'aevalsrc=0.5*sin(2*PI*1000*t):s=48000:d=3',
    '-c:a',
    'pcm_s16le',
    '-f',
    'wav',
    tone,
  ]);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A project whose root (2 s unless `duration`) holds `body`; TONE / TWO_TONES name the shared files (outside the project). */
async function composition(body: string, duration = 2, files: Record<string, string> = {}): Promise<Composition> {
  const p = path.join(dir, `p${n++}`);
  await mkdir(p, { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(p, name), text.replaceAll('TONE', path.relative(p, tone)));
  const html = body.replaceAll('TWO_TONES', path.relative(p, twoTones)).replaceAll('TONE', path.relative(p, tone));
  await writeFile(
    path.join(p, 'index.html'),
    `<!doctype html><html><body><div id="root" data-composition-id="main" data-width="64" data-height="64" data-duration="${duration}">${html}</div></body></html>`,
  );
  return parseComposition(p, { allowOutsideProject: true });
}

/** Mixes a composition's audio as the render does (buses included) and decodes it to mono samples. */
async function mix(c: Composition, duration = c.duration): Promise<Float32Array | null> {
  const groups = c.audioGroups ?? [];
  const hidden = new Set(groups.filter((g) => g.hidden).map((g) => g.key));
  const tracks = await audioTracksFromMedia(c.media, async () => true, hidden);
  const out = path.join(dir, `mix${n++}.m4a`);
  const result = await mixAudio(tracks, { duration, codec: 'aac', outFile: out, buses: groups.filter((g) => !g.hidden) });
  return result ? decodeMono(out) : null;
}

/** RMS over [from, to) seconds. */
const level = rms;

/** Amplitude of the `hz` component over [from, to) seconds (Goertzel, i.e. one DFT bin). */
function amplitudeAt(s: Float32Array, hz: number, from: number, to: number): number {
  const a = Math.round(from * ANALYSIS_RATE);
  const b = Math.round(to * ANALYSIS_RATE);
  let re = 0;
  let im = 0;
  for (let i = a; i < b; i++) {
    const phase = (2 * Math.PI * hz * i) / ANALYSIS_RATE;
    re += s[i]! * Math.cos(phase);
    im += s[i]! * Math.sin(phase);
  }
  return (2 * Math.hypot(re, im)) / (b - a);
}

const chain = (...nodes: object[]) => `data-fx-chain='${JSON.stringify({ version: 1, nodes })}'`;
const lane = (target: string, points: object[]) => `data-automation='${JSON.stringify({ version: 1, lanes: [{ target, points }] })}'`;
const dB = (ratio: number) => 20 * Math.log10(ratio);

describe('data-automation volume lane', () => {
  it('ramps the gain 0 → 1 over clip-local seconds and replaces data-volume', async () => {
    // The clip starts at 0.5 s: the lane's t=0 is the clip's first sample, not the composition's.
    const c = await composition(
      `<audio id="a" src="TONE" data-start="0.5" data-duration="2" data-volume="0.1" ${lane('volume', [
        { t: 0, v: 0 },
        { t: 2, v: 1 },
      ])}></audio>`,
      2.5,
    );
    const s = (await mix(c))!;
    const full = 0.5 / Math.SQRT2;
    expect(level(s, 0, 0.45)).toBeLessThan(1e-3);
    // Gain at the window's centre: (t − 0.5) / 2.
    for (const centre of [0.75, 1.5, 2.25]) {
      const expected = full * ((centre - 0.5) / 2);
      expect(level(s, centre - 0.05, centre + 0.05), `RMS around ${centre} s`).toBeCloseTo(expected, 2);
    }
  });

  it('bends a segment by its curve: curve 1 stays low, then rises late (progress⁴)', async () => {
    const c = await composition(
      `<audio id="a" src="TONE" data-duration="2" ${lane('volume', [
        { t: 0, v: 0, curve: 1 },
        { t: 2, v: 1 },
      ])}></audio>`,
    );
    const s = (await mix(c))!;
    const full = 0.5 / Math.SQRT2;
    expect(level(s, 0.95, 1.05) / full).toBeCloseTo(0.5 ** 4, 1);
    expect(level(s, 1.9, 2) / full).toBeGreaterThan(0.8);
  });

  it('warns about lanes on effect parameters (HyperFrames documents them; the mix keeps the static value)', async () => {
    const c = await composition(
      `<audio id="a" src="TONE" data-duration="1" ${chain({ type: 'lowpass', id: 'n1' })} ${lane('fx.n1.frequency', [
        { t: 0, v: 200 },
        { t: 1, v: 8000 },
      ])}></audio>`,
    );
    expect(c.media[0]!.audio?.unsupported).toEqual([
      expect.stringContaining('audio#a: the data-automation lane "fx.n1.frequency" is not supported'),
    ]);
  });
});

describe('data-fx-chain', () => {
  it('low-pass 800 Hz keeps 200 Hz and takes 5 kHz down by more than 30 dB; high-pass 2 kHz the reverse', async () => {
    const dry = (await mix(await composition(`<audio id="a" src="TWO_TONES" data-duration="2"></audio>`)))!;
    const low = (await mix(
      await composition(
        `<audio id="a" src="TWO_TONES" data-duration="2" ${chain({ type: 'lowpass', params: { frequency: 800 } })}></audio>`,
      ),
    ))!;
    const high = (await mix(
      await composition(
        `<audio id="a" src="TWO_TONES" data-duration="2" ${chain({ type: 'highpass', params: { frequency: 2000, poles: '2' } })}></audio>`,
      ),
    ))!;
    const at = (s: Float32Array, hz: number) => amplitudeAt(s, hz, 0.5, 1.5);
    expect(at(dry, 200)).toBeCloseTo(0.25, 2);
    expect(at(dry, 5000)).toBeCloseTo(0.25, 2);
    expect(Math.abs(dB(at(low, 200) / at(dry, 200)))).toBeLessThan(1);
    expect(dB(at(low, 5000) / at(dry, 5000))).toBeLessThan(-30);
    expect(Math.abs(dB(at(high, 5000) / at(dry, 5000)))).toBeLessThan(1);
    expect(dB(at(high, 200) / at(dry, 200))).toBeLessThan(-30);
  });

  it('every effect framesmith reproduces runs in ffmpeg, at its defaults and at the ends of its ranges', async () => {
    const types = [
      'gain',
      'peaking',
      'lowshelf',
      'highshelf',
      'highpass',
      'lowpass',
      'compressor',
      'limiter',
      'gate',
      'saturate',
      'bitcrush',
      'pitchshift',
      'delay',
      'chorus',
      'phaser',
    ];
    const { AUDIO_FX_PARAMS } = await import('../../src/composition/audio-fx-params.js');
    const extreme = (end: 'min' | 'max') =>
      types.map((type) => ({
        type,
        params: Object.fromEntries(
          Object.entries(AUDIO_FX_PARAMS[type]!).map(([k, d]) => [k, d.kind === 'number' ? d[end] : d.options[d.options.length - 1]]),
        ),
      }));
    for (const nodes of [
      types.map((type) => ({ type, params: type === 'pitchshift' ? { semitones: 3, mix: 0.5 } : {} })),
      extreme('min'),
      extreme('max'),
    ]) {
      const s = await mix(await composition(`<audio id="a" src="TONE" data-duration="1" ${chain(...nodes)}></audio>`, 1));
      expect(s, JSON.stringify(nodes)).not.toBeNull();
      expect(Math.abs(s!.length - 48_000)).toBeLessThanOrEqual(1024);
      expect(s!.every(Number.isFinite)).toBe(true);
    }
  });

  it('gain −6 dB halves the level; a disabled node is skipped', async () => {
    const s = (await mix(
      await composition(
        `<audio id="a" src="TONE" data-duration="2" ${chain({ type: 'gain', params: { gain: -6.0206 } }, { type: 'gain', enabled: false, params: { gain: -40 } })}></audio>`,
      ),
    ))!;
    expect(level(s, 0.5, 1.5)).toBeCloseTo(0.25 / Math.SQRT2, 2);
  });

  it('a delay repeats a beep every `time` ms at mix·feedback^k, ringing on past the clip end', async () => {
    await makeBeepFile(dir, 'beep.wav', { duration: 1, beeps: [{ at: 0.1, length: 0.05 }], amplitude: 0.8 });
    const c = await composition(
      `<audio id="a" src="../beep.wav" data-duration="0.5" ${chain({ type: 'delay', params: { time: 300, feedback: 0.5, mix: 0.5 } })}></audio>`,
      1.5,
    );
    const s = (await mix(c))!;
    // Dry at 0.1 (×(1 − mix) = 0.4), echo k at 0.1 + 0.3k (×mix·feedback^(k−1): 0.4, 0.2, 0.1, 0.05…);
    // those at 0.7 s and later ring on after the clip's 0.5 s end. Above 0.07: the first four.
    const bursts = findBursts(s, 0.07);
    expect(bursts.map((b) => Math.round(b.start * 100) / 100)).toEqual([0.1, 0.4, 0.7, 1.0]);
    const peak = (t: number) => level(s, t + 0.01, t + 0.04) * Math.SQRT2;
    expect(peak(0.1)).toBeCloseTo(0.4, 1);
    expect(peak(0.7) / peak(0.4)).toBeCloseTo(0.5, 1);
  });

  it('an effect framesmith does not reproduce (reverb) is skipped with a warning naming it and the element', async () => {
    const c = await composition(
      `<audio id="a" src="TONE" data-duration="1" ${chain({ type: 'reverb' }, { type: 'gain', params: { gain: -6.0206 } })}></audio>`,
      1,
    );
    const warnings: RenderWarning[] = [];
    const stage = audioStage();
    const ctx = {
      composition: c,
      format: 'mp4',
      signal: new AbortController().signal,
      warn: (w: RenderWarning) => warnings.push(w),
    } as unknown as StageContext;
    await stage.prepare!(ctx);
    expect(warnings).toEqual([
      expect.objectContaining({
        code: 'audio_unsupported',
        message: expect.stringMatching(
          /audio#a: the "reverb" effect of its data-fx-chain is not supported by framesmith; the track is mixed without it/,
        ),
      }),
    ]);
    // The rest of the chain still applies.
    const s = (await mix(c))!;
    expect(level(s, 0.25, 0.75)).toBeCloseTo(0.25 / Math.SQRT2, 2);
  });

  it('refuses an effect type nobody knows, and malformed JSON, naming the element and the fix', async () => {
    const unknown = await composition(`<audio id="a" src="TONE" ${chain({ type: 'flanger' })}></audio>`).then(
      () => null,
      (e: unknown) => e,
    );
    expect(unknown).toBeInstanceOf(CompositionError);
    expect(unknown).toMatchObject({
      code: 'invalid_audio',
      fields: { element: 'audio#a' },
      message: expect.stringMatching(
        /audio#a in .*index\.html: data-fx-chain node 0 has unknown effect type "flanger": use one of gain, peaking/,
      ),
    });
    const broken = await composition(`<audio id="a" src="TONE" data-automation='{"version":1,'></audio>`).then(
      () => null,
      (e: unknown) => e,
    );
    expect(broken).toMatchObject({ code: 'invalid_audio', message: expect.stringContaining('data-automation is not valid JSON') });
  });
});

describe('data-audio-group', () => {
  // Two 0.5 tones at data-volume 0.5: 0.5 peak together.
  const members = `<audio id="m1" src="TONE" data-duration="2" data-volume="0.5" data-audio-group="bus"></audio><audio id="m2" src="TONE" data-duration="2" data-volume="0.5" data-audio-group="bus"></audio>`;

  it("sums its members at unity, then applies the group element's fx chain, volume lane and data-volume", async () => {
    const plain = (await mix(await composition(members)))!;
    expect(level(plain, 0.5, 1.5)).toBeCloseTo(0.5 / Math.SQRT2, 2);
    const group = `<hf-audio-group id="bus" data-volume="0.5" ${chain({ type: 'gain', params: { gain: -6.0206 } })} ${lane('volume', [
      { t: 0, v: 1 },
      { t: 1, v: 1 },
      { t: 2, v: 0 },
    ])}></hf-audio-group>`;
    const s = (await mix(await composition(group + members)))!;
    // 0.5 peak × 0.5 (gain) × 0.5 (data-volume) × lane (1 until 1 s, then down to 0 at 2 s).
    expect(level(s, 0.4, 0.6)).toBeCloseTo(0.125 / Math.SQRT2, 2);
    expect(level(s, 1.45, 1.55)).toBeCloseTo(0.0625 / Math.SQRT2, 2);
  });

  it('scopes a group id to its composition: a sub-composition\'s "bus" is not the root\'s', async () => {
    // The root's bus is hidden; the sub-composition (mounted twice) declares its own "bus" at 0.5.
    const sub = `<template><div data-composition-id="s" data-width="64" data-height="64"><hf-audio-group id="bus" data-volume="0.5"></hf-audio-group><audio id="m" src="TONE" data-duration="2" data-volume="0.5" data-audio-group="bus"></audio></div></template>`;
    const c = await composition(
      `<hf-audio-group id="bus" data-hidden></hf-audio-group>${members}<div id="h1" data-composition-src="sub.html" data-start="0" data-duration="2"></div><div id="h2" data-composition-src="sub.html" data-start="0" data-duration="2"></div>`,
      2,
      { 'sub.html': sub },
    );
    expect(c.audioGroups?.map((g) => [g.id, g.hidden, g.volume])).toEqual([
      ['bus', true, 1],
      ['bus', false, 0.5],
      ['bus', false, 0.5],
    ]);
    const s = (await mix(c))!;
    // Two instances, each 0.5 × 0.5 × 0.5 peak; the root's members are not heard.
    expect(level(s, 0.5, 1.5)).toBeCloseTo(0.25 / Math.SQRT2, 2);
  });

  it('drops every member of a data-hidden group from the mix', async () => {
    const c = await composition(
      `<hf-audio-group id="bus" data-hidden></hf-audio-group>${members}<audio id="other" src="TONE" data-duration="2" data-volume="0.2"></audio>`,
    );
    const s = (await mix(c))!;
    expect(level(s, 0.5, 1.5)).toBeCloseTo(0.1 / Math.SQRT2, 2);
  });
});

describe('in a render', () => {
  it("the MP4's sound carries the chain, the unsupported effect is a render warning, and --strict refuses it writing nothing", async () => {
    // A group element has no box (as in HyperFrames): the red square is first in its flex row, at x 0.
    const row =
      '<div style="position:absolute;left:0;top:0;display:flex;gap:20px"><hf-audio-group id="bus"></hf-audio-group><div style="width:16px;height:16px;background:#f00"></div></div>';
    const c = await composition(
      `${row}<audio id="a" src="TWO_TONES" data-duration="1" ${chain({ type: 'reverb' }, { type: 'lowpass', params: { frequency: 800 } })}></audio>`,
      1,
    );
    const project = c.rootDir;
    const output = path.join(project, 'out.mp4');
    const result = await render(project, { output, workers: 1, allowOutsideProject: true });
    expect(result.warnings).toEqual([
      expect.objectContaining({ code: 'audio_unsupported', message: expect.stringContaining('audio#a: the "reverb" effect') }),
    ]);
    const [r, g] = pixel(await decodeFrames(output, { width: 64, height: 64 }), 0, 4, 8);
    expect(r).toBeGreaterThan(200);
    expect(g).toBeLessThan(60);
    const s = await decodeMono(output);
    expect(amplitudeAt(s, 200, 0.2, 0.8)).toBeCloseTo(0.25, 1);
    expect(dB(amplitudeAt(s, 5000, 0.2, 0.8) / 0.25)).toBeLessThan(-30);
    const before = await readdir(project);
    const error = await render(project, {
      output: path.join(project, 'strict.mp4'),
      workers: 1,
      strict: true,
      allowOutsideProject: true,
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RenderError);
    expect(error).toMatchObject({ code: 'strict', message: expect.stringContaining('"reverb"') });
    expect(await readdir(project)).toEqual(before);
  }, 120_000);
});
