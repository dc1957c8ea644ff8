/**
 * One ffmpeg pass: decodes the frames of one `ExtractionPlan` into a directory, `000000.<ext>` for slot 0
 * onwards. This is the seam the cache uses: `runExtractionPass(plan, dir, …)` knows nothing about
 * requests, dedupe or caching; it only writes exactly the plan's frames, atomically.
 *
 * Exactness (see DEVELOPERS.md): slot k shows the last source frame whose media time is
 * <= mediaStart + k * rate / fps + PTS_TOLERANCE (1 ms, for millisecond-precision containers). With -copyts the decoder keeps absolute timestamps; `setpts` moves
 * them to the clip's local time; `fps=…:round=up:start_time=0` then gives each slot the frame on screen
 * at that instant (a frame that starts just after a slot belongs to the next slot).
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { videoStreamSpecifier } from '../media/probe.js';
import { formatRational } from '../media/rational.js';
import { startFfmpeg } from '../media/tools.js';
import { isRgbPixelFormat } from './colour.js';
import { ExtractError } from './errors.js';
import { PTS_TOLERANCE, type ExtractionPlan } from './plan.js';

/**
 * Options of `runExtractionPass`. An aborted `signal` throws `ExtractError('cancelled')` before the pass
 * starts, and `ProcessError('cancelled')` (from the ffmpeg process) once it runs.
 */
export interface PassOptions {
  signal?: AbortSignal;
  /** Default: 60 s plus 250 ms per frame. */
  timeoutMs?: number;
  /** Called with the number of frames written so far (from ffmpeg's -progress output). */
  onProgress?: (framesDone: number) => void;
  /** Id used in error messages (the leader video). */
  videoId?: string;
  /**
   * Write straight into `dir`, an existing directory private to the caller (the frame cache's partial
   * directory): no partial directory of our own and no rename. On failure the frames written so far
   * stay in `dir`; the caller discards it (`cache.abort`).
   */
  direct?: boolean;
}

/** The frames one pass wrote; `bytesWritten` is their total size in bytes, `ms` the pass's wall time. */
export interface PassResult {
  /** The final directory (renamed into place). */
  dir: string;
  /** Absolute frame paths, slot 0 first; may be shorter than plan.frameCount when the media ends early. */
  frames: string[];
  bytesWritten: number;
  ms: number;
}

/**
 * Partial directories being written. An interrupted CLI (SIGINT → killAllChildren → process.exit) never
 * reaches the cleanup in `runExtractionPass`, so they are also removed synchronously on exit.
 */
const livePartials = new Set<string>();
let exitHookInstalled = false;
/**
 * Registers a partial directory to be deleted synchronously if the process exits while it is tracked
 * (until `untrackPartial`).
 */
export function trackPartial(dir: string): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const partial of livePartials) rmSync(partial, { recursive: true, force: true });
    });
  }
  livePartials.add(dir);
}

/** Stops tracking a partial directory (it was renamed into place or removed). */
export function untrackPartial(dir: string): void {
  livePartials.delete(dir);
}

/** Seconds with enough digits that microsecond timestamps survive. */
export function sec(value: number): string {
  return value.toFixed(9).replace(/\.?0+$/, '') || '0';
}

// ffprobe's color_space values whose matrix is BT.601 (the JPEG matrix).
const BT601_MATRICES = new Set(['bt470bg', 'smpte170m']);
/** swscale's names of the YUV matrices ffprobe reports. */
const SWSCALE_MATRICES: Record<string, string> = {
  bt709: 'bt709',
  smpte170m: 'bt601',
  bt470bg: 'bt601',
  fcc: 'fcc',
  smpte240m: 'smpte240m',
  bt2020nc: 'bt2020',
  bt2020c: 'bt2020',
};

