/**
 * Turns audio tracks into one ffmpeg invocation: the input arguments and a filter graph script.
 *
 * Inputs: one `-i` per distinct (file, mediaStart, read length), not `amovie` sources in the script.
 * Both open every source when the graph starts, so neither avoids holding 100+ files open at once
 * (one descriptor, one demuxer and one decoder each: a few hundred KB per input, and ~1000 inputs before
 * a default 1024-descriptor limit). `-i` wins because (1) paths travel as plain argv elements and never
 * need filtergraph escaping (a user's path may hold `:`, `,`, `'`, `[`); (2) input `-ss` seeks and then
 * trims decoded audio to the exact sample, while `amovie`'s seek_point lands on a packet boundary and
 * would need a second trim; (3) input `-t` stops demuxing a file once the clip has what it needs;
 * (4) tracks that share a file and trim share one input through `asplit`, so fifty uses of one sound
 * effect cost one decoder.
 *
 * Everything downstream counts samples, not timestamps (`asetpts=N/SR/TB`, `atrim=end_sample`,
 * `adelay=…S`), so the placement is exact to the sample at the output rate.
 */
import type { AudioSourceInfo } from './audio-probe.js';
import type { AudioTrack } from './audio-types.js';

/** A track with its source probed, ready to place. */
export interface ProbedTrack {
  track: AudioTrack;
  info: AudioSourceInfo;
}

/** A track's resolved placement, in samples at the output rate. */
export interface PlacedTrack extends ProbedTrack {
  /** Samples of the clip on the timeline (already cut at the output's end). */
  clipSamples: number;
  /** Timeline position of the clip's first sample. */
  startSamples: number;
  /** Seconds of media the input must read from mediaStart; undefined = to the end of the file (loops). */
  readSeconds?: number;
  /** Samples in one loop cycle (media time [mediaStart, end)), for loops. */
  cycleSamples?: number;
}

/** Extra media read past what a clip needs, seconds: atempo needs a little look-ahead to finish its last window. */
const READ_MARGIN_S = 0.25;

/**
 * Where a track sounds within an output of `totalSamples`, or `null` when it is inaudible there
 * (starts after the end, mediaStart past the media's end, zero length).
 */
export function placeTrack(probed: ProbedTrack, sampleRate: number, totalSamples: number): PlacedTrack | null {
  const { track, info } = probed;
  const mediaLeft = info.duration - track.mediaStart;
  if (mediaLeft <= 0) return null;
  const startSamples = Math.round(track.start * sampleRate);
  if (startSamples >= totalSamples) return null;
  const natural = track.loop ? Infinity : mediaLeft / track.playbackRate;
  const timelineSeconds = Math.min(track.duration ?? natural, totalSamples / sampleRate - track.start);
  const clipSamples = Math.min(Math.round(timelineSeconds * sampleRate), totalSamples - startSamples);
  if (clipSamples <= 0) return null;
  if (track.loop) {
    // Rounded up: aloop replays what it has when the input ends before `size`, so an over-estimate is
    // harmless, while an under-estimate would clip the end of every cycle.
    return { ...probed, startSamples, clipSamples, cycleSamples: Math.ceil(mediaLeft * sampleRate) };
  }
  const readSeconds = (clipSamples / sampleRate) * track.playbackRate + READ_MARGIN_S;
  return { ...probed, startSamples, clipSamples, readSeconds: readSeconds < mediaLeft ? readSeconds : undefined };
}

/**
 * `atempo` factors whose product is `rate`. ffmpeg 5.1 accepts 0.5–100 per instance, so slower rates
 * are reached by chaining 0.5s (each instance keeps pitch; the chain's quality loss is small for the
 * 0.1–0.5 range compositions use).
 */
export function tempoChain(rate: number): number[] {
  if (rate === 1) return [];
  const factors: number[] = [];
  let rest = rate;
  while (rest < 0.5) {
    factors.push(0.5);
    rest /= 0.5;
  }
  while (rest > 100) {
    factors.push(100);
    rest /= 100;
  }
  if (Math.abs(rest - 1) > 1e-12) factors.push(rest);
  return factors;
}

