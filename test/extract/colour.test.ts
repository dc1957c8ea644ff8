/**
 * Colour transforms in the extraction pass (src/extract/colour.ts), proven on generated media by pixel
 * values: SDR → PQ/HLG code values against the BT.2100 / BT.2408 formulas, HDR → SDR tone mapping that
 * keeps contrast and saturation, frame indices still exact through every chain, and no sharing of
 * frames between renders with different colour targets (dedupe, outDir and cache).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { extractVideos } from '../../src/extract/extract.js';
import type { ColorTarget, ExtractOptions, VideoRequest } from '../../src/extract/types.js';
import { probeMedia } from '../../src/media/probe.js';
import { runFfmpeg, startFfmpeg } from '../../src/media/tools.js';
import {
  decodeIndexFromGray,
  expectedSourceFrame,
  makeIndexedVideo,
  readImageSequenceIndices,
  readRgba,
  type IndexedVideo,
} from '../helpers/frame-media.js';

let dir: string;
let sdrIndexed: IndexedVideo;
let pqIndexed: string;
let sdrBars: string;
let pqBars: string;
let hlgBars: string;

const BAR = 64;
/** Bar order of the colour-bar sources, left to right. */
const BARS = ['black', 'white', 'red', '0x808080'] as const;

/** A 4-bar (black, white, red, mid grey) 1 s clip built in RGB, so every bar is an exact sRGB value. */
function barsGraph(): string {
  const inputs = BARS.map((c, i) => `color=c=${c}:s=${BAR}x${BAR}:r=30:d=1[b${i}]`).join(';');
  return `${inputs};[b0][b1][b2][b3]hstack=inputs=4,format=gbrp`;
}