/**
 * The `colorspace` filter's options that take a yuv420p source to full-range BT.601 yuv420p, or null
 * when the pass needs swscale (other matrices or pixel formats, an odd output size, a forced decoder).
 *
 * Why not swscale: for YUV → YUV with a different matrix, swscale 5.1 goes through a cascaded
 * 16-bit RGB context; measured on 150 1080p frames that costs 1.6 s CPU (the whole pass 3.3–3.7 s),
 * and even the range-only conversion of a BT.601/untagged source costs 0.55 s (pass 2.2–2.5 s).
 * `colorspace` with fast=1 (same primaries and transfer on both sides: only the 3x3 matrix and the
 * range, in integer maths) costs about 0.15 s either way (passes 1.7–1.9 s), and reads back closer to
 * ffmpeg's RGB decode of a BT.709 source (pure red 251,0,0 against the reference 251,0,0; swscale
 * 250,0,0). The input range comes from each frame (unset: limited, as swscale assumes).
 */
export function jpegColourspace(plan: ExtractionPlan): string | null {
  if (plan.decoder !== null || plan.sourcePixelFormat !== 'yuv420p') return null;
  // `colorspace` refuses odd sizes for 4:2:0 ("Invalid odd size"); it runs on the output size.
  if (plan.width % 2 !== 0 || plan.height % 2 !== 0) return null;
  const matrix = plan.sourceColorSpace;
  // iall/all name primaries and transfer too; they are equal on both sides, so with fast=1 only the
  // matrix (BT.709 → BT.601) and the range change. iall also overrides an untagged frame, which
  // `colorspace` would otherwise reject.
  const io =
    matrix === 'bt709'
      ? 'iall=bt709:all=bt709:space=bt470bg'
      : matrix !== null && BT601_MATRICES.has(matrix)
        ? 'iall=bt601-6-625:all=bt601-6-625'
        : null;
  return io === null ? null : `colorspace=${io}:range=pc:fast=1:format=yuv420p`;
}

/**
 * The -vf chain of a plan (exported for tests and the bench). With `firstSlot`, the chain starts its
 * output at that slot (a segment of a source pass, source-pass.ts): `fps` takes the slot's local time
 * as its start, so its first frame is the one on screen at that slot, as in a pass from slot 0.
 * `inpoint` (seconds, at most six decimals) is the concat demuxer's in point when the source is read
 * through one (segments.ts, a clean cut): that demuxer shifts timestamps back by it, rounded to whole
 * ticks, and the chain adds those ticks back first (`round(inpoint/TB)`, the same rounding), so each
 * frame's timestamp is again the exact integer a direct pass sees and every later step is the same.
 * `pad`: after `fps`, repeat the last frame for slots past the input's end (a segment ending at a clean
 * cut: those slots show the last frame before the cut, which `fps` stops repeating at its estimate of
 * the end of that frame).
 */
export function passFilters(plan: ExtractionPlan, firstSlot = 0, inpoint?: string, pad = false): string {
  const filters: string[] = [];
  // Shifting the origin by the tolerance makes a frame up to PTS_TOLERANCE late count for the slot.
  const origin = plan.streamStart + plan.mediaStart + PTS_TOLERANCE;
  const local = `PTS${inpoint === undefined ? '' : `+round(${inpoint}/TB)`}-${sec(origin)}/TB`;
  filters.push(plan.playbackRate === 1 ? `setpts=${local}` : `setpts=(${local})/${sec(plan.playbackRate)}`);
  filters.push(
    `fps=fps=${formatRational(plan.fps)}:round=up:start_time=${firstSlot === 0 ? '0' : sec((firstSlot * plan.fps.den) / plan.fps.num)}`,
  );
  if (pad) filters.push('tpad=stop=-1:stop_mode=clone');
  // Scale after fps: only frames that are written get scaled (the fps filter drops or repeats first).
  const scale: string[] = [];
  if (plan.sourceWidth !== plan.width || plan.sourceHeight !== plan.height) {
    scale.push(`w=${plan.width}`, `h=${plan.height}`, 'flags=bilinear');
  }
  // JPEG readers (Chromium, ffmpeg) decode with the BT.601 matrix at full range. Written as-is, a BT.709
  // source reads back with wrong colours (pure red as 231,0,1), so convert the matrix (and the range).
  // The colour chains end in RGB, which the JPEG encoder's own conversion already writes as BT.601.
  const colourspace = plan.format === 'jpg' && !plan.colourFilter ? jpegColourspace(plan) : null;
  // swscale reads the matrix from the frame's tag, BT.601 when untagged; the source is decoded with the
  // matrix a browser uses (MediaInfo.displayMatrix), which for a partly or untagged stream differs.
  const inMatrix = !plan.colourFilter && colourspace === null ? SWSCALE_MATRICES[plan.sourceColorSpace ?? ''] : undefined;
  if (plan.format === 'jpg' && !plan.colourFilter && colourspace === null)
    scale.push(...(inMatrix ? [`in_color_matrix=${inMatrix}`] : []), 'out_color_matrix=bt601', 'out_range=pc');
  // PNG: the conversion to RGB happens here, with that matrix, not in a scaler ffmpeg inserts.
  const pngRgb = plan.format === 'png' && !plan.colourFilter && inMatrix !== undefined && !isRgbPixelFormat(plan.sourcePixelFormat);
  if (pngRgb) scale.push(`in_color_matrix=${inMatrix}`);
  if (scale.length > 0) filters.push(`scale=${scale.join(':')}`);
  if (pngRgb) filters.push(`format=${plan.alpha ? 'rgba' : 'rgb24'}`);
  // After the resize (it runs on the output size). Its full-range yuv420p becomes the encoder's
  // yuvj420p by a plane copy: the auto-inserted scaler sees equal ranges.
  if (colourspace) filters.push(colourspace);
  // Colour last (src/extract/colour.ts): its float conversions then run on the output size, never larger.
  if (plan.colourFilter) filters.push(plan.colourFilter);
  // The PNG encoder writes gAMA and cHRM chunks from the frame's transfer and primaries tags, and a
  // browser colour-manages a PNG that has them: BT.709-tagged frames were drawn off by up to 22 levels
  // (measured). The pixels are already what the page must show, so the frames go out untagged.
  if (plan.format === 'png') filters.push('setparams=color_trc=unknown:color_primaries=unknown');
  return filters.join(',');
}