export interface MixGraph {
  /** Input arguments (`-ss … -t … -i file` per input), in input order. */
  inputArgs: string[];
  inputCount: number;
  /** The filter graph, for `-filter_complex_script`; its output is labelled `[mix]`. */
  script: string;
}

/** Builds the inputs and the filter graph that mixes `tracks` into `totalSamples` of stereo at `sampleRate`. */
export function buildMixGraph(tracks: readonly PlacedTrack[], sampleRate: number, totalSamples: number): MixGraph {
  const inputs = new Map<string, { index: number; track: PlacedTrack; users: number[] }>();
  const inputOfTrack: number[] = [];
  tracks.forEach((placed, i) => {
    const key = `${placed.track.src}\0${placed.track.mediaStart}\0${placed.readSeconds ?? 'end'}`;
    let input = inputs.get(key);
    if (!input) {
      input = { index: inputs.size, track: placed, users: [] };
      inputs.set(key, input);
    }
    input.users.push(i);
    inputOfTrack.push(input.index);
  });

  const inputArgs: string[] = [];
  const lines: string[] = [];
  // Per track: the label its chain starts from.
  const sourceLabel: string[] = new Array<string>(tracks.length);
  for (const input of inputs.values()) {
    const { track, readSeconds, info } = input.track;
    if (track.mediaStart > 0) inputArgs.push('-ss', seconds(track.mediaStart));
    if (readSeconds !== undefined) inputArgs.push('-t', seconds(readSeconds));
    inputArgs.push('-i', track.src);
    // Browsers play a mono file at full level on both speakers; ffmpeg's default upmix would put it
    // 3 dB lower on each, so mono is spread explicitly.
    const upmix = info.channels === 1 ? 'pan=stereo|c0=c0|c1=c0,' : '';
    // async=1:first_pts=0 fills with silence from media time 0 (the seek point) to the stream's first
    // sample, so audio that starts late in its file (a video's audio at 0.5 s) keeps its place; after
    // that, timestamps are dropped for a plain sample count.
    const convert = `${upmix}aresample=${sampleRate}:async=1:first_pts=0,aformat=sample_fmts=fltp:sample_rates=${sampleRate}:channel_layouts=stereo,asetpts=N/SR/TB`;
    if (input.users.length === 1) {
      lines.push(`[${input.index}:a:0]${convert}[in${input.index}];`);
      sourceLabel[input.users[0]!] = `in${input.index}`;
    } else {
      const outs = input.users.map((_, k) => `[in${input.index}_${k}]`).join('');
      lines.push(`[${input.index}:a:0]${convert},asplit=${input.users.length}${outs};`);
      input.users.forEach((trackIndex, k) => { sourceLabel[trackIndex] = `in${input.index}_${k}`; });
    }
  }

  tracks.forEach((placed, i) => {
    const { track } = placed;
    const chain: string[] = [];
    if (placed.cycleSamples !== undefined) chain.push(`aloop=loop=-1:size=${placed.cycleSamples}`);
    for (const factor of tempoChain(track.playbackRate)) chain.push(`atempo=${factor}`);
    chain.push(`atrim=end_sample=${placed.clipSamples}`);
    // Gain before the delay, so it scales only the clip's samples, not the silence in front of it.
    if (track.volume !== 1) chain.push(`volume=${track.volume}:precision=float`);
    // `all=1` applies the one delay to every channel.
    if (placed.startSamples > 0) chain.push(`adelay=delays=${placed.startSamples}S:all=1`);
    lines.push(`[${sourceLabel[i]}]${chain.join(',')}[t${i}];`);
  });

  // normalize=0: a plain sum, so each track's level is exactly the volume the user set (amix would
  // otherwise divide by the number of live inputs). The pad + trim make the length exact.
  const mixInputs = tracks.map((_, i) => `[t${i}]`).join('');
  lines.push(`${mixInputs}amix=inputs=${tracks.length}:normalize=0:dropout_transition=0:duration=longest,apad=whole_len=${totalSamples},atrim=end_sample=${totalSamples}[mix]`);
  return { inputArgs, inputCount: inputs.size, script: lines.join('\n') + '\n' };
}

/** Seconds for ffmpeg's command line: fixed-point, never exponent notation. */
function seconds(value: number): string {
  return value.toFixed(6);
}
