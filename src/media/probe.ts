/**
 * What a media file holds, read with ffprobe (JSON): the first video stream's timing, size,
 * orientation, frame rate, pixel format, alpha and colour, plus whether there is audio.
 *
 * Results are memoized per file identity (device, inode, size, mtime) for the life of the process, so
 * a composition that uses one file ten times probes it once, and an edited file is probed again.
 */
import { FramesmithError } from '../errors.js';
import { stat } from 'node:fs/promises';
import { ProcessError } from './process.js';
import { fileKey, readStoredProbe, writeStoredProbe } from './probe-store.js';
import { runFfprobe, ToolUnavailableError } from './tools.js';
import { parseRational, type Rational } from './rational.js';

/**
 * Why `probeMedia` failed: `missing` (no such file, or not a regular file), `not_media` (unreadable, or
 * no video stream, no size or no duration), `no_video` (audio only).
 */
export type ProbeFailureKind = 'missing' | 'not_media' | 'no_video';

/** The file is missing, is not media ffprobe can read, or has no video stream. */
export class ProbeError extends FramesmithError<ProbeFailureKind, { file: string }> {
  override readonly name = 'ProbeError';
}

/** Identity of a file's content as the filesystem reports it; changes when the file is replaced or edited. */
export interface FileIdentity {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
}

/** What `probeMedia()` learned of a media file: its identity on disk, durations, streams, frame rate and colour. */
export interface MediaInfo {
  file: string;
  identity: FileIdentity;
  /**
   * Media duration in seconds, measured from the first video frame (media time 0): the video stream's
   * duration when the container states it, otherwise the container's.
   */
  duration: number;
  /** Presentation timestamp of the first video frame in the file, seconds. Media time 0 is this instant. */
  streamStart: number;
  /**
   * The container's index of the video stream described (ffprobe's `index`): the first video stream
   * that is not an attached picture (cover art), which can come before it. Decode it with
   * `-map 0:<index>` (`videoStreamSpecifier`), never `0:v:0`.
   */
  streamIndex: number;
  /** Displayed size: coded size with rotation applied (a 90/270° rotation swaps width and height). */
  width: number;
  height: number;
  /** Clockwise display rotation in degrees, one of 0, 90, 180, 270. */
  rotation: number;
  /** Nominal frame rate (r_frame_rate), exact. */
  frameRate: Rational;
  /** Average frame rate (avg_frame_rate) when known. */
  avgFrameRate: Rational | null;
  /** True when the nominal and average rates disagree by more than 0.5%: frame durations vary. */
  vfr: boolean;
  codec: string;
  pixelFormat: string;
  /** The video really carries alpha: a pixel format with alpha, or VP8/VP9 with the WebM alpha_mode tag. */
  hasAlpha: boolean;
  /** VP8/VP9 whose alpha lives in a side channel that only libvpx decodes (the native decoder drops it). */
  alphaNeedsLibvpx: boolean;
  colorTransfer: string | null;
  colorPrimaries: string | null;
  /** ffprobe's color_space: the YUV matrix ("bt709", "bt2020nc", …); null when untagged. */
  colorSpace: string | null;
  /** ffprobe's color_range: "tv" (limited), "pc" (full); null when untagged. */
  colorRange: string | null;
  /**
   * The YUV matrix a browser decodes the stream with, as Chromium decides it (measured by playing
   * files in the bundled headless shell): the tagged matrix when primaries, transfer and matrix are
   * all tagged; otherwise BT.601 (`smpte170m`) for full-range streams and for VP9/AV1, and for the
   * rest by the displayed height — BT.709 from 720 lines (the sample aspect ratio applied), BT.601
   * below. An untagged 1080p H.264 stream is BT.709; an untagged 360p one, or one tagged only with a
   * BT.709 matrix, BT.601.
   */
  displayMatrix: string;
  /** PQ (smpte2084) or HLG (arib-std-b67) transfer. */
  hdr: 'pq' | 'hlg' | null;
  hasAudio: boolean;
}

interface FfprobeStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  pix_fmt?: string;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  start_time?: string;
  duration?: string;
  color_transfer?: string;
  color_primaries?: string;
  color_space?: string;
  color_range?: string;
  sample_aspect_ratio?: string;
  tags?: Record<string, string>;
  side_data_list?: Array<{ side_data_type?: string; rotation?: number }>;
  disposition?: { attached_pic?: number };
  index?: number;
}

interface FfprobeOutput {
  streams?: FfprobeStream[];
  format?: { duration?: string; start_time?: string; format_name?: string };
}

