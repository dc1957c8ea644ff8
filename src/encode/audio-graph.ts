/**
 * Turns audio tracks into one ffmpeg invocation: the input arguments and a filter graph script.
 *
 * Inputs: one `-i` per distinct (file, mediaStart, read length), not `amovie` sources in the script.
 * Both open every source when the graph starts, so neither avoids holding 100+ files open at once:
 * one descriptor, one demuxer, one decoder and (ffmpeg 5.1) one reader thread each. Measured with 3 s
 * AAC tracks: 60 MB RSS for 1 input, 185 MB for 100, 385 MB for 300; a default 1024-descriptor limit
 * allows roughly 1000 inputs. `-i` wins because (1) paths travel as plain argv elements and never
 * need filtergraph escaping (a user's path may hold `:`, `,`, `'`, `[`); (2) input `-ss` seeks and then
 * trims decoded audio to the exact sample, while `amovie`'s seek_point lands on a packet boundary and
 * would need a second trim; (3) input `-t` stops demuxing a file once the clip has what it needs;
 * (4) tracks that share a file and trim share one input through `asplit`, so fifty uses of one sound
 * effect cost one decoder.
 *
 * Everything downstream counts samples, not timestamps (`asetpts=N/SR/TB`, `atrim=end_sample`,
 * `adelay=…S`), so the placement is exact to the sample at the output rate.
 */
import { envelopeFilters, fxGraphLines, fxTailSeconds } from './audio-fx.js';
import type { AudioBus, AudioTrack } from './audio-types.js';

/** A track's resolved placement, in samples at the output rate. */
export interface PlacedTrack {
  track: AudioTrack;
  /** Samples of the clip on the timeline (already cut at the output's end). */
  clipSamples: number;
  /** Timeline position of the clip's first sample. */
  startSamples: number;
  /** Seconds of media the input must read from mediaStart; undefined = to the end of the file. */
  readSeconds?: number;
  /** For loops: the most media samples the clip can consume (aloop's `size`). */
  loopSamples?: number;
}

/** Extra media read past what a clip needs, seconds: a time stretcher needs a little look-ahead to finish its last window. */
const READ_MARGIN_S = 0.25;

/**
 * Where a track sounds within an output of `totalSamples`, or `null` when it cannot be heard there
 * (starts at or after the end, zero length).
 *
 * The media's own length is not needed, so no source is probed: a clip without `duration` is placed
 * as if it ran to the output's end and simply falls silent when its input reaches end of file; a loop
 * gives aloop the most samples the clip could consume, and aloop, when the input ends first, repeats
 * what it received: exactly the window [mediaStart, end of media).
 */
export function placeTrack(track: AudioTrack, sampleRate: number, totalSamples: number): PlacedTrack | null {
  const startSamples = Math.round(track.start * sampleRate);
  if (startSamples >= totalSamples) return null;
  const timelineSeconds = Math.min(track.duration ?? Infinity, totalSamples / sampleRate - track.start);
  const clipSamples = Math.min(Math.round(timelineSeconds * sampleRate), totalSamples - startSamples);
  if (clipSamples <= 0) return null;
  if (track.loop) {
    // aloop holds what it buffers in memory (stereo float: 384 KB per second at 48 kHz): one cycle
    // when the media is shorter than the clip, else the clip's media. The price of looping exactly
    // [mediaStart, end) rather than the whole file (`-stream_loop` restarts at media time 0).
    return { track, startSamples, clipSamples, loopSamples: Math.ceil(clipSamples * track.playbackRate) + sampleRate };
  }
  const readSeconds = track.duration === undefined ? undefined : (clipSamples / sampleRate) * track.playbackRate + READ_MARGIN_S;
  return { track, startSamples, clipSamples, readSeconds };
}

/** How a track's tempo is changed when its playbackRate is not 1 (both keep the pitch, as browsers do). */
export type TimeStretcher = 'rubberband' | 'atempo';