/** The full ffmpeg argument list of a pass writing into `dir`. */
export function passArgs(plan: ExtractionPlan, dir: string): string[] {
  const args = ['-loglevel', 'error', '-nostats', '-progress', 'pipe:1'];
  if (plan.decoder) args.push('-c:v', plan.decoder);
  args.push('-copyts');
  // Inexact input seeking: the demuxer lands on the last keyframe at or before mediaStart and every
  // frame from there on reaches the filters, so the frame already on screen at mediaStart (timestamp
  // <= mediaStart, hence at or after that keyframe) is among them and `fps` picks it for slot 0. An
  // accurate seek would drop it (its timestamp is before the seek point) unless we seeked early by a
  // margin — and any margin before a keyframe at mediaStart decodes the whole previous GOP (measured:
  // 20% more decode on a 2 s GOP).
  if (plan.mediaStart > 0) args.push('-noaccurate_seek', '-ss', sec(plan.mediaStart));
  args.push('-i', plan.source, '-map', `0:${videoStreamSpecifier(plan.streamIndex)}`, '-an', '-sn', '-dn');
  args.push('-vf', passFilters(plan));
  args.push(...frameOutputArgs(plan, dir, 0, plan.frameCount));
  return args;
}

/** The output arguments writing `count` frames of `plan`, numbered from `first`, into `dir`. */
export function frameOutputArgs(plan: ExtractionPlan, dir: string, first: number, count: number): string[] {
  const args = ['-frames:v', String(count), '-fps_mode', 'passthrough', '-start_number', String(first)];
  if (plan.format === 'jpg') {
    args.push('-c:v', 'mjpeg', '-q:v', String(plan.jpegQuality), '-pix_fmt', 'yuvj420p');
  } else {
    args.push('-c:v', 'png', '-compression_level', '1', '-pix_fmt', plan.alpha ? 'rgba' : 'rgb24');
  }
  args.push('-f', 'image2', path.join(dir, `%06d.${plan.format}`));
  return args;
}

/** Path of slot `index`'s frame inside a pass directory. */
export function framePath(dir: string, index: number, format: string): string {
  return path.join(dir, `${String(index).padStart(6, '0')}.${format}`);
}

/**
 * Runs one pass into `dir`: writes into `<dir>.partial-<pid>-<rand>`, then renames it into place
 * (replacing an older `dir`). On failure or cancellation the partial directory is removed and an
 * `ExtractError` is thrown; nothing half-written is left under `dir`. With `options.direct` the frames
 * go straight into `dir` (already private to the caller) and the caller cleans up on failure.
 */
