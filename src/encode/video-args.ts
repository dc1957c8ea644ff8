/**
 * The ffmpeg arguments of each video encode. Frames arrive on stdin as PNG, or as JPEG (full-range
 * BT.601 JFIF, which ffmpeg reads as yuvj420p) when the orchestrator captures JPEG for speed, in a
 * timestamped Matroska stream without repeated frames (frame-stream.ts; GIF's first pass: image2pipe).
 *
 * | format | codec            | pixel format                                  | container |
 * |--------|------------------|-----------------------------------------------|-----------|
 * | mp4    | libx264          | yuv420p, BT.709 primaries/transfer/matrix, tv | MP4, `+faststart` |
 * | webm   | libvpx-vp9       | yuv420p, or yuva420p when `alpha`             | WebM      |
 * | mov    | prores_ks 4444   | yuva444p10le (alpha kept), BT.709 tags        | QuickTime |
 * | gif    | palettegen / paletteuse, one palette per render (see gifPaletteArgs) | GIF89a, `gifLoop` (0: forever) |
 *
 * Quality presets, HyperFrames 0.8.170's names (`hyperframes render -q`). Each name's x264 settings
 * are the fastest measured to keep the PSNR and SSIM of HyperFrames' settings for that name
 * (BENCHMARKS.md, "x264 settings per quality, measured"); `crf` and `videoBitrate` are HyperFrames' rate
 * controls and come with HyperFrames' x264 preset, so a HyperFrames command line that sets them
 * encodes as HyperFrames does; so does HDR (not measured). VP9: HyperFrames' CRF with `-b:v 0`,
 * deadline `realtime` for draft else `good`, and `-cpu-used` 4 unless `vp9CpuUsed` says otherwise.
 *
 * | preset   | x264 (framesmith) | x264 (HyperFrames) | VP9 deadline |
 * |----------|-------------------|--------------------|--------------|
 * | draft    | ultrafast, CRF 28 | ultrafast, CRF 28  | realtime     |
 * | standard | faster, CRF 17    | medium, CRF 18     | good         |
 * | looks    | faster, CRF 15    | medium, CRF 16     | good         |
 * | high     | medium, CRF 14    | slow, CRF 15       | good         |
 * | delivery | medium, CRF 14    | slow, CRF 15       | good         |
 *
 * `crf` replaces the preset's CRF; `videoBitrate` (e.g. `5M`) targets a bitrate instead (x264: `-b:v`;
 * VP9: `-b:v` without `-crf`). They exclude each other and apply to mp4 and webm only: ProRes has fixed
 * profiles and GIF no rate control.
 *
 * Odd sizes: 4:2:0 chroma needs even dimensions, so an odd width or height gets one more column on the
 * right or row at the bottom, repeating the edge pixels (so no fill colour bleeds into the last real
 * column through shared chroma); the content is never scaled. RenderResult reports the composition's
 * size; the file's is the even one.
 *
 * RGB → YUV uses the BT.709 matrix and limited (tv) range explicitly (swscale's default is BT.601),
 * and the stream is tagged to match, so players show the colours the browser drew.
 */
import { formatRational, type Rational } from '../media/rational.js';
import { fillRepeats } from './frame-stream.js';
import { hdrMp4Args, type HdrTransfer } from './hdr.js';

/** The container an encoder writes; `png` is a directory of numbered PNG frames. */
export type VideoFormat = 'mp4' | 'webm' | 'mov' | 'gif' | 'png';
/** `looks` is HyperFrames' default (standard at CRF 16); `delivery` is another name for `high`. */
export type Quality = 'draft' | 'standard' | 'looks' | 'high' | 'delivery';

/** An x264 preset and constant rate factor. */
export interface X264Settings {
  preset: string;
  crf: number;
}

/** What one quality name encodes with (see the module comment). */
export interface QualityPreset {
  /** x264 of a plain mp4 render of this name: the fastest settings measured to keep `hyperframesX264`'s quality. */
  x264: X264Settings;
  /** x264 as HyperFrames 0.8.170 sets it for this name: used with `crf`, `videoBitrate` and HDR. */
  hyperframesX264: X264Settings;
  vp9Crf: number;
  vp9Deadline: string;
  vp9CpuUsed: number;
}

