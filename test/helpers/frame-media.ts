/**
 * Test and bench media whose every frame identifies itself in its pixels.
 *
 * Pattern: the frame is divided into a 4x4 grid of equal cells (row-major, cell 0 top-left). Cell i
 * (i < 15) is white when bit i of the frame number n is 1, black otherwise; cell 15 is white when the
 * number of set bits among cells 0..14 is odd (a parity check, so a blended or mis-scaled frame reads as
 * "unreadable" rather than as a wrong number). Frame numbers therefore go up to 32767.
 *
 * The background is black (opaque) or, for `vp9-alpha`, black at alpha 0.5 with the white cells opaque,
 * so a decoder that keeps alpha gives alpha ~128 in black cells and 255 in white ones.
 *
 * Reading never depends on the image size: the image (or a region of it) is scaled to 64x64 grey with
 * an area filter and each cell's central 8x8 pixels are averaged.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { runFfprobe, startFfmpeg } from '../../src/media/tools.js';
import { parseRational, toNumber } from '../../src/media/rational.js';
import { ffmpegOnce, jsonOnce, mediaKey } from './media-store.js';

export const GRID = 4;
export const DATA_BITS = 15;
export const MAX_FRAME_INDEX = 2 ** DATA_BITS - 1;

export type TestCodec = 'h264' | 'vp9' | 'vp9-alpha' | 'vp9-opaque';

export interface IndexedVideoOptions {
  width: number;
  height: number;
  /** Frame rate of the generated stream (for `vfr: 'pattern'` the base tick rate, see below). */
  fps: number | string;
  /** Number of frames. */
  frames: number;
  codec: TestCodec;
  /** Keyframe interval (`-g`). Default: the encoder's default. Use 250 for sparse keyframes. */
  gop?: number;
  /**
   * `'pattern'`: variable frame rate. Frame durations repeat 1, 2, 3 ticks of 1/(2*fps) s, so with
   * fps 30 frames last 1/60, 2/60, 3/60 s in turn. Encoded with `-fps_mode passthrough`.
   */
  vfr?: 'pattern';
  /** Presentation timestamp of the first frame in the file, seconds (e.g. 1.4). Default 0. */
  startTime?: number;
  /** Add a sine audio track as long as the video. */
  audio?: boolean;
  /** Override the encoded pixel format (default yuv420p, or yuva420p for vp9-alpha). */
  pixFmt?: string;
  /** Tag the stream as HDR BT.2020 with this transfer (the pixels are not converted, only labelled). */
  hdr?: 'pq' | 'hlg';
}

export interface IndexedVideo {
  path: string;
  /**
   * Media time of source frame n (its presentation timestamp minus the first frame's), seconds, read
   * back with ffprobe from the written file — the truth the player sees, not what was intended.
   */
  pts: number[];
  /** Presentation timestamp of the first frame in the file (stream start), seconds. */
  streamStart: number;
}

function bitExpr(i: number): string {
  return `mod(floor(n/${2 ** i}),2)`;
}

/** The drawbox chain that paints frame number n into the grid. */
function patternFilters(width: number, height: number, alpha: boolean): string[] {
  const filters: string[] = [];
  const cellW = width / GRID;
  const cellH = height / GRID;
  const cell = (i: number, enable: string) => {
    const col = i % GRID;
    const row = Math.floor(i / GRID);
    const x = Math.round(col * cellW);
    const y = Math.round(row * cellH);
    const w = Math.round((col + 1) * cellW) - x;
    const h = Math.round((row + 1) * cellH) - y;
    // replace=1 writes the box's alpha instead of blending, so white cells are fully opaque.
    filters.push(`drawbox=x=${x}:y=${y}:w=${w}:h=${h}:color=white@1:t=fill${alpha ? ':replace=1' : ''}:enable='${enable}'`);
  };
  for (let i = 0; i < DATA_BITS; i++) cell(i, `eq(${bitExpr(i)},1)`);
  const sum = Array.from({ length: DATA_BITS }, (_, i) => bitExpr(i)).join('+');
  cell(DATA_BITS, `eq(mod(${sum},2),1)`);
  return filters;
}

/**
 * Writes a video whose frame n shows n (see the file comment) and returns the media time of every
 * frame as ffprobe reads it back. The container is MP4 for h264 and WebM for vp9.
 */