/**
 * The filters that play a track at `rate` (none at rate 1, where placement is sample-exact).
 *
 * `rubberband` with short windows is preferred: overlap-add stretchers move a sharp onset EARLIER, by
 * up to a window over the rate, and atempo's windows are long. Measured on a 50 ms 1 kHz beep (onset
 * / end error): atempo −16/−5 ms at 2×, −18/−4 ms at 0.75×, −56/−6 ms at 0.5×, −94/−12 ms at 0.4×;
 * rubberband (window=short) +5/+5, −5/+2, −16/+7, −24/+8 ms. It costs more CPU (60 s of stereo at
 * 0.5×: 3.3 s against 0.2 s), paid only by re-timed tracks, in the mix that runs alongside capture.
 * atempo is the fallback for ffmpeg builds without librubberband.
 */
export function tempoFilters(rate: number, stretcher: TimeStretcher): string[] {
  if (rate === 1) return [];
  if (stretcher === 'rubberband') return [`rubberband=tempo=${rate}:window=short:channels=together`];
  return tempoChain(rate).map((factor) => `atempo=${factor}`);
}

/** `atempo` factors whose product is `rate`: ffmpeg 5.1 accepts 0.5–100 per instance, so slower rates chain 0.5s. */
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

/** The ffmpeg inputs and filter graph of one mix (from buildMixGraph). */
export interface MixGraph {
  /** Input arguments (`-ss … -t … -i file` per input), in input order. */
  inputArgs: string[];
  /** Inputs opened: one per distinct (file, mediaStart, read length); tracks sharing one share the input. */
  inputCount: number;
  /** The filter graph, for `-filter_complex_script`; its output is labelled `[mix]`. */
  script: string;
}

/** Builds the inputs and the filter graph that mixes `tracks` into `totalSamples` of stereo at `sampleRate`. */
export function buildMixGraph(
  tracks: readonly PlacedTrack[],
  sampleRate: number,
  totalSamples: number,
  stretcher: TimeStretcher = 'rubberband',
  fromSamples = 0,
  buses: readonly AudioBus[] = [],
): MixGraph {
  const inputs = new Map<string, { index: number; track: PlacedTrack; users: number[] }>();
  tracks.forEach((placed, i) => {
    const key = `${placed.track.src}\0${placed.track.mediaStart}\0${placed.readSeconds ?? 'end'}`;
    let input = inputs.get(key);
    if (!input) {
      input = { index: inputs.size, track: placed, users: [] };
      inputs.set(key, input);
    }
    input.users.push(i);
  });

  const inputArgs: string[] = [];
  const lines: string[] = [];
  // Per track: the label its chain starts from.
  const sourceLabel: string[] = new Array<string>(tracks.length);
  for (const input of inputs.values()) {
    const { track, readSeconds } = input.track;
    if (track.mediaStart > 0) inputArgs.push('-ss', seconds(track.mediaStart));
    if (readSeconds !== undefined) inputArgs.push('-t', seconds(readSeconds));
    inputArgs.push('-i', track.src);
    // Browsers play a mono file at full level on both speakers; ffmpeg's mono→stereo upmix puts it
    // 3 dB lower on each. So: let the format negotiation keep mono as mono (anything else becomes stereo
    // through ffmpeg's standard downmix), then `pan` copies the centre channel (present only for mono)
    // to both sides and passes left/right through (present only for stereo); absent channels read as 0.
    const upmix = 'aformat=channel_layouts=mono|stereo,pan=stereo|c0=FL+FC|c1=FR+FC,';
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
      input.users.forEach((trackIndex, k) => {
        sourceLabel[trackIndex] = `in${input.index}_${k}`;
      });
    }
  }

  tracks.forEach((placed, i) => {
    const { track } = placed;
    const chain: string[] = [];
    if (placed.loopSamples !== undefined) chain.push(`aloop=loop=-1:size=${placed.loopSamples}`);
    chain.push(...tempoFilters(track.playbackRate, stretcher));
    chain.push(`atrim=end_sample=${placed.clipSamples}`);
    let from = sourceLabel[i]!;
    if (track.fx && track.fx.length > 0) {
      // Padded so an echo can ring on past the clip's end; the effects see the clip before its gain.
      const tail = Math.round(fxTailSeconds(track.fx) * sampleRate);
      if (tail > 0) chain.push(`apad=pad_len=${tail}`);
      lines.push(`[${from}]${chain.join(',')}[p${i}];`, ...fxGraphLines(`p${i}`, `x${i}`, track.fx, `t${i}_`));
      chain.length = 0;
      chain.push(`atrim=end_sample=${placed.clipSamples + tail}`);
      from = `x${i}`;
    }
    if (track.envelope) chain.push(...envelopeFilters(track.envelope));
    // Gain before the delay, so it scales only the clip's samples, not the silence in front of it.
    if (track.volume !== 1) chain.push(`volume=${track.volume}:precision=float`);
    // `all=1` applies the one delay to every channel.
    if (placed.startSamples > 0) chain.push(`adelay=delays=${placed.startSamples}S:all=1`);
    lines.push(`[${from}]${chain.length > 0 ? chain.join(',') : 'anull'}[t${i}];`);
  });

  // Buses: their clips summed, then the bus's own effects, envelope (timeline seconds) and gain.
  const master: string[] = [];
  const members = new Map<string, string[]>();
  const known = new Set(buses.map((b) => b.key));
  tracks.forEach(({ track }, i) => {
    if (track.bus !== undefined && known.has(track.bus)) members.set(track.bus, [...(members.get(track.bus) ?? []), `t${i}`]);
    else master.push(`t${i}`);
  });
  buses.forEach((bus, b) => {
    const inputs = members.get(bus.key);
    if (!inputs) return;
    // Padded to the output's end so the bus's effects run on time 0… and their tails are not cut early.
    const summed = mixTree(inputs, `bus${b}_`, lines);
    lines.push(`[${summed}]apad=whole_len=${totalSamples},asetpts=N/SR/TB[bp${b}];`);
    let from = `bp${b}`;
    if (bus.fx && bus.fx.length > 0) {
      lines.push(...fxGraphLines(from, `bx${b}`, bus.fx, `bus${b}_`));
      from = `bx${b}`;
    }
    const post = [`atrim=end_sample=${totalSamples}`, ...(bus.envelope ? envelopeFilters(bus.envelope) : [])];
    if (bus.volume !== 1) post.push(`volume=${bus.volume}:precision=float`);
    lines.push(`[${from}]${post.join(',')}[bus${b}];`);
    master.push(`bus${b}`);
  });

  const labels = [mixTree(master, 'm', lines)];
  // The pad + trim make the length exact whatever the tracks' ends. amix stamps its output with the
  // timestamps of whichever input it heard from first (an input that never produced a sample can shift
  // them), so the output is restamped from 0 by sample count.
  // A frame range keeps [fromSamples, totalSamples) of the timeline.
  const head = fromSamples > 0 ? `:start_sample=${fromSamples}` : '';
  lines.push(
    `${labels.map((l) => `[${l}]`).join('')}${amix(labels.length)},apad=whole_len=${totalSamples},atrim=end_sample=${totalSamples}${head},asetpts=N/SR/TB[mix]`,
  );
  return { inputArgs, inputCount: inputs.size, script: `${lines.join('\n')}\n` };
}