/**
 * Each quality's settings (see the module comment); `crf`, `videoBitrate` and `vp9CpuUsed` override
 * them. Default quality: `standard`. Measured with 60 frames of 1080p (lavfi testsrc2, and the same
 * under heavy temporal noise), x264 CPU / PSNR / SSIM against HyperFrames' settings: standard 0.54–0.67×
 * CPU, +0.1/+0.4 dB; looks 0.46–0.72×, +0.2/+0.3 dB; high 0.48–0.57×, +0.8/+1.0 dB (files 2–21 %
 * larger); `node bench/run.js capture` measures both on captured frames.
 */
export const QUALITY_PRESETS: Record<Quality, QualityPreset> = {
  draft: { x264: x264('ultrafast', 28), hyperframesX264: x264('ultrafast', 28), vp9Crf: 28, vp9Deadline: 'realtime', vp9CpuUsed: 4 },
  standard: { x264: x264('faster', 17), hyperframesX264: x264('medium', 18), vp9Crf: 18, vp9Deadline: 'good', vp9CpuUsed: 4 },
  looks: { x264: x264('faster', 15), hyperframesX264: x264('medium', 16), vp9Crf: 16, vp9Deadline: 'good', vp9CpuUsed: 4 },
  high: { x264: x264('medium', 14), hyperframesX264: x264('slow', 15), vp9Crf: 15, vp9Deadline: 'good', vp9CpuUsed: 4 },
  delivery: { x264: x264('medium', 14), hyperframesX264: x264('slow', 15), vp9Crf: 15, vp9Deadline: 'good', vp9CpuUsed: 4 },
};

function x264(preset: string, crf: number): X264Settings {
  return { preset, crf };
}

/**
 * The x264 settings an mp4 encode of `options` uses: HyperFrames' for the quality when a rate control
 * of HyperFrames' is given (`crf`, `videoBitrate`) or the encode is HDR, else framesmith's measured ones.
 */
export function x264SettingsOf(options: Pick<VideoEncoderOptions, 'quality' | 'crf' | 'videoBitrate' | 'hdr'>): X264Settings {
  const quality = QUALITY_PRESETS[options.quality ?? 'standard'];
  return options.crf !== undefined || options.videoBitrate !== undefined || options.hdr ? quality.hyperframesX264 : quality.x264;
}

/** The `-cpu-used` range of libvpx-vp9 (higher: faster, larger for the same quality). */
export const VP9_CPU_USED_RANGE = { min: -8, max: 8 } as const;
/** The most a GIF's loop count can be (the NETSCAPE extension stores 16 bits). */
export const GIF_LOOP_MAX = 65_535;

/** GIF: the width frames are scaled down to by default (keeping the aspect), px. */
export const GIF_DEFAULT_MAX_WIDTH = 640;
/** GIF: the frame rate a render uses unless asked for another (GIF delays are whole centiseconds). */
export const GIF_DEFAULT_MAX_FPS = 15;

/** What a video encoder writes (src/encode/video.ts). Frames are `width` × `height` px at `fps`. */
export interface VideoEncoderOptions {
  /** mp4 only: encode HDR with this transfer (src/encode/hdr.ts; needs png frames). Default: SDR. */
  hdr?: HdrTransfer;
  format: VideoFormat;
  /** The file (mp4/webm/mov/gif) or directory (png) to write. */
  output: string;
  width: number;
  height: number;
  fps: Rational;
  quality?: Quality;
  /** x264/VP9 constant rate factor instead of the preset's (mp4, webm). */
  crf?: number;
  /** Target bitrate instead of a CRF, e.g. `5M`, `800k` (mp4, webm). */
  videoBitrate?: string;
  /** Keep transparency (webm: yuva420p; gif: a transparent palette entry). mov always has alpha. */
  alpha?: boolean;
  /** What `write` receives: `png` (default) or `jpeg` frames. png sequences, mov and gif need png. */
  frameFormat?: 'png' | 'jpeg';
  /** GIF: scale frames to this width (keeping the aspect). Default: the width, at most GIF_DEFAULT_MAX_WIDTH. */
  gifWidth?: number;
  /** GIF: how many times the animation repeats, 0 (default) forever, up to GIF_LOOP_MAX. */
  gifLoop?: number;
  /** WebM: libvpx-vp9 `-cpu-used` (VP9_CPU_USED_RANGE) instead of the preset's 4. */
  vp9CpuUsed?: number;
  /** png: the file name of frame `index` (0-based) in the directory; default `pngFrameName` (src/encode/video.ts). */
  frameName?: (index: number) => string;
  /**
   * mp4: a keyframe exactly every `keyframeSeconds` of video and nowhere else (GOP fixed at that many
   * seconds' frames, no scene-cut keyframes), so HLS segments of that length each start on one.
   */
  keyframeSeconds?: number;
  /**
   * mp4: the encode is one chunk's segment (src/encode/segments.ts): x264 with `SEGMENT_X264` on top of
   * the quality preset, and no `+faststart` (the assembly writes the final file).
   */
  segment?: boolean;
  /** A private directory for intermediate files (GIF's lossless frames and palette). */
  workDir?: string;
  signal?: AbortSignal;
}