export async function makeIndexedVideo(file: string, options: IndexedVideoOptions): Promise<IndexedVideo> {
  const { width, height, frames, codec } = options;
  if (frames > MAX_FRAME_INDEX + 1) throw new RangeError(`at most ${MAX_FRAME_INDEX + 1} frames`);
  await mkdir(path.dirname(file), { recursive: true });
  const alpha = codec === 'vp9-alpha';
  const fps = String(options.fps);
  const chain = [`color=c=black${alpha ? '@0.5' : ''}:s=${width}x${height}:r=${fps}`];
  chain.push(`format=${alpha ? 'yuva420p' : 'yuv420p'}`);
  chain.push(...patternFilters(width, height, alpha));
  chain.push(`trim=end_frame=${frames}`);
  if (options.vfr === 'pattern') {
    // Durations 1, 2, 3 ticks of 1/(2*fps): frame N starts at 6*floor(N/3) + {0, 1, 3}[N mod 3] ticks.
    // The source's time base is 1/fps, too coarse for half-frame ticks: switch to microseconds first.
    chain.push('settb=AVTB');
    chain.push(`setpts='(floor(N/3)*6+eq(mod(N,3),1)*1+eq(mod(N,3),2)*3)/((${fps})*2*TB)'`);
  }
  const args = ['-y', '-loglevel', 'error', '-f', 'lavfi', '-i', chain.join(',')];
  // The VFR pattern averages 2 ticks of 1/(2*fps) per frame, so both cases last frames/fps seconds.
  const rate = parseRational(fps);
  if (!rate) throw new RangeError(`bad fps ${fps}`);
  const approxSeconds = frames / toNumber(rate);
  if (options.audio) args.push('-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${approxSeconds.toFixed(3)}`);
  args.push('-map', '0:v');
  if (options.audio) args.push('-map', '1:a');
  if (codec === 'h264') {
    args.push('-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', options.pixFmt ?? 'yuv420p');
  } else {
    args.push(
      '-c:v',
      'libvpx-vp9',
      '-deadline',
      'realtime',
      '-cpu-used',
      '8',
      '-b:v',
      '0',
      '-crf',
      '30',
      '-pix_fmt',
      options.pixFmt ?? (alpha ? 'yuva420p' : 'yuv420p'),
    );
    // Alternate reference frames are incompatible with alpha in libvpx; keep every variant alike.
    args.push('-auto-alt-ref', '0');
  }
  if (options.gop !== undefined) args.push('-g', String(options.gop), '-keyint_min', String(Math.min(options.gop, 25)));
  if (options.vfr === 'pattern') args.push('-fps_mode', 'passthrough');
  if (codec === 'h264' && options.vfr === 'pattern') args.push('-video_track_timescale', '6000');
  if (options.hdr)
    args.push('-color_trc', options.hdr === 'pq' ? 'smpte2084' : 'arib-std-b67', '-color_primaries', 'bt2020', '-colorspace', 'bt2020nc');
  if (options.audio) args.push('-c:a', codec === 'h264' ? 'aac' : 'libopus');
  if (options.startTime) args.push('-output_ts_offset', String(options.startTime));
  await ffmpegOnce(args, file, { timeoutMs: 300_000 });
  // Read back once per content: every copy of the stored file has the same timestamps.
  const absolute = await jsonOnce(`${mediaKey(args, file)}-pts`, () => readFramePts(file));
  if (absolute.length !== frames) throw new Error(`${file}: expected ${frames} frames, ffprobe sees ${absolute.length}`);
  const streamStart = absolute[0]!;
  return { path: file, pts: absolute.map((t) => t - streamStart), streamStart };
}

/** Presentation timestamps (seconds, as stored) of the video packets of `file`, in presentation order. */
export async function readFramePts(file: string): Promise<number[]> {
  const { stdout } = await runFfprobe(
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', file],
    { timeoutMs: 60_000 },
  );
  return stdout
    .split('\n')
    .map((l) => l.trim().replace(/,$/, ''))
    .filter((l) => l && l !== 'N/A')
    .map(Number)
    .sort((a, b) => a - b);
}

/**
 * A frame counts as on screen at t when its media time is <= t + TIME_EPSILON: the engine's
 * PTS_TOLERANCE (1 ms), because WebM stores whole milliseconds (frame 2 of 30 fps is at 0.067 s).
 */
export const TIME_EPSILON = 0.001;

/** Index of the last frame whose media time is <= t + TIME_EPSILON; 0 when t precedes every frame. */
export function expectedSourceFrame(pts: readonly number[], mediaTime: number): number {
  let lo = 0;
  let hi = pts.length - 1;
  let found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (pts[mid]! <= mediaTime + TIME_EPSILON) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

const SAMPLE = 64;
const CELL = SAMPLE / GRID;

/** Thrown when pixels do not carry a readable frame number. */
export class UnreadableFrameError extends Error {
  override readonly name = 'UnreadableFrameError';
}

/**
 * Decodes a 64x64 8-bit grey buffer (as produced by `grayArgs`) into the frame number.
 * Throws `UnreadableFrameError` when a cell is neither clearly black nor clearly white, or the parity fails.
 */
export function decodeIndexFromGray(gray: Uint8Array, label = 'image'): number {
  if (gray.length < SAMPLE * SAMPLE) throw new UnreadableFrameError(`${label}: short pixel buffer (${gray.length} bytes)`);
  const bits: number[] = [];
  for (let i = 0; i < GRID * GRID; i++) {
    const col = i % GRID;
    const row = Math.floor(i / GRID);
    let sum = 0;
    const from = CELL / 4;
    const to = (CELL * 3) / 4;
    for (let y = row * CELL + from; y < row * CELL + to; y++) {
      for (let x = col * CELL + from; x < col * CELL + to; x++) sum += gray[y * SAMPLE + x]!;
    }
    const mean = sum / ((to - from) * (to - from));
    if (mean > 64 && mean < 192) throw new UnreadableFrameError(`${label}: cell ${i} is grey (${mean.toFixed(0)}), not a frame pattern`);
    bits.push(mean >= 128 ? 1 : 0);
  }
  let n = 0;
  let ones = 0;
  for (let i = 0; i < DATA_BITS; i++) {
    n += bits[i]! * 2 ** i;
    ones += bits[i]!;
  }
  if (ones % 2 !== bits[DATA_BITS]) throw new UnreadableFrameError(`${label}: parity check failed (read ${n})`);
  return n;
}

export interface Region {
  x: number;
  y: number;
  w: number;
  h: number;
}

function grayFilter(region?: Region): string {
  const crop = region ? `crop=${region.w}:${region.h}:${region.x}:${region.y},` : '';
  return `${crop}scale=${SAMPLE}:${SAMPLE}:flags=area,format=gray`;
}

/** Reads the frame number shown by an image file (jpg/png/any format ffmpeg reads). */
export async function readFrameIndex(imagePath: string): Promise<number> {
  return readFrameIndexInRegion(imagePath, undefined);
}

/**
 * Reads the frame number from a region (x, y, w, h in the image's pixels) of a larger image — e.g.
 * where a video is drawn inside a rendered frame. Without a region, the whole image.
 */
export async function readFrameIndexInRegion(imagePath: string, region: Region | undefined): Promise<number> {
  const { stdout } = await runProcessBuffer([
    '-loglevel',
    'error',
    '-i',
    imagePath,
    '-vf',
    grayFilter(region),
    '-frames:v',
    '1',
    '-f',
    'rawvideo',
    'pipe:1',
  ]);
  return decodeIndexFromGray(stdout, imagePath);
}

/**
 * Reads the frame number from raw pixels already in memory: `rgba` (4 bytes/pixel) or `rgb24`
 * (3 bytes/pixel) or `gray` of the given size, optionally only inside `region`.
 */
export function readFrameIndexFromRaw(
  pixels: Uint8Array,
  width: number,
  height: number,
  layout: 'rgba' | 'rgb24' | 'gray',
  region?: Region,
): number {
  const bpp = layout === 'rgba' ? 4 : layout === 'rgb24' ? 3 : 1;
  if (pixels.length < width * height * bpp) throw new UnreadableFrameError(`raw buffer too small for ${width}x${height} ${layout}`);
  const r = region ?? { x: 0, y: 0, w: width, h: height };
  // Area-average the region down to 64x64 grey (luma-ish: mean of channels is enough for black/white).
  const gray = new Uint8Array(SAMPLE * SAMPLE);
  for (let sy = 0; sy < SAMPLE; sy++) {
    const y0 = r.y + Math.floor((sy * r.h) / SAMPLE);
    const y1 = Math.max(y0 + 1, r.y + Math.floor(((sy + 1) * r.h) / SAMPLE));
    for (let sx = 0; sx < SAMPLE; sx++) {
      const x0 = r.x + Math.floor((sx * r.w) / SAMPLE);
      const x1 = Math.max(x0 + 1, r.x + Math.floor(((sx + 1) * r.w) / SAMPLE));
      let sum = 0;
      let count = 0;
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const o = (y * width + x) * bpp;
          sum += bpp === 1 ? pixels[o]! : (pixels[o]! + pixels[o + 1]! + pixels[o + 2]!) / 3;
          count++;
        }
      }
      gray[sy * SAMPLE + sx] = Math.round(sum / count);
    }
  }
  return decodeIndexFromGray(gray, 'raw frame');
}

