/**
 * The audio mix: every audible `<audio>`/`<video>` clip of a composition, trimmed, re-timed, looped,
 * placed and scaled, summed into one stereo track exactly as long as the video, and encoded (AAC for
 * MP4, Opus for WebM) by ONE ffmpeg process whose filter graph is read from a script file, so the
 * command line stays short however many tracks there are.
 *
 * It needs no video frames, so the render runs it concurrently with frame capture and muxes at the end
 * (src/encode/mux.ts).
 */
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { MediaElement } from '../composition/model.js';
import { ProcessError } from '../media/process.js';
import { ffmpegHasFilter, runFfmpeg } from '../media/tools.js';
import { buildMixGraph, placeTrack, type PlacedTrack } from './audio-graph.js';
import { commitTemp, removeQuietly, streamEnd, tempPathFor } from './audio-output.js';
import { probeAudioSource } from '../media/audio-probe.js';
import { AudioError } from '../media/errors.js';
import type { AudioTrack, MixOptions, MixResult } from './audio-types.js';

/** The mix's input, options and result types (defined in audio-types.ts), for importers of this module. */
export type { AudioTrack, MixOptions, MixResult } from './audio-types.js';

/** One AAC frame: the granularity at which an AAC stream can end. */
const AAC_FRAME = 1024;

/**
 * Mixes `tracks` into `options.outFile`: stereo at `sampleRate` (48000), exactly `options.duration`
 * seconds (rounded to whole samples; an AAC stream's end is stated to the sample in the MP4 file).
 *
 * Per track, timeline time `t` in [start, start + clip length) plays media time
 * `mediaStart + (t - start) * playbackRate` (wrapped into [mediaStart, mediaEnd) for loops), scaled by
 * `volume`; tracks are summed with no normalisation. Clip length is `duration`, or until the media ends
 * (`(mediaEnd - mediaStart) / playbackRate`) when undefined, cut at the output's end.
 *
 * Returns `null`, writing nothing, when nothing is audible: no tracks, all at volume 0, or all starting
 * at or after the output's end. A missing file, a file ffmpeg cannot read, or one without an audio
 * stream fails with an `AudioError` naming its element, and nothing is written. Cancelling rejects
 * with code `cancelled` and leaves no file.
 */