/**
 * Sums `labels` into one label, appending the lines to `lines`: a tree of amix nodes of at most
 * MIX_FAN_IN inputs (one flat amix over N inputs does O(N) work per frame it pulls from each input,
 * O(N²) overall; measured: 300 tracks flat 12.1 s CPU, as a tree 6.5 s). The last level is left for
 * the caller (returned as is when there is one label, else summed here).
 */
function mixTree(labels: string[], prefix: string, lines: string[]): string {
  let level = labels;
  let depth = 0;
  while (level.length > 1) {
    const next: string[] = [];
    for (let g = 0; g * MIX_FAN_IN < level.length; g++) {
      const group = level.slice(g * MIX_FAN_IN, (g + 1) * MIX_FAN_IN);
      const out = `${prefix}${depth}_${g}`;
      lines.push(`${group.map((l) => `[${l}]`).join('')}${amix(group.length)}[${out}];`);
      next.push(out);
    }
    level = next;
    depth++;
  }
  return level[0]!;
}

/** Inputs per amix node. */
const MIX_FAN_IN = 16;

/**
 * normalize=0: a plain sum, so each track's level is exactly the volume the user set (by default amix
 * divides by the number of live inputs, and changes that divisor as inputs end).
 */
function amix(inputs: number): string {
  return `amix=inputs=${inputs}:normalize=0:dropout_transition=0:duration=longest`;
}

/** Seconds for ffmpeg's command line: fixed-point, never exponent notation. */
function seconds(value: number): string {
  return value.toFixed(6);
}