/** The mp4/mov movie timescale that holds `fps` exactly: the numerator doubled up to ≥ 10000. */
export function movieTimescale(fps: Rational): number {
  let t = fps.num;
  while (t < 10_000) t *= 2;
  return t;
}

/** Even size: the next even number for odd dimensions (see the module comment). */
export function evenSize(width: number, height: number): { width: number; height: number } {
  return { width: width + (width % 2), height: height + (height % 2) };
}

/**
 * x264 settings of a chunk's segment, on top of the quality preset (`-tune zerolatency`'s, spelled
 * out): no lookahead and no B-frames, so nothing is held back — after a chunk's last frame, while the
 * capture has stopped, only the frame in hand is left to encode; slices, not frames, are what threads
 * share. Without lookahead there is no macroblock tree, and x264 then spends more bits at one CRF:
 * `crfOffset` is added to the CRF (not to a `videoBitrate`) of presets that have the tree (all but
 * ultrafast and superfast), so a segment keeps the preset's quality.
 *
 * Measured on bench/compositions/chunks-1080p (180 JPEG frames of 1080p, `standard`: x264 medium CRF
 * 18; 6 segments of 30 frames joined, PSNR/SSIM against the lossless capture; BENCHMARKS.md, issue
 * 22): the preset alone 44.32 dB, SSIM 0.99555, 4.29 MB, 15.6 CPU-s, 1.7 CPU-s left after a chunk's
 * last frame; these settings at CRF 22: 44.41 dB, SSIM 0.99584, 4.86 MB (+13 %), 11.3 CPU-s, 0.12–0.16
 * CPU-s left. (Lookahead 5 frames at CRF 17 kept the quality at +5 % size but left 0.4–0.7 CPU-s; no
 * B-frames with frame threads at CRF 22, 0.2–0.3 CPU-s.) With the measured presets (faster, CRF 17
 * for standard) the offset is 3: 60 frames of 1080p testsrc2 (clean, and under heavy noise) against
 * HyperFrames' settings as segments (medium at CRF 22 / 20, slow at 19): standard faster CRF 20 52.26 /
 * 41.39 dB against 51.33 / 40.63, at 0.56× the CPU; looks faster CRF 18 53.99 / 42.59 against 53.27 /
 * 41.36; at an offset of 4, looks lost 0.15 dB on the clean frames.
 */
export const SEGMENT_X264 = { params: 'bframes=0:rc-lookahead=0:sync-lookahead=0:sliced-threads=1', crfOffset: 3 } as const;

/**
 * What decides an encoder's output besides a render's own options: every quality's settings and a
 * segment's. Part of the keys under which encoded segments are reused (src/render/incremental.ts,
 * plan-memo.ts), so a build that encodes otherwise does not reuse an earlier build's segments, even at
 * the same version number.
 */
export function encoderSettingsPrint(): string {
  return JSON.stringify({ presets: QUALITY_PRESETS, segment: SEGMENT_X264 });
}

/** x264 presets without the macroblock tree (no lookahead): a segment's CRF stays theirs. */
const PRESETS_WITHOUT_MBTREE = new Set(['ultrafast', 'superfast']);