/**
 * Decodes every frame of a video in presentation order and calls `onFrame(frameIndexShown, position)`
 * for each, streaming (64x64 grey per frame; nothing accumulates). Resolves to the number of frames.
 * `decoder` forces a decoder before -i (e.g. 'libvpx-vp9').
 */
export async function readVideoFrameIndices(
  videoPath: string,
  onFrame: (index: number, position: number) => void,
  options: { decoder?: string; inputOptions?: string[] } = {},
): Promise<number> {
  const args = ['-loglevel', 'error', ...(options.inputOptions ?? [])];
  if (options.decoder) args.push('-c:v', options.decoder);
  args.push('-i', videoPath, '-map', '0:v:0', '-fps_mode', 'passthrough', '-vf', grayFilter(), '-f', 'rawvideo', 'pipe:1');
  const proc = await startFfmpeg(args, { stdout: 'pipe', timeoutMs: 600_000 });
  const frameBytes = SAMPLE * SAMPLE;
  let pending: Buffer = Buffer.alloc(0);
  let position = 0;
  let failure: unknown;
  proc.stdout!.on('data', (chunk: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= frameBytes && failure === undefined) {
      try {
        onFrame(decodeIndexFromGray(pending.subarray(0, frameBytes), `${videoPath} frame ${position}`), position);
      } catch (error) {
        failure = error;
        proc.kill();
      }
      position++;
      pending = pending.subarray(frameBytes);
    }
  });
  try {
    await proc.done;
  } catch (error) {
    throw failure ?? error;
  }
  if (failure) throw failure;
  return position;
}