export async function mixAudio(tracks: AudioTrack[], options: MixOptions): Promise<MixResult | null> {
  const started = performance.now();
  const sampleRate = options.sampleRate ?? 48_000;
  validateOptions(options, sampleRate);
  throwIfCancelled(options.signal);

  const audible = tracks.filter((t) => validateTrack(t) && t.volume > 0);
  if (audible.length === 0) return null;

  const fromSamples = Math.round((options.from ?? 0) * sampleRate);
  const outputSamples = Math.round(options.duration * sampleRate);
  const totalSamples = fromSamples + outputSamples;
  const placed = audible
    .map((track) => placeTrack(track, sampleRate, totalSamples))
    .filter((p): p is PlacedTrack => p !== null && p.startSamples + p.clipSamples > fromSamples);
  if (placed.length === 0) return null;
  await requireSources(placed);

  const retimed = placed.some((p) => p.track.playbackRate !== 1);
  const stretcher = retimed && !(await ffmpegHasFilter('rubberband')) ? 'atempo' : 'rubberband';
  const graph = buildMixGraph(placed, sampleRate, totalSamples, stretcher, fromSamples, options.buses);
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'framesmith-mix-'));
  const temp = tempPathFor(options.outFile);
  try {
    const scriptFile = path.join(scratch, 'mix.filtergraph');
    await writeFile(scriptFile, graph.script);
    const encoder =
      options.codec === 'aac'
        ? // A sample-rate movie timescale: a millisecond edit list would change the length by up to 0.5 ms.
          ['-c:a', 'aac', '-b:a', '192k', '-movie_timescale', String(sampleRate), '-f', 'mp4']
        : ['-c:a', 'libopus', '-b:a', '160k', '-f', 'webm'];
    await runFfmpeg(
      [
        '-y',
        '-v',
        'error',
        ...graph.inputArgs,
        '-filter_complex_script',
        scriptFile,
        '-map',
        '[mix]',
        '-ar',
        String(sampleRate),
        '-ac',
        '2',
        ...encoder,
        // Same inputs, same bytes: no encoder/muxer version strings or random container UIDs.
        '-map_metadata',
        '-1',
        '-fflags',
        '+bitexact',
        '-flags:a',
        '+bitexact',
        temp,
      ],
      { signal: options.signal },
    );
    const end = await streamEnd(temp, 'a', options.signal);
    const tolerance = AAC_FRAME / sampleRate;
    if (end === null || Math.abs(end - outputSamples / sampleRate) > tolerance) {
      throw new AudioError(
        'ffmpeg_failed',
        `the audio mix came out ${end ?? 'without audio'} s long instead of ${options.duration} s; this is a framesmith bug, please report it with the composition`,
        { file: options.outFile },
      );
    }
    await commitTemp(temp, options.outFile);
    return {
      file: options.outFile,
      codec: options.codec,
      sampleRate,
      duration: end,
      trackCount: placed.length,
      inputCount: graph.inputCount,
      elapsedMs: performance.now() - started,
    };
  } catch (error) {
    await removeQuietly(temp);
    throw await diagnose(error, options, placed);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * The audio tracks of a composition's media elements, in order:
 * - `<audio>` that is not muted and has volume > 0; its file MUST have an audio stream (else an
 *   `AudioError` `no_audio_stream` naming the element);
 * - `<video>` with volume > 0 that is not muted, or that has `data-has-audio="true"` (which includes it
 *   even when muted, and then requires an audio stream); an unforced video without an audio stream is
 *   simply silent and left out.
 *
 *
 * An element's audio attributes (`element.audio`) travel with its track: its effects, its volume
 * lane (which replaces `data-volume`, as in HyperFrames) and its bus; members of a bus in
 * `hiddenBuses` (`data-hidden` on the group) are left out.
 *
 * `hasAudio(src)` is the caller's probe (src/media/probe.ts), so this module does not depend on it.
 */
export async function audioTracksFromMedia(
  media: MediaElement[],
  hasAudio: (src: string) => Promise<boolean>,
  hiddenBuses: ReadonlySet<string> = new Set(),
): Promise<AudioTrack[]> {
  const tracks: AudioTrack[] = [];
  for (const element of media) {
    const authored = element.audio;
    if (element.volume <= 0 && !authored?.envelope) continue;
    if (authored?.group !== undefined && hiddenBuses.has(authored.group)) continue;
    const forced = element.kind === 'video' && element.hasAudioAttr === true;
    if (element.muted && !forced) continue;
    const required = element.kind === 'audio' || forced;
    if (!(await hasAudio(element.src))) {
      if (!required) continue;
      const why = element.kind === 'audio' ? 'an <audio> element' : 'data-has-audio="true" asks for its sound';
      throw new AudioError(
        'no_audio_stream',
        `${element.src} has no audio stream (${why}); point it at a file with sound${forced ? ' or remove data-has-audio' : ''}`,
        { trackId: element.label, file: element.src },
      );
    }
    tracks.push({
      id: element.label,
      src: element.src,
      start: element.start,
      duration: element.duration,
      mediaStart: element.mediaStart,
      playbackRate: element.playbackRate,
      loop: element.loop,
      volume: authored?.envelope ? 1 : element.volume,
      ...(authored?.fx && authored.fx.length > 0 ? { fx: authored.fx } : {}),
      ...(authored?.envelope ? { envelope: authored.envelope } : {}),
      ...(authored?.group !== undefined ? { bus: authored.group } : {}),
    });
  }
  return tracks;
}

function validateOptions(options: MixOptions, sampleRate: number): void {
  if (!(Number.isFinite(options.duration) && options.duration > 0)) {
    throw new AudioError('invalid_input', `mix duration must be a positive number of seconds, got ${options.duration}`, {
      file: options.outFile,
    });
  }
  if (!Number.isInteger(sampleRate) || sampleRate < 8000 || sampleRate > 192_000) {
    throw new AudioError('invalid_input', `sampleRate must be an integer in 8000–192000, got ${sampleRate}`, { file: options.outFile });
  }
  if (options.codec === 'opus' && ![8000, 12000, 16000, 24000, 48000].includes(sampleRate)) {
    throw new AudioError('invalid_input', `Opus supports 8000, 12000, 16000, 24000 or 48000 Hz, not ${sampleRate}; use 48000`, {
      file: options.outFile,
    });
  }
  if (options.codec !== 'aac' && options.codec !== 'opus') {
    throw new AudioError('invalid_input', `codec must be 'aac' or 'opus', got ${String(options.codec)}`, { file: options.outFile });
  }
}

/** Throws for numbers no element can have; returns true so it can sit in a filter. */
function validateTrack(track: AudioTrack): true {
  const bad = (what: string) =>
    new AudioError('invalid_input', `${track.src}: ${what}; fix the element's attributes`, { trackId: track.id, file: track.src });
  if (!path.isAbsolute(track.src)) throw bad(`src must be an absolute file path, got ${track.src} (download remote media first)`);
  if (!(Number.isFinite(track.start) && track.start >= 0)) throw bad(`start must be >= 0 seconds, got ${track.start}`);
  if (track.duration !== undefined && !(Number.isFinite(track.duration) && track.duration >= 0))
    throw bad(`duration must be >= 0 seconds, got ${track.duration}`);
  if (!(Number.isFinite(track.mediaStart) && track.mediaStart >= 0)) throw bad(`mediaStart must be >= 0 seconds, got ${track.mediaStart}`);
  if (!(Number.isFinite(track.playbackRate) && track.playbackRate > 0)) throw bad(`playbackRate must be > 0, got ${track.playbackRate}`);
  if (!(Number.isFinite(track.volume) && track.volume >= 0)) throw bad(`volume must be >= 0, got ${track.volume}`);
  return true;
}

/** Fails with `source_missing` naming the first track whose file is not there (a stat each: cheap). */
async function requireSources(placed: readonly PlacedTrack[]): Promise<void> {
  const seen = new Map<string, Promise<boolean>>();
  for (const { track } of placed) {
    if (!seen.has(track.src))
      seen.set(
        track.src,
        stat(track.src).then(
          (st) => st.isFile(),
          () => false,
        ),
      );
  }
  for (const { track } of placed) {
    if (!(await seen.get(track.src))) {
      throw new AudioError(
        'source_missing',
        `audio source ${track.src} does not exist or is not a file; fix the element's src or restore the file`,
        { trackId: track.id, file: track.src },
      );
    }
  }
}

function throwIfCancelled(signal?: AbortSignal): void {
  if (signal?.aborted) throw new AudioError('cancelled', 'the audio mix was cancelled', {});
}

/**
 * Turns a failed mix into an `AudioError`. Sources are not probed before mixing (that would cost an
 * ffprobe, ~80 ms of CPU, per file on the success path); when ffmpeg fails, each distinct source is
 * probed (memoized) in track order and the first unreadable one, or one without audio, is reported
 * against its element.
 */
async function diagnose(error: unknown, options: MixOptions, placed: readonly PlacedTrack[]): Promise<AudioError> {
  if (error instanceof AudioError) return error;
  if (error instanceof ProcessError && error.code === 'cancelled') {
    return new AudioError('cancelled', 'the audio mix was cancelled', { file: options.outFile }, { cause: error });
  }
  const detail = error instanceof Error ? error.message : String(error);
  if (error instanceof ProcessError && error.code === 'exit') {
    for (const { track } of placed) {
      const problem = await probeAudioSource(track.src, track.id, options.signal).then(
        () => null,
        (e: unknown) => e,
      );
      if (problem instanceof AudioError) return problem;
    }
    // Readable and with audio, yet ffmpeg failed: damaged past its header. Name it when ffmpeg does.
    const culprit = placed.find((p) => error.fields.stderrTail.includes(p.track.src))?.track;
    if (culprit) {
      return new AudioError(
        'invalid_media',
        `ffmpeg could not decode ${culprit.src} (${detail}); re-export the file`,
        { trackId: culprit.id, file: culprit.src },
        { cause: error },
      );
    }
  }
  return new AudioError(
    'ffmpeg_failed',
    `mixing audio into ${options.outFile} failed: ${detail}; check free disk space and that ffmpeg has libopus/aac`,
    { file: options.outFile },
    { cause: error },
  );
}
