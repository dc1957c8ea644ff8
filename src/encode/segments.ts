/**
 * Chunk segments and their assembly without re-encoding (measured on ffmpeg 5.1 with barcoded frames:
 * uneven chunks down to one frame, 30, 25, 30000/1001 and 24000/1001 fps, every frame in order, its
 * timestamp exactly n/fps, a keyframe at every join, the same stream parameters as one pass).
 *
 * - A segment is the encode of the chunk's frames alone (`encoderArgs` with `segment: true`,
 *   timestamps from 0): x264 opens every process with an IDR and closes its GOPs, VP9's first frame is
 *   a keyframe, ProRes is intra-only. GIF and PNG chunks are PNG sequences (a GIF needs one palette for
 *   the whole). An mp4 segment's x264 holds no frames back (`SEGMENT_X264_PARAMS`: no lookahead, no
 *   B-frames), so what is left to encode after a chunk's last frame — a fixed cost of every chunk,
 *   paid while the capture has stopped — is its threads' few frames, not the preset's lookahead of 40;
 *   and it has no `+faststart` pass, which the assembly makes once for the whole.
 * - Assembly is ffmpeg's concat demuxer with stream copy, given each segment's exact duration as the
 *   difference of rounded boundaries (so rounding never accumulates), and every timestamp rewritten
 *   from the frame's index (`setts`): pts = N/fps; for H.264 dts = (N − D)/fps with D the largest
 *   B-frame delay of any segment (x264 starts a 1–2 frame segment at dts = pts, longer ones 2 frames
 *   earlier); WebM rounds to its millisecond clock exactly as one pass does. mp4/mov get a movie
 *   timescale that holds the rate exactly (the mov muxer's own choice: the rate's numerator doubled up
 *   to ≥ 10000).
 * - The concat demuxer takes the first segment's codec parameters for all: segments whose parameters
 *   differ (another encoder build) are refused rather than joined into a broken stream.
 */
import { mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runFfmpeg, runFfprobe } from '../media/tools.js';
import type { Rational } from '../media/rational.js';
import { EncodeError, pngFrameName, startVideoEncoder } from './video.js';
import type { VideoEncoder } from './encoder.js';
import { checkMuxedLengths } from './mux.js';
import { readSegmentVideo } from './segment-probe.js';
import { gifEncodeArgs, gifPaletteArgs, movieTimescale, type VideoEncoderOptions, type VideoFormat } from './video-args.js';

/** The encoder of one chunk's segment: a file in the output's format, or a PNG directory for gif and png. */
export type SegmentEncoder = VideoEncoder;

/** What a chunk of `format` writes: a file with `extension`, or (extension '') a directory of PNGs. */
export function segmentFormat(format: VideoFormat): { extension: string } {
  return { extension: format === 'gif' || format === 'png' ? '' : format };
}

/** The output's encoder settings; `output` is the segment's own file (or directory, for gif and png). */
export interface SegmentEncoderOptions extends VideoEncoderOptions {
  /** The chunk's first composition frame (segments are numbered from their own 0 regardless). */
  firstFrame: number;
}

/** Starts the encoder of one chunk's segment (see the module comment). */
export function startSegmentEncoder(options: SegmentEncoderOptions): Promise<SegmentEncoder> {
  const frames = options.format === 'gif' || options.format === 'png';
  return startVideoEncoder({
    ...options,
    format: frames ? 'png' : options.format,
    frameFormat: frames ? 'png' : options.frameFormat,
    segment: true,
  });
}

/** One chunk's encoded segment, as `assembleSegments` takes it. */
export interface Segment {
  /** The segment's file or directory. */
  file: string;
  /** Its first composition frame and its frame count. */
  first: number;
  count: number;
}

/** The final output's format and rate; `width`/`height` are the captured frames' (composition × device scale), px. */
export interface AssembleOptions {
  format: VideoFormat;
  fps: Rational;
  /** The file (or directory, for png) to write; its parent exists. */
  output: string;
  /** GIF settings (the GIF is encoded here, from the chunks' PNGs). */
  width: number;
  height: number;
  alpha?: boolean;
  gifWidth?: number;
  gifLoop?: number;
  /** A private directory for intermediate files. */
  workDir: string;
  signal?: AbortSignal;
  /**
   * The sound (an mp4/mov/webm render's mix, exactly as long as the frames) muxed in by the same
   * ffmpeg that joins the segments, with the streams' lengths checked as `muxAudio` checks them.
   */
  audio?: string;
}