const cache = new Map<string, Promise<MediaInfo>>();

function identityKey(file: string, id: FileIdentity): string {
  return `${id.dev}:${id.ino}:${id.size}:${id.mtimeMs}:${file}`;
}

/** Reads the file's identity; a missing file or a directory is a `ProbeError('missing')`. */
export async function fileIdentity(file: string): Promise<FileIdentity> {
  try {
    const s = await stat(file);
    if (!s.isFile()) throw new ProbeError('missing', `${file} is not a file: point src at a video file`, { file });
    return { dev: s.dev, ino: s.ino, size: s.size, mtimeMs: s.mtimeMs };
  } catch (error) {
    if (error instanceof ProbeError) throw error;
    throw new ProbeError(
      'missing',
      `video file not found: ${file} — check the path (relative paths resolve against the spec/composition directory)`,
      { file },
      { cause: error },
    );
  }
}

/**
 * Probes `file` (absolute path), memoized per file identity, in memory and in the probe store
 * (probe-store.ts) when one is in use. Throws `ProbeError` or `ToolUnavailableError`.
 */
export async function probeMedia(file: string): Promise<MediaInfo> {
  const identity = await fileIdentity(file);
  const key = identityKey(file, identity);
  let entry = cache.get(key);
  if (!entry) {
    entry = runProbe(file, identity);
    cache.set(key, entry);
    // Failures are not memoized: the cause (a missing tool, a file being written) may go away.
    entry.catch(() => cache.delete(key));
  }
  return entry;
}

/** Forgets memoized probes (tests). */
export function clearProbeCache(): void {
  cache.clear();
}

/** ffprobe's streams and format of `file`: from the probe store when a run already asked, else ffprobe. */
async function ffprobeOutput(file: string): Promise<FfprobeOutput> {
  const key = await fileKey(file).catch(() => null);
  const stored = key ? await readStoredProbe<FfprobeOutput>('streams', key) : undefined;
  if (stored) return stored;
  let stdout: string;
  try {
    ({ stdout } = await runFfprobe(['-v', 'error', '-show_streams', '-show_format', '-of', 'json', file], { timeoutMs: 60_000 }));
  } catch (error) {
    if (error instanceof ToolUnavailableError) throw error;
    const detail = error instanceof ProcessError ? (error.fields.stderrTail.trim().split('\n').pop() ?? '') : String(error);
    throw new ProbeError(
      'not_media',
      `${file} is not a readable media file (${detail || 'ffprobe failed'}): re-export it as MP4 (H.264) or WebM (VP9)`,
      { file },
      { cause: error },
    );
  }
  let parsed: FfprobeOutput;
  try {
    parsed = JSON.parse(stdout) as FfprobeOutput;
  } catch (error) {
    throw new ProbeError('not_media', `${file}: ffprobe output could not be parsed`, { file }, { cause: error });
  }
  if (key) await writeStoredProbe('streams', key, parsed);
  return parsed;
}

async function runProbe(file: string, identity: FileIdentity): Promise<MediaInfo> {
  const parsed = await ffprobeOutput(file);
  const streams = parsed.streams ?? [];
  const video = streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  const hasAudio = streams.some((s) => s.codec_type === 'audio');
  if (!video) {
    const what = hasAudio ? 'is audio-only' : 'has no video stream';
    throw new ProbeError(
      hasAudio ? 'no_video' : 'not_media',
      `${file} ${what}: use it in an <audio> element, or point the <video> at a file with a video track`,
      { file },
    );
  }
  const codedW = video.width ?? 0;
  const codedH = video.height ?? 0;
  if (!codedW || !codedH)
    throw new ProbeError('not_media', `${file}: the video stream has no size (damaged file?): re-export it`, { file });

  const rotation = readRotation(video);
  const swap = rotation === 90 || rotation === 270;
  const frameRate = parseRational(video.r_frame_rate ?? '') ?? parseRational(video.avg_frame_rate ?? '') ?? { num: 30, den: 1 };
  const avgFrameRate = parseRational(video.avg_frame_rate ?? '');
  const vfr = avgFrameRate !== null && Math.abs(avgFrameRate.num / avgFrameRate.den / (frameRate.num / frameRate.den) - 1) > 0.005;

  const streamStart = num(video.start_time) ?? num(parsed.format?.start_time) ?? 0;
  const duration = num(video.duration) ?? tagDuration(video.tags) ?? durationFromFormat(parsed, streamStart);
  if (duration === null || !(duration > 0))
    throw new ProbeError('not_media', `${file}: the video has no duration (damaged or still image?): re-export it`, { file });

  const codec = video.codec_name ?? 'unknown';
  const pixelFormat = video.pix_fmt ?? 'unknown';
  const alphaTag = tag(video.tags, 'alpha_mode') === '1';
  const alphaNeedsLibvpx = (codec === 'vp8' || codec === 'vp9') && alphaTag;
  const hasAlpha = alphaNeedsLibvpx || pixelFormatHasAlpha(pixelFormat);
  const colorTransfer = video.color_transfer ?? null;
  const hdr = colorTransfer === 'smpte2084' ? 'pq' : colorTransfer === 'arib-std-b67' ? 'hlg' : null;

  return {
    file,
    identity,
    duration,
    streamStart,
    streamIndex: video.index ?? 0,
    width: swap ? codedH : codedW,
    height: swap ? codedW : codedH,
    rotation,
    frameRate,
    avgFrameRate,
    vfr,
    codec,
    pixelFormat,
    hasAlpha,
    alphaNeedsLibvpx,
    colorTransfer,
    colorPrimaries: video.color_primaries ?? null,
    colorSpace: video.color_space ?? null,
    colorRange: video.color_range ?? null,
    displayMatrix: displayMatrix(video, codec, codedH),
    hdr,
    hasAudio,
  };
}