/** Encodes the RGB bars as 10-bit H.264 in `transfer` (BT.2408: SDR white at 203 cd/m²), tagged. */
async function makeBars(file: string, transfer: 'bt709' | 'pq' | 'hlg'): Promise<string> {
  const t = transfer === 'pq' ? 'smpte2084' : transfer === 'hlg' ? 'arib-std-b67' : 'bt709';
  const p = transfer === 'bt709' ? 'bt709' : 'bt2020';
  const m = transfer === 'bt709' ? 'bt709' : 'bt2020nc';
  const convert = `zscale=tin=bt709:pin=bt709:min=gbr:rin=pc:t=${t}:p=${p}:m=${m}:r=tv:npl=203,format=yuv420p10le`;
  await runFfmpeg(
    [
      '-y',
      '-loglevel',
      'error',
      '-filter_complex',
      `${barsGraph()},${convert}`,
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-qp',
      '4',
      '-pix_fmt',
      'yuv420p10le',
      '-color_trc',
      t,
      '-color_primaries',
      p,
      '-colorspace',
      m,
      file,
    ],
    { timeoutMs: 120_000 },
  );
  return file;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fs-colour-'));
  sdrIndexed = await makeIndexedVideo(path.join(dir, 'sdr.mp4'), { width: 160, height: 96, fps: 30, frames: 30, codec: 'h264' });
  // The same index pattern carried as a real PQ signal (not just relabelled): white cells at 203 cd/m².
  pqIndexed = path.join(dir, 'pq-indexed.mp4');
  await runFfmpeg(
    [
      '-y',
      '-loglevel',
      'error',
      '-i',
      sdrIndexed.path,
      '-vf',
      'zscale=tin=bt709:pin=bt709:min=bt709:rin=tv:t=smpte2084:p=bt2020:m=bt2020nc:r=tv:npl=203,format=yuv420p10le',
      '-fps_mode',
      'passthrough',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-pix_fmt',
      'yuv420p10le',
      '-color_trc',
      'smpte2084',
      '-color_primaries',
      'bt2020',
      '-colorspace',
      'bt2020nc',
      pqIndexed,
    ],
    { timeoutMs: 120_000 },
  );
  [sdrBars, pqBars, hlgBars] = await Promise.all([
    makeBars(path.join(dir, 'bars-sdr.mp4'), 'bt709'),
    makeBars(path.join(dir, 'bars-pq.mp4'), 'pq'),
    makeBars(path.join(dir, 'bars-hlg.mp4'), 'hlg'),
  ]);
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const out = (name: string) => path.join(dir, 'out', name);

async function extractOne(video: VideoRequest, options: Partial<ExtractOptions> & { outDir: string }) {
  const result = await extractVideos([video], { fps: 30, cache: false, ...options });
  expect(result.errors).toEqual([]);
  return result.extracted[0]!;
}

/** RGB at the centre of bar `index` of a bars frame (256x64). */
async function barRgb(image: string, index: number): Promise<[number, number, number]> {
  const rgba = await readRgba(image, BAR * 4, BAR);
  const o = ((BAR / 2) * BAR * 4 + index * BAR + BAR / 2) * 4;
  return [rgba[o]!, rgba[o + 1]!, rgba[o + 2]!];
}

// ---- Reference formulas (ITU-R BT.2100, BT.1886, BT.2408), independent of ffmpeg ----

/** SMPTE ST 2084 inverse EOTF: cd/m² → PQ signal 0–1. */
function pqSignal(nits: number): number {
  const m1 = 2610 / 16384,
    m2 = (2523 / 4096) * 128,
    c1 = 3424 / 4096,
    c2 = (2413 / 4096) * 32,
    c3 = (2392 / 4096) * 32;
  const y = (nits / 10000) ** m1;
  return ((c1 + c2 * y) / (1 + c3 * y)) ** m2;
}

/** HLG signal of an achromatic display luminance on the 1000 cd/m² reference display (inverse OOTF, γ 1.2, then OETF). */
function hlgSignal(nits: number): number {
  const scene = (nits / 1000) ** (1 / 1.2);
  const a = 0.17883277,
    b = 1 - 4 * a,
    c = 0.5 - a * Math.log(4 * a);
  return scene <= 1 / 12 ? Math.sqrt(3 * scene) : a * Math.log(12 * scene - b) + c;
}

/** BT.1886 EOTF (γ 2.4) of an 8-bit SDR code, relative to white. */
const sdrLinear = (code: number) => (code / 255) ** 2.4;

describe('sources', () => {
  it('the generated PQ and HLG sources probe as HDR, the SDR ones do not', async () => {
    expect(await probeMedia(pqBars)).toMatchObject({ hdr: 'pq', colorPrimaries: 'bt2020', colorSpace: 'bt2020nc' });
    expect(await probeMedia(hlgBars)).toMatchObject({ hdr: 'hlg', colorPrimaries: 'bt2020', colorSpace: 'bt2020nc' });
    expect(await probeMedia(pqIndexed)).toMatchObject({ hdr: 'pq' });
    expect(await probeMedia(sdrBars)).toMatchObject({ hdr: null, colorSpace: 'bt709' });
    expect(await probeMedia(sdrIndexed.path)).toMatchObject({ hdr: null, colorTransfer: null });
  });
});

describe('SDR source in an HDR render', () => {
  it.each([
    { target: 'pq' as const, signal: pqSignal },
    { target: 'hlg' as const, signal: hlgSignal },
  ])("$target: black, SDR white (203 cd/m²) and mid grey land on the transfer's code values", async ({ target, signal }) => {
    const v = await extractOne(
      { id: 'b', src: sdrBars, duration: 0.1 },
      { format: 'png', colorTarget: target, outDir: out(`sdr-${target}`) },
    );
    const [black, white, , grey] = await Promise.all([0, 1, 2, 3].map((i) => barRgb(v.frames[0]!, i)));
    const code = (nits: number) => Math.round(signal(nits) * 255);
    // PQ white 148, grey 106; HLG white 191 (BT.2408's 75%), grey 114. ±3 absorbs 10-bit H.264 coding.
    for (const ch of white!) expect(Math.abs(ch - code(203))).toBeLessThanOrEqual(3);
    for (const ch of grey!) expect(Math.abs(ch - code(203 * sdrLinear(128)))).toBeLessThanOrEqual(3);
    for (const ch of black!) expect(ch).toBeLessThanOrEqual(3);
  });

  it('pq: saturated BT.709 red is re-expressed in BT.2020 primaries (not just re-encoded)', async () => {
    const v = await extractOne({ id: 'r', src: sdrBars, duration: 0.1 }, { format: 'png', colorTarget: 'pq', outDir: out('sdr-pq-red') });
    const red = await barRgb(v.frames[0]!, 2);
    // BT.709 red in BT.2020 linear RGB is (0.6274, 0.0691, 0.0164) (BT.2087 matrix), times 203 cd/m².
    const expected = [0.6274, 0.0691, 0.0164].map((l) => Math.round(pqSignal(203 * l) * 255));
    for (const [i, ch] of red.entries()) expect(Math.abs(ch - expected[i]!)).toBeLessThanOrEqual(4);
  });

  it.each([
    { target: 'pq' as const, white: pqSignal(203) },
    { target: 'hlg' as const, white: hlgSignal(203) },
  ])('$target: frames stay exact; the index pattern reads back once white is stretched to full scale', async ({ target, white }) => {
    const v = await extractOne(
      { id: 'i', src: sdrIndexed.path, mediaStart: 0.3, duration: 0.3 },
      { format: 'jpg', colorTarget: target, outDir: out(`idx-${target}`) },
    );
    expect(await readStretchedIndices(v.outputDir, 'jpg', 1 / white)).toEqual(Array.from({ length: 9 }, (_, k) => 9 + k));
    // Unstretched, HDR-encoded white is grey to an SDR reader: the frames really carry the HDR signal.
    await expect(readImageSequenceIndices(v.outputDir, 'jpg')).rejects.toThrow(/grey/);
  });
});

describe('alpha through the colour chain', () => {
  it('VP9 with alpha → PQ: the PNG keeps the alpha plane (black cells half transparent, white opaque)', async () => {
    const alpha = await makeIndexedVideo(path.join(dir, 'alpha.webm'), { width: 160, height: 96, fps: 30, frames: 10, codec: 'vp9-alpha' });
    const v = await extractOne(
      { id: 'a', src: alpha.path, mediaStart: 0.2, duration: 0.1 },
      { colorTarget: 'pq', outDir: out('alpha-pq') },
    );
    expect(v.format).toBe('png');
    // Frame 6: bits 1 and 2 set, so cell 0 is black (alpha ~128) and cell 1 white (alpha 255).
    const rgba = await readRgba(v.frames[0]!, 160, 96);
    const at = (x: number, y: number) => rgba.subarray((y * 160 + x) * 4, (y * 160 + x) * 4 + 4);
    expect(Math.abs(at(20, 12)[3]! - 128)).toBeLessThan(30);
    expect(at(60, 12)[3]).toBe(255);
    // The colour itself was converted: opaque white is PQ's 203 cd/m² code, not 255.
    expect(Math.abs(at(60, 12)[1]! - Math.round(pqSignal(203) * 255))).toBeLessThanOrEqual(4);
  });
});

describe('RGB-coded source', () => {
  it('QuickTime RLE (argb, no YUV matrix) → HLG: decoded as RGB, alpha kept', async () => {
    const mov = path.join(dir, 'argb.mov');
    await runFfmpeg([
      '-y',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      'color=c=white@0.5:s=64x64:r=30:d=0.2,format=argb',
      '-c:v',
      'qtrle',
      mov,
    ]);
    const v = await extractOne({ id: 'q', src: mov }, { colorTarget: 'hlg', outDir: out('argb-hlg') });
    const pixel = (await readRgba(v.frames[0]!, 64, 64)).subarray(0, 4);
    for (const ch of pixel.subarray(0, 3)) expect(Math.abs(ch - Math.round(hlgSignal(203) * 255))).toBeLessThanOrEqual(2);
    expect(Math.abs(pixel[3]! - 128)).toBeLessThan(4);
  });
});

describe('HDR source in an SDR render: tone-mapped, not washed out', () => {
  it.each([
    { name: 'pq', src: () => pqBars },
    { name: 'hlg', src: () => hlgBars },
  ])(
    '$name bars keep black, near-white white, saturated red and mid grey; a naive decode is grey and desaturated',
    async ({ name, src }) => {
      const mapped = await extractOne(
        { id: 'm', src: src(), duration: 0.1 },
        { format: 'png', colorTarget: 'sdr', outDir: out(`tm-${name}`) },
      );
      const [black, white, red, grey] = await Promise.all([0, 1, 2, 3].map((i) => barRgb(mapped.frames[0]!, i)));
      for (const ch of black!) expect(ch).toBeLessThan(10);
      // Reference white comes back at 229/255 (mobius knee 0.5, peak 1000 cd/m²).
      for (const ch of white!) expect(ch).toBeGreaterThan(215);
      expect(red![0]).toBeGreaterThan(215);
      expect(Math.max(red![1], red![2])).toBeLessThan(25);
      // Mid tones below the knee pass unchanged: SDR 128 → HDR → SDR 128.
      for (const ch of grey!) expect(Math.abs(ch - 128)).toBeLessThanOrEqual(5);

      // The naive decode: the same HDR signal read as if it were SDR (plain ffmpeg RGB conversion).
      const naive = path.join(dir, `naive-${name}.png`);
      await runFfmpeg(['-y', '-loglevel', 'error', '-i', src(), '-frames:v', '1', '-pix_fmt', 'rgb24', naive]);
      const [nBlack, nWhite, nRed] = await Promise.all([0, 1, 2].map((i) => barRgb(naive, i)));
      expect(nWhite![1] - nBlack![1]).toBeLessThan(200);
      expect(white![1] - black![1]).toBeGreaterThan(nWhite![1] - nBlack![1] + 30);
      expect(nRed![1]).toBeGreaterThan(40);
    },
  );

  it('pq: frames stay exact through the tone-mapping chain', async () => {
    const v = await extractOne(
      { id: 'x', src: pqIndexed, mediaStart: 0.25, duration: 0.4, playbackRate: 1.5 },
      { colorTarget: 'sdr', outDir: out('pq-exact') },
    );
    // The PQ copy was re-encoded frame for frame, so the SDR source's timestamps are its own.
    const expected = Array.from({ length: 12 }, (_, k) => expectedSourceFrame(sdrIndexed.pts, 0.25 + (k * 1.5) / 30));
    expect(await readImageSequenceIndices(v.outputDir, 'jpg')).toEqual(expected);
  });
});

describe('no sharing across colour targets', () => {
  const trim = { id: 'v', src: '', mediaStart: 0.2, duration: 0.3 };
  const bytes = (files: string[]) => Promise.all(files.map((f) => readFile(f)));

  it.each([{ cache: 'shared cache' }, { cache: 'no cache' }])(
    'PQ then SDR of one trim ($cache): the SDR frames equal an SDR-only run byte for byte',
    async ({ cache }) => {
      const video = { ...trim, src: sdrIndexed.path };
      const tag = cache === 'no cache' ? 'nocache' : 'cache';
      const shared: Partial<ExtractOptions> = {
        outDir: out(`poison-${tag}`),
        cache: cache === 'no cache' ? false : path.join(dir, `cache-${tag}`),
      };
      const asPq = await extractOne(video, { ...shared, outDir: shared.outDir!, colorTarget: 'pq' });
      const asSdr = await extractOne(video, { ...shared, outDir: shared.outDir!, colorTarget: 'sdr' });
      const fresh = await extractOne(video, {
        outDir: out(`fresh-${tag}`),
        cache: cache === 'no cache' ? false : path.join(dir, `cache-fresh-${tag}`),
        colorTarget: 'sdr',
      });
      expect(asSdr.outputDir).not.toBe(asPq.outputDir);
      expect(asSdr.frames).toHaveLength(9);
      const [pqBytes, sdrBytes, freshBytes] = await Promise.all([bytes(asPq.frames), bytes(asSdr.frames), bytes(fresh.frames)]);
      sdrBytes.forEach((b, i) => {
        expect(b.equals(freshBytes[i]!)).toBe(true);
        expect(b.equals(pqBytes[i]!)).toBe(false);
      });
      // And the SDR frames are still the right frames.
      expect(await readImageSequenceIndices(asSdr.outputDir, 'jpg')).toEqual(Array.from({ length: 9 }, (_, k) => 6 + k));
    },
  );

  it('one render, two colour targets of one trim are two passes (the transform is a dedupe key field)', async () => {
    const video = { ...trim, src: sdrIndexed.path };
    const outDir = out('two-targets');
    const targets: ColorTarget[] = ['sdr', 'pq', 'hlg'];
    const runs = await Promise.all(targets.map((colorTarget) => extractOne(video, { outDir, colorTarget })));
    expect(new Set(runs.map((r) => r.outputDir)).size).toBe(3);
  });
});

/**
 * Reads the frame indices of an image sequence after multiplying every channel by `gain` (clipped), so
 * an HDR-encoded white (e.g. PQ 0.58) reads as white again; the decode is the helpers' 64x64 grey grid.
 */
async function readStretchedIndices(seqDir: string, ext: string, gain: number): Promise<number[]> {
  const proc = await startFfmpeg(
    [
      '-loglevel',
      'error',
      '-f',
      'image2',
      '-start_number',
      '0',
      '-i',
      path.join(seqDir, `%06d.${ext}`),
      '-vf',
      `scale=64:64:flags=area,format=gray,lut=y=val*${gain.toFixed(4)}`,
      '-f',
      'rawvideo',
      'pipe:1',
    ],
    { stdout: 'pipe', timeoutMs: 60_000 },
  );
  const chunks: Buffer[] = [];
  proc.stdout!.on('data', (c: Buffer) => chunks.push(c));
  await proc.done;
  const all = Buffer.concat(chunks);
  const frame = 64 * 64;
  return Array.from({ length: all.length / frame }, (_, i) =>
    decodeIndexFromGray(all.subarray(i * frame, (i + 1) * frame), `${seqDir} #${i}`),
  );
}
