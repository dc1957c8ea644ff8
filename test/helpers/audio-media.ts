/**
 * Test media for the audio mix: files holding 1 kHz beeps at known media times (silence elsewhere),
 * generated with lavfi `aevalsrc`, and the tools to find those beeps again in a decoded output.
 *
 * Reading back: every file is decoded to raw mono float PCM at 48 kHz (`-f f32le -ar 48000 -`), the same
 * for every codec, so analysis never depends on how a file was encoded. Mono is the AVERAGE of the two
 * channels (an explicit `pan`), not `-ac 1`: ffmpeg's default stereo→mono downmix sums the channels at
 * −3 dB each, which would read a centred signal 3 dB louder than it is and hide level errors.
 */
import path from 'node:path';
import { runFfprobe, startFfmpeg } from '../../src/media/tools.js';
import { ffmpegOnce } from './media-store.js';

export const ANALYSIS_RATE = 48_000;

export interface Beep {
  /** Media time the beep starts, seconds. */
  at: number;
  /** Length, seconds. */
  length: number;
}

export interface BeepFileOptions {
  /** Total length, seconds. */
  duration: number;
  beeps: Beep[];
  /** Peak amplitude of the beeps. Default 0.5. */
  amplitude?: number;
  /** Default 1 (mono). */
  channels?: 1 | 2;
  /** Default 44100 — deliberately not the mix rate, so resampling is exercised. */
  sampleRate?: number;
  /** `wav` (PCM), `m4a` (AAC) or `mp4` (a small H.264 video carrying the beeps as AAC audio). */
  format?: 'wav' | 'm4a' | 'mp4';
  /** `mp4` only: the audio stream starts this many seconds after the video (its first sample is media time `audioOffset`). */
  audioOffset?: number;
}

/** The aevalsrc expression: a 1 kHz sine inside each beep's window, 0 elsewhere. */
function beepExpression(beeps: Beep[], amplitude: number): string {
  if (beeps.length === 0) return '0';
  const windows = beeps.map((b) => `between(t,${b.at},${b.at + b.length})`).join('+');
  // `\,` — commas inside a filter option value must be escaped from the filtergraph parser.
  return `${amplitude}*sin(2*PI*1000*t)*gt(${windows},0)`.replace(/,/g, '\\,');
}

/** Writes a file with beeps at the given media times into `dir/name`, returns its path. */
export async function makeBeepFile(dir: string, name: string, options: BeepFileOptions): Promise<string> {
  const file = path.join(dir, name);
  const channels = options.channels ?? 1;
  const rate = options.sampleRate ?? 44_100;
  const expr = beepExpression(options.beeps, options.amplitude ?? 0.5);
  const exprs = channels === 2 ? `${expr}|${expr}` : expr;
  const audio = `aevalsrc=exprs=${exprs}:s=${rate}:d=${options.duration}`;
  const format = options.format ?? 'wav';
  if (format === 'mp4') {
    await ffmpegOnce(
      [
        '-y',
        '-v',
        'error',
        '-f',
        'lavfi',
        '-i',
        `color=c=gray:s=64x64:r=30:d=${options.duration}`,
        ...(options.audioOffset ? ['-itsoffset', String(options.audioOffset)] : []),
        '-f',
        'lavfi',
        '-i',
        audio,
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-pix_fmt',
        'yuv420p',
        '-c:a',
        'aac',
        '-b:a',
        '128k',
        '-f',
        'mp4',
      ],
      file,
    );
  } else {
    const codec = format === 'm4a' ? ['-c:a', 'aac', '-b:a', '128k', '-f', 'mp4'] : ['-c:a', 'pcm_s16le', '-f', 'wav'];
    await ffmpegOnce(['-y', '-v', 'error', '-f', 'lavfi', '-i', audio, ...codec], file);
  }
  return file;
}

/** Writes a small video with no audio stream (for "no audio" cases). */
export async function makeSilentVideo(dir: string, name: string, duration: number): Promise<string> {
  const file = path.join(dir, name);
  await ffmpegOnce(
    [
      '-y',
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      `color=c=gray:s=64x64:r=30:d=${duration}`,
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      '-f',
      'mp4',
    ],
    file,
  );
  return file;
}

