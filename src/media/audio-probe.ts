/**
 * What a track's source holds: that it exists, is media, has an audio stream, how long that stream
 * lasts and how many channels it has. The mix itself needs none of it up front; it probes to say which
 * element is at fault when ffmpeg fails (src/encode/audio.ts `diagnose`).
 *
 * Results are memoized per file identity (path, inode, size, mtime) for the life of the process, and in
 * the probe store across processes (src/media/probe-store.ts): a composition that uses one sound effect
 * fifty times probes it once, and an edited file is probed again.
 */
import { stat } from 'node:fs/promises';
import { ProcessError } from './process.js';
import { fileKey, readStoredProbe, writeStoredProbe } from './probe-store.js';
import { runFfprobe } from './tools.js';
import { AudioError } from './errors.js';

/** What `probeAudioSource` learned of a file's first audio stream; `sampleRate` in Hz. */
export interface AudioSourceInfo {
  /**
   * Media time at which the first audio stream ends, seconds. Media time 0 is the file's start time
   * (the instant ffmpeg's input `-ss 0` refers to), so this is the stream's end relative to it.
   */
  duration: number;
  /** Channels of the first audio stream. */
  channels: number;
  sampleRate: number;
}

const memo = new Map<string, Promise<AudioSourceInfo>>();

/**
 * Probes `file` for the track named `trackId` (the id only goes into error messages; the result is
 * shared between tracks). Rejects with `AudioError` `source_missing`, `invalid_media` or
 * `no_audio_stream`.
 */
export async function probeAudioSource(file: string, trackId: string, signal?: AbortSignal): Promise<AudioSourceInfo> {
  let key: string;
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new Error('not a regular file');
    key = `${file}\0${st.ino}\0${st.size}\0${st.mtimeMs}`;
  } catch (error) {
    throw new AudioError(
      'source_missing',
      `audio source ${file} does not exist or is not a file; fix the element's src or restore the file`,
      { trackId, file },
      { cause: error },
    );
  }
  let pending = memo.get(key);
  if (!pending) {
    pending = readInfo(file, signal);
    memo.set(key, pending);
    // A failed or cancelled probe is not cached: the file may be fixed and the render retried.
    pending.catch(() => memo.delete(key));
  }
  try {
    return await pending;
  } catch (error) {
    // The shared probe failed for whichever track asked first; name this track.
    if (error instanceof ProbeFailure) {
      throw new AudioError(error.code, error.message, { trackId, file }, { cause: error.cause });
    }
    throw error;
  }
}

/** A probe failure not yet tied to a track (the memo is shared between tracks). */
class ProbeFailure extends Error {
  constructor(
    readonly code: 'invalid_media' | 'no_audio_stream' | 'cancelled',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

interface ProbeJson {
  streams?: Array<{ codec_type?: string; channels?: number; sample_rate?: string; start_time?: string; duration?: string }>;
  format?: { start_time?: string; duration?: string };
}

async function readInfo(file: string, signal?: AbortSignal): Promise<AudioSourceInfo> {
  const key = await fileKey(file).catch(() => null);
  let json = key ? await readStoredProbe<ProbeJson>('audio', key) : undefined;
  try {
    if (!json) {
      const result = await runFfprobe(
        [
          '-v',
          'error',
          '-show_entries',
          'stream=codec_type,channels,sample_rate,start_time,duration:format=start_time,duration',
          '-of',
          'json',
          file,
        ],
        { timeoutMs: 60_000, signal },
      );
      json = JSON.parse(result.stdout) as ProbeJson;
      if (key) await writeStoredProbe('audio', key, json);
    }
  } catch (error) {
    if (error instanceof ProcessError && error.code === 'cancelled')
      throw new ProbeFailure('cancelled', 'probing was cancelled', { cause: error });
    const detail = error instanceof ProcessError ? error.fields.stderrTail.trim().split('\n').pop() : String(error);
    throw new ProbeFailure(
      'invalid_media',
      `${file} is not a media file ffmpeg can read (${detail}); re-export it as WAV, MP3, AAC/M4A, Opus or a video with sound`,
      { cause: error },
    );
  }
  const audio = json.streams?.find((s) => s.codec_type === 'audio');
  if (!audio) {
    throw new ProbeFailure(
      'no_audio_stream',
      `${file} has no audio stream; point the element at a file with sound, or remove it from the mix (mute it)`,
    );
  }
  const formatStart = num(json.format?.start_time) ?? 0;
  const streamStart = num(audio.start_time) ?? formatStart;
  const streamDuration = num(audio.duration);
  // Matroska/WebM state no per-stream duration; the container's is then the best figure.
  const end = streamDuration !== undefined ? streamStart + streamDuration : formatStart + (num(json.format?.duration) ?? NaN);
  const duration = end - formatStart;
  if (!Number.isFinite(duration) || duration <= 0) {
    throw new ProbeFailure(
      'invalid_media',
      `${file}: its audio stream has no readable duration (${String(streamDuration ?? json.format?.duration)}); re-export the file`,
    );
  }
  return { duration, channels: audio.channels ?? 2, sampleRate: Number(audio.sample_rate ?? 48000) };
}

function num(text: string | undefined): number | undefined {
  if (text === undefined || text === 'N/A') return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}