const BT709_TAGS = ['-color_primaries', 'bt709', '-color_trc', 'bt709', '-colorspace', 'bt709', '-color_range', 'tv'];

/** The rate control arguments of x264 or VP9 (see the module comment). */
function rateControl(options: VideoEncoderOptions, codec: 'x264' | 'vp9'): string[] {
  if (options.videoBitrate !== undefined) return ['-b:v', options.videoBitrate];
  if (codec === 'vp9') return ['-crf', String(options.crf ?? QUALITY_PRESETS[options.quality ?? 'standard'].vp9Crf), '-b:v', '0'];
  const x264 = x264SettingsOf(options);
  const crf = options.crf ?? x264.crf;
  // A segment has no macroblock tree (no lookahead): see SEGMENT_X264.
  return ['-crf', String(options.segment && !PRESETS_WITHOUT_MBTREE.has(x264.preset) ? Math.min(51, crf + SEGMENT_X264.crfOffset) : crf)];
}

/**
 * x264's GOP fixed at `keyframeSeconds` S (none when unset): a keyframe forced on the first frame at
 * or after each multiple k·S, frame ceil(k·S·fps) (exact for any rate, 30000/1001 too); keyint the most
 * frames such a gap can hold, so x264 adds none in between; no scene-cut keyframes.
 */
function fixedGop(options: VideoEncoderOptions): string[] {
  if (options.keyframeSeconds === undefined) return [];
  const gop = String(Math.ceil((options.keyframeSeconds * options.fps.num) / options.fps.den));
  // By frame number, not time: n >= k·S·fps is integer arithmetic, where t >= k·S may miss by a rounding.
  const { num, den } = options.fps;
  return [
    '-g',
    gop,
    '-keyint_min',
    gop,
    '-sc_threshold',
    '0',
    '-force_key_frames',
    `expr:gte(n,ceil(n_forced*${options.keyframeSeconds * num}/${den}))`,
  ];
}

/** ffmpeg arguments for an mp4/webm/mov encode reading frames from stdin (exported for tests and doctor). */
export function encoderArgs(options: VideoEncoderOptions): string[] {
  const quality = QUALITY_PRESETS[options.quality ?? 'standard'];
  const rate = formatRational(options.fps);
  // Timestamped frames, repeats left out: the `fps` filter last in each chain puts them back (frame-stream.ts).
  const input = ['-f', 'matroska', '-i', 'pipe:0'];
  const fill = fillRepeats(options.fps);
  if (options.format === 'mov') {
    // 4:4:4 with alpha: no chroma subsampling, so no padding to even sizes either.
    return [
      // setparams: prores_ks writes the colour atom from the frames' own tags, not from -colorspace.
      '-y',
      ...input,
      '-vf',
      `scale=out_color_matrix=bt709:out_range=tv,format=yuva444p10le,setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv,${fill}`,
      '-an',
      '-c:v',
      'prores_ks',
      '-profile:v',
      '4444',
      '-vendor',
      'apl0',
      '-pix_fmt',
      'yuva444p10le',
      ...BT709_TAGS,
      '-r',
      rate,
      '-f',
      'mov',
      options.output,
    ];
  }
  const even = evenSize(options.width, options.height);
  const alpha = options.format === 'webm' && options.alpha === true;
  const filters: string[] = [];
  if (even.width !== options.width || even.height !== options.height) {
    // Repeat the edge into the new column/row: a fill colour would bleed into the last real column
    // through the shared 4:2:0 chroma sample.
    // In RGB: smearing a 4:2:0 input (JPEG frames) pads luma and chroma unevenly and left the edge black.
    filters.push(
      `format=${alpha ? 'rgba' : 'rgb24'}`,
      `pad=${even.width}:${even.height}:0:0`,
      `fillborders=right=${even.width - options.width}:bottom=${even.height - options.height}:mode=smear`,
    );
  }
  if (options.format === 'mp4' && options.hdr)
    return hdrMp4Args({ ...options, hdr: options.hdr }, input, filters, x264SettingsOf(options).preset, rateControl(options, 'x264'));
  if (options.format === 'mp4') {
    filters.push('scale=out_color_matrix=bt709:out_range=tv', 'format=yuv420p', fill);
    return [
      '-y',
      ...input,
      '-vf',
      filters.join(','),
      '-an',
      '-c:v',
      'libx264',
      '-preset',
      x264SettingsOf(options).preset,
      ...rateControl(options, 'x264'),
      ...fixedGop(options),
      ...(options.segment ? ['-x264-params', SEGMENT_X264.params] : []),
      '-pix_fmt',
      'yuv420p',
      ...BT709_TAGS,
      '-r',
      rate,
      ...(options.segment ? [] : ['-movflags', '+faststart']),
      '-f',
      'mp4',
      options.output,
    ];
  }
  if (options.format === 'webm') {
    filters.push(`scale=out_color_matrix=bt709:out_range=tv`, `format=${alpha ? 'yuva420p' : 'yuv420p'}`, fill);
    return [
      '-y',
      ...input,
      '-vf',
      filters.join(','),
      '-an',
      '-c:v',
      'libvpx-vp9',
      '-pix_fmt',
      alpha ? 'yuva420p' : 'yuv420p',
      ...rateControl(options, 'vp9'),
      '-deadline',
      quality.vp9Deadline,
      '-cpu-used',
      String(options.vp9CpuUsed ?? quality.vp9CpuUsed),
      '-row-mt',
      '1',
      ...(alpha ? ['-auto-alt-ref', '0'] : []),
      ...BT709_TAGS,
      '-r',
      rate,
      '-f',
      'webm',
      options.output,
    ];
  }
  throw new RangeError(`encoderArgs: format ${options.format} has no single-pass ffmpeg encoder`);
}