/**
 * Reads the frame numbers shown by a numbered image sequence (`dir/000000.jpg`, `000001.jpg`, …) in one
 * ffmpeg process; returns them in sequence order. Unreadable images throw.
 */
export async function readImageSequenceIndices(dir: string, ext: string, digits = 6): Promise<number[]> {
  const seen: number[] = [];
  await readVideoFrameIndices(path.join(dir, `%0${digits}d.${ext}`), (index) => seen.push(index), {
    inputOptions: ['-f', 'image2', '-start_number', '0'],
  });
  return seen;
}

/** Raw RGBA pixels of an image (for alpha checks): `{ width, height, data }`. */
export async function readRgba(imagePath: string, width: number, height: number): Promise<Uint8Array> {
  const { stdout } = await runProcessBuffer([
    '-loglevel',
    'error',
    '-i',
    imagePath,
    '-frames:v',
    '1',
    '-vf',
    `scale=${width}:${height}`,
    '-pix_fmt',
    'rgba',
    '-f',
    'rawvideo',
    'pipe:1',
  ]);
  return stdout;
}

/** Width and height of an image or video's first video stream. */
export async function readDimensions(file: string): Promise<{ width: number; height: number }> {
  const { stdout } = await runFfprobe(
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'json', file],
    { timeoutMs: 30_000 },
  );
  const stream = (JSON.parse(stdout) as { streams: Array<{ width: number; height: number }> }).streams[0];
  if (!stream) throw new Error(`${file}: no video stream`);
  return { width: stream.width, height: stream.height };
}

/** Runs ffmpeg with stdout piped and returns stdout as a Buffer (runFfmpeg collects a string). */
async function runProcessBuffer(args: string[]): Promise<{ stdout: Buffer }> {
  const proc = await startFfmpeg(args, { stdout: 'pipe', timeoutMs: 60_000 });
  const chunks: Buffer[] = [];
  proc.stdout!.on('data', (c: Buffer) => chunks.push(c));
  await proc.done;
  return { stdout: Buffer.concat(chunks) };
}