/** Encodes a small test video (no audio) of `frames` frames at 30 fps: H.264 in MP4 or VP9 in WebM. */
export async function makeVideo(dir: string, name: string, frames: number, codec: 'h264' | 'vp9'): Promise<string> {
  const file = path.join(dir, name);
  const enc =
    codec === 'h264'
      ? ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-f', 'mp4']
      : ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-pix_fmt', 'yuv420p', '-f', 'webm'];
  await ffmpegOnce(['-y', '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=s=64x64:r=30', '-frames:v', String(frames), ...enc], file);
  return file;
}

/** Decodes the first audio stream of `file` (stereo, as the mix writes) to mono float samples at 48 kHz. */
export async function decodeMono(file: string): Promise<Float32Array> {
  const args = [
    '-v',
    'error',
    '-i',
    file,
    '-map',
    '0:a:0',
    '-af',
    'pan=mono|c0=0.5*c0+0.5*c1',
    '-f',
    'f32le',
    '-ar',
    String(ANALYSIS_RATE),
    '-',
  ];
  const proc = await startFfmpeg(args, { stdout: 'pipe' });
  const chunks: Buffer[] = [];
  proc.stdout!.on('data', (chunk: Buffer) => chunks.push(chunk));
  await proc.done;
  const bytes = Buffer.concat(chunks);
  // Copy into an aligned buffer: a Buffer's byteOffset need not be a multiple of 4.
  const aligned = new Uint8Array(bytes.length);
  aligned.set(bytes);
  return new Float32Array(aligned.buffer, 0, Math.floor(bytes.length / 4));
}

export interface Burst {
  /** Seconds from the start of the decoded stream to the first sample above the threshold. */
  start: number;
  /** Seconds to the last sample above the threshold. */
  end: number;
}

/**
 * Finds the beeps in `samples`: runs of samples with |x| >= `threshold`, merged when closer than
 * `gap` seconds (a 1 kHz sine crosses zero every 0.5 ms, so a beep is one run), in time order.
 */
export function findBursts(samples: Float32Array, threshold = 0.1, gap = 0.01): Burst[] {
  const bursts: Burst[] = [];
  const gapSamples = gap * ANALYSIS_RATE;
  let first = -1;
  let last = -1;
  for (let i = 0; i < samples.length; i++) {
    if (Math.abs(samples[i]!) < threshold) continue;
    if (first >= 0 && i - last > gapSamples) {
      bursts.push({ start: first / ANALYSIS_RATE, end: last / ANALYSIS_RATE });
      first = i;
    } else if (first < 0) {
      first = i;
    }
    last = i;
  }
  if (first >= 0) bursts.push({ start: first / ANALYSIS_RATE, end: last / ANALYSIS_RATE });
  return bursts;
}

/** Root mean square of samples in [from, to) seconds. */
export function rms(samples: Float32Array, from: number, to: number): number {
  const a = Math.max(0, Math.floor(from * ANALYSIS_RATE));
  const b = Math.min(samples.length, Math.floor(to * ANALYSIS_RATE));
  let sum = 0;
  for (let i = a; i < b; i++) sum += samples[i]! * samples[i]!;
  return b > a ? Math.sqrt(sum / (b - a)) : 0;
}

/** Codec names of `file`'s streams, in order (e.g. ['h264', 'aac']). */
export async function streamCodecs(file: string): Promise<string[]> {
  const result = await runFfprobe(['-v', 'error', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', file]);
  return result.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

/** Whether `file` has an audio stream (the test's stand-in for src/media/probe.ts's hasAudio). */
export async function fileHasAudio(file: string): Promise<boolean> {
  return (await streamCodecsOfType(file, 'audio')).length > 0;
}

async function streamCodecsOfType(file: string, type: 'audio' | 'video'): Promise<string[]> {
  const result = await runFfprobe([
    '-v',
    'error',
    '-select_streams',
    type === 'audio' ? 'a' : 'v',
    '-show_entries',
    'stream=codec_name',
    '-of',
    'csv=p=0',
    file,
  ]);
  return result.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}