/** Joins `segments` (in frame order, contiguous) into `options.output`. */
export async function assembleSegments(segments: readonly Segment[], options: AssembleOptions): Promise<void> {
  for (let i = 1; i < segments.length; i++) {
    if (segments[i]!.first !== segments[i - 1]!.first + segments[i - 1]!.count)
      throw new RangeError(`segment ${i} starts at frame ${segments[i]!.first}, not where segment ${i - 1} ends`);
  }
  if (options.format === 'png') return joinFrames(segments, options.output);
  if (options.format === 'gif') return encodeGif(segments, options);
  return concatCopy(segments, options);
}

/** Seconds of frame boundary `n`, rounded to the microsecond (the concat list's resolution). */
function boundary(n: number, fps: Rational): number {
  return Math.round((n * fps.den * 1_000_000) / fps.num);
}

async function concatCopy(segments: readonly Segment[], options: AssembleOptions): Promise<void> {
  const { num, den } = options.fps;
  const probes = await probeSegments(
    segments.map((s) => s.file),
    options.format,
    options.signal,
  );
  const mismatch = probes.findIndex((p) => p.extradata !== probes[0]!.extradata);
  if (mismatch > 0) {
    throw new EncodeError(
      'encode',
      `segment ${mismatch} (${segments[mismatch]!.file}) was encoded with other codec parameters than segment 0: every worker must run the same ffmpeg build with the same settings`,
      {},
    );
  }
  const list = segments
    .map((s) => {
      const micros = boundary(s.first + s.count, options.fps) - boundary(s.first, options.fps);
      return `file '${s.file.replace(/'/g, "'\\''")}'\nduration ${(micros / 1_000_000).toFixed(6)}\n`;
    })
    .join('');
  const listFile = path.join(options.workDir, 'segments.txt');
  await writeFile(listFile, list);
  let timestamps: string;
  const container: string[] = [];
  if (options.format === 'mp4') {
    // D: the largest B-frame delay of any segment, in frames.
    const d = Math.max(0, ...probes.map((p) => Math.round((p.delay * num) / den)));
    timestamps = `setts=pts=PTS:dts=(N-${d})*${den}/(${num}*TB)`;
    container.push('-movie_timescale', String(movieTimescale(options.fps)), '-movflags', '+faststart', '-f', 'mp4');
  } else if (options.format === 'mov') {
    timestamps = `setts=ts=N*${den}/(${num}*TB)`;
    container.push('-movie_timescale', String(movieTimescale(options.fps)), '-movflags', '+faststart', '-f', 'mov');
  } else {
    timestamps = `setts=ts=floor(N*${1000 * den}/${num}+0.5)`;
    container.push('-f', 'webm');
  }
  // With the sound: one ffmpeg joins and muxes (one write of the file, one faststart), as muxAudio
  // would after it: no metadata but the alpha flag, bit-exact.
  const audio = options.audio
    ? {
        input: ['-i', options.audio],
        map: ['-map', '1:a:0'],
        out: [
          '-map_metadata',
          '-1',
          '-fflags',
          '+bitexact',
          ...(options.format === 'webm' && options.alpha ? ['-metadata:s:v:0', 'alpha_mode=1'] : []),
        ],
      }
    : { input: [], map: [], out: [] };
  const result = await runFfmpeg(
    [
      '-y',
      '-v',
      'warning',
      '-f',
      'concat',
      '-safe',
      '0',
      '-i',
      listFile,
      ...audio.input,
      '-map',
      '0:v:0',
      ...audio.map,
      '-c',
      'copy',
      '-bsf:v',
      timestamps,
      ...audio.out,
      ...container,
      options.output,
    ],
    { signal: options.signal },
  ).catch((error: unknown) => {
    throw new EncodeError(
      'encode',
      `joining ${segments.length} segments failed: ${error instanceof Error ? error.message : String(error)}`,
      {},
      { cause: error },
    );
  });
  if (/Invalid DTS|Non-monotonous DTS|Non-monotonic DTS/i.test(result.stderrTail)) {
    throw new EncodeError(
      'encode',
      `joining ${segments.length} segments gave out-of-order timestamps (${result.stderrTail.trim().split('\n')[0]}): this is a framesmith bug, please report it with the composition`,
      {},
    );
  }
  if (options.audio) await checkMuxedLengths(options.output, `the ${segments.length} segments joined`, options.audio, options.signal);
}