export async function runExtractionPass(plan: ExtractionPlan, dir: string, options: PassOptions = {}): Promise<PassResult> {
  const started = performance.now();
  const videoId = options.videoId ?? path.basename(plan.source);
  if (options.signal?.aborted)
    throw new ExtractError('cancelled', `extraction of ${plan.source} was cancelled`, { videoId, file: plan.source });
  const partial = options.direct ? dir : `${dir}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  if (!options.direct) {
    trackPartial(partial);
    await mkdir(partial, { recursive: true });
  }
  try {
    await runFfmpegPass(passArgs(plan, partial), plan.frameCount, options, (written) => options.onProgress?.(written));
    const frames = await collectFrames(partial, plan);
    checkFrameCount(frames.count, plan, videoId);
    if (!options.direct) {
      await rm(dir, { recursive: true, force: true });
      await mkdir(path.dirname(dir), { recursive: true });
      await rename(partial, dir);
    }
    return {
      dir,
      frames: Array.from({ length: frames.count }, (_, i) => framePath(dir, i, plan.format)),
      bytesWritten: frames.bytes,
      ms: performance.now() - started,
    };
  } catch (error) {
    if (!options.direct) await rm(partial, { recursive: true, force: true });
    throw error;
  } finally {
    livePartials.delete(partial);
  }
}

/** Extraction processes this process started (every `runFfmpegPass`): what tests count to prove a phase decoded nothing. */
export const passStats = { runs: 0 };

/**
 * Runs ffmpeg with `args` (which end in `-progress pipe:1` output) until it exits, calling `onFrames`
 * with each progress report's frame count. The timeout, unless given, scales with `frames`.
 */
export async function runFfmpegPass(
  args: string[],
  frames: number,
  options: { timeoutMs?: number; signal?: AbortSignal },
  onFrames: (written: number) => void,
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 60_000 + frames * 250;
  passStats.runs++;
  const proc = await startFfmpeg(args, { stdout: 'pipe', timeoutMs, signal: options.signal });
  let buffered = '';
  proc.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line.startsWith('frame=')) onFrames(Number(line.slice(6)) || 0);
  });
  await proc.done;
}

/**
 * Throws `zero_output` when a pass wrote no frame. Fewer frames than `plan.frameCount` are not an error
 * here: a truncated file decodes cleanly up to the cut, and its clip holds the last decoded frame, as a
 * player would; the engine reports it (`shortfall`, `ExtractedVideo.truncated`) and the render warns.
 */
export function checkFrameCount(count: number, plan: ExtractionPlan, videoId: string): void {
  if (count === 0) {
    throw new ExtractError(
      'zero_output',
      `ffmpeg wrote no frames for ${plan.source} from ${plan.mediaStart}s; check mediaStart and that the file is not damaged`,
      { videoId, file: plan.source },
    );
  }
}

/**
 * Frames a pass may write short of what the probe promised without the source counting as cut short:
 * a container whose stated duration runs a little past its last frame (the end of a longer audio
 * track, a rounded duration) gives one slot fewer, which shows that last frame anyway.
 */
export const EOF_SLACK_FRAMES = 1;

/** An extraction whose source decoded short of what its probe promised. */
export interface Shortfall {
  /** Slots the probe promised (`ExtractionPlan.frameCount`). */
  promised: number;
  /** Frames decoded: slots `decoded` … `promised - 1` repeat frame `decoded - 1` (or wrap, looping). */
  decoded: number;
}

/** The shortfall of `decoded` frames against `promised`, or null when within `EOF_SLACK_FRAMES`. */
export function shortfall(decoded: number, promised: number): Shortfall | null {
  return decoded < promised - EOF_SLACK_FRAMES ? { promised, decoded } : null;
}

/** Counts the contiguous frames 000000… in `dir` and their total size. */
export async function collectFrames(dir: string, plan: ExtractionPlan): Promise<{ count: number; bytes: number }> {
  const names = new Set(await readdir(dir));
  let count = 0;
  let bytes = 0;
  while (count < plan.frameCount && names.has(path.basename(framePath(dir, count, plan.format)))) {
    bytes += (await stat(framePath(dir, count, plan.format))).size;
    count++;
  }
  return { count, bytes };
}