const tagged = (value: string | undefined) => value !== undefined && !/^(unknown|unspecified|reserved)$/.test(value);

/** See MediaInfo.displayMatrix. */
function displayMatrix(video: FfprobeStream, codec: string, codedHeight: number): string {
  if (tagged(video.color_space) && tagged(video.color_primaries) && tagged(video.color_transfer)) return video.color_space!;
  if (video.color_range === 'pc' || codec === 'vp9' || codec === 'av1') return 'smpte170m';
  const sar = parseRational((video.sample_aspect_ratio ?? '').replace(':', '/'));
  // Chromium's natural size stretches the shorter side by the pixel aspect ratio.
  const aspect = sar && sar.num > 0 && sar.den > 0 ? sar.num / sar.den : 1;
  const naturalHeight = aspect < 1 ? Math.round(codedHeight / aspect) : codedHeight;
  return naturalHeight >= 720 ? 'bt709' : 'smpte170m';
}

function num(value: string | undefined): number | null {
  if (value === undefined || value === 'N/A') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

function tag(tags: Record<string, string> | undefined, name: string): string | undefined {
  if (!tags) return undefined;
  const found = Object.keys(tags).find((k) => k.toLowerCase() === name.toLowerCase());
  return found === undefined ? undefined : tags[found];
}

/** Matroska stores per-stream duration as a "DURATION" tag, "HH:MM:SS.nnnnnnnnn". */
function tagDuration(tags: Record<string, string> | undefined): number | null {
  const text = tag(tags, 'duration');
  const match = text ? /^(\d+):(\d+):(\d+(?:\.\d+)?)$/.exec(text) : null;
  return match ? Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3]) : null;
}

function durationFromFormat(parsed: FfprobeOutput, streamStart: number): number | null {
  const total = num(parsed.format?.duration);
  if (total === null) return null;
  // The container's duration counts from the earliest stream; media time counts from the first video frame.
  const formatStart = num(parsed.format?.start_time) ?? 0;
  return total - Math.max(0, streamStart - formatStart);
}

function readRotation(stream: FfprobeStream): number {
  let degrees = 0;
  const matrix = stream.side_data_list?.find((d) => typeof d.rotation === 'number');
  if (matrix?.rotation !== undefined) {
    // The display matrix states counter-clockwise rotation; players turn the picture the other way.
    degrees = -matrix.rotation;
  } else {
    const rotate = num(tag(stream.tags, 'rotate'));
    if (rotate !== null) degrees = rotate;
  }
  const normalized = (((Math.round(degrees / 90) * 90) % 360) + 360) % 360;
  return normalized;
}

/** Pixel formats whose name says they carry alpha (yuva420p, rgba, argb, bgra, ya8, gbrap, ...). */
export function pixelFormatHasAlpha(pixelFormat: string): boolean {
  return /^(yuva|gbrap|ya\d)|rgba|bgra|argb|abgr/.test(pixelFormat);
}

/**
 * The ffmpeg stream specifier of a video stream: its container index (`MediaInfo.streamIndex`), or
 * `v:0` (the first video stream) when unknown — a recipe frozen before the index was recorded.
 */
export function videoStreamSpecifier(index: number | null | undefined): string {
  return index === null || index === undefined ? 'v:0' : String(index);
}