/** The width a GIF is written at (see VideoEncoderOptions.gifWidth), even, never above the capture's. */
export function gifWidth(options: Pick<VideoEncoderOptions, 'width' | 'gifWidth'>): number {
  const wanted = options.gifWidth ?? Math.min(options.width, GIF_DEFAULT_MAX_WIDTH);
  return Math.max(2, Math.min(options.width, Math.round(wanted / 2) * 2));
}

/**
 * GIF, first pass (while frames stream in): scale to `gifWidth` (Lanczos), keep every frame losslessly
 * (FFV1 in Matroska, on disk — memory stays flat however long the render) and build the render's
 * palette from all of them (`palettegen=stats_mode=diff`: colours of what changes weigh most).
 */
export function gifPaletteArgs(options: VideoEncoderOptions, frames: string, palette: string, sequence?: string): string[] {
  const rate = formatRational(options.fps);
  const alpha = options.alpha === true;
  // Frames piped in, or (`sequence`: an image2 pattern) read from files.
  const input =
    sequence === undefined
      ? ['-f', 'image2pipe', '-framerate', rate, '-c:v', 'png', '-i', 'pipe:0']
      : ['-f', 'image2', '-framerate', rate, '-i', sequence];
  return [
    '-y',
    ...input,
    '-filter_complex',
    `[0:v]scale=${gifWidth(options)}:-2:flags=lanczos,format=${alpha ? 'rgba' : 'rgb24'},split[keep][stats];[stats]palettegen=stats_mode=diff${alpha ? ':reserve_transparent=1' : ':reserve_transparent=0'}[palette]`,
    '-map',
    '[keep]',
    '-c:v',
    'ffv1',
    '-f',
    'matroska',
    frames,
    '-map',
    '[palette]',
    '-update',
    '1',
    '-frames:v',
    '1',
    palette,
  ];
}

/**
 * GIF, second pass: map the kept frames onto the palette (Sierra dithering). The loop count is the
 * muxer's `-loop` (0 forever, n: n more times after the first), as HyperFrames writes it.
 */
export function gifEncodeArgs(options: VideoEncoderOptions, frames: string, palette: string): string[] {
  const alpha = options.alpha === true;
  return [
    '-y',
    '-i',
    frames,
    '-i',
    palette,
    '-lavfi',
    `[0:v][1:v]paletteuse=dither=sierra2_4a${alpha ? ':alpha_threshold=128' : ''}`,
    '-r',
    formatRational(options.fps),
    '-loop',
    String(options.gifLoop ?? 0),
    '-f',
    'gif',
    options.output,
  ];
}