/**
 * Each segment's codec parameters (hex) and its first packet's pts − dts, seconds: for mp4 and mov read
 * from their boxes in this process (segment-probe.ts), else — or when one of them cannot be read so —
 * by ffprobe, all alike (the two spell the parameters differently).
 */
async function probeSegments(
  files: readonly string[],
  format: VideoFormat,
  signal?: AbortSignal,
): Promise<Array<{ extradata: string; delay: number }>> {
  if (format === 'mp4' || format === 'mov') {
    const read = await Promise.all(files.map((f) => readSegmentVideo(f).catch(() => null)));
    if (read.every((r) => r !== null)) return read.map((r) => ({ extradata: r!.config, delay: r!.delay }));
  }
  return Promise.all(files.map((f) => probeSegment(f, signal)));
}

/** A segment's codec parameters (hex) and its first packet's pts − dts, seconds, by ffprobe. */
async function probeSegment(file: string, signal?: AbortSignal): Promise<{ extradata: string; delay: number }> {
  const { stdout } = await runFfprobe(
    [
      '-v',
      'error',
      '-select_streams',
      'v:0',
      '-show_entries',
      'stream=extradata:packet=pts_time,dts_time',
      '-show_data',
      '-read_intervals',
      '%+#1',
      '-of',
      'json',
      file,
    ],
    { signal },
  );
  const info = JSON.parse(stdout) as { streams?: Array<{ extradata?: string }>; packets?: Array<{ pts_time?: string; dts_time?: string }> };
  const packet = info.packets?.[0];
  const delay = packet?.pts_time !== undefined && packet.dts_time !== undefined ? Number(packet.pts_time) - Number(packet.dts_time) : 0;
  return { extradata: info.streams?.[0]?.extradata ?? '', delay: Number.isFinite(delay) ? delay : 0 };
}

/** A PNG sequence: every chunk's frames moved into `output`, renumbered from 0. */
async function joinFrames(segments: readonly Segment[], output: string): Promise<void> {
  await mkdir(output, { recursive: true });
  let n = 0;
  for (const s of segments) {
    const names = (await readdir(s.file)).filter((f) => f.endsWith('.png')).sort();
    if (names.length !== s.count) throw new EncodeError('encode', `segment ${s.file} holds ${names.length} frames, not ${s.count}`, {});
    for (const name of names) await rename(path.join(s.file, name), path.join(output, pngFrameName(n++)));
  }
}

/** A GIF from the chunks' PNGs: the frames joined into one sequence, then the usual two passes. */
async function encodeGif(segments: readonly Segment[], options: AssembleOptions): Promise<void> {
  const frames = path.join(options.workDir, 'gif-frames');
  await joinFrames(segments, frames);
  const encoder: VideoEncoderOptions = {
    format: 'gif',
    output: options.output,
    width: options.width,
    height: options.height,
    fps: options.fps,
    alpha: options.alpha,
    gifWidth: options.gifWidth,
    gifLoop: options.gifLoop,
  };
  const lossless = path.join(options.workDir, 'gif.mkv');
  const palette = path.join(options.workDir, 'palette.png');
  const args = gifPaletteArgs(encoder, lossless, palette, path.join(frames, 'frame-%06d.png'));
  try {
    await runFfmpeg(args, { signal: options.signal });
    await runFfmpeg(gifEncodeArgs(encoder, lossless, palette), { signal: options.signal });
  } catch (error) {
    throw new EncodeError(
      'encode',
      `the GIF encoder failed: ${error instanceof Error ? error.message : String(error)}`,
      {},
      { cause: error },
    );
  }
}
