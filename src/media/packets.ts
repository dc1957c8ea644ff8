/**
 * A video stream's packet index: the presentation time of every packet of one video stream,
 * and which are keyframes — what a source pass needs to split a decode at keyframes and to count the
 * frames it decodes. Read with one ffprobe over the packets (demuxing only, no decoding; ~0.1 s for
 * 10 s of 1080p), memoized per file identity in memory and in the probe store.
 */
import { ProcessError } from './process.js';
import { fileKey, readStoredFloats, writeStoredFloats } from './probe-store.js';
import { videoStreamSpecifier } from './probe.js';
import { runFfprobe } from './tools.js';

/**
 * The packet timestamps of one video stream of a file (`packetIndex()`); times are absolute media
 * seconds, as ffprobe reports them; `keyframes` is a subset of `times`.
 */
export interface PacketIndex {
  /** Presentation times of the packets, seconds, ascending. */
  times: Float64Array;
  /** Presentation times of the keyframes, seconds, ascending. */
  keyframes: Float64Array;
  /**
   * Per keyframe, a decoding time (seconds) at which a demuxer can stop (a concat `outpoint`) and
   * still have fed the decoder every packet shown before the keyframe: just under the keyframe's
   * decoding time, when no packet shown before it is decoded after it (a closed GOP) and the packet
   * shown last before it lasts up to it (its duration: ffmpeg ends the stream at that frame's time plus
   * its duration, and the `fps` filter writes no slot from there on, so a shorter duration — VFR
   * timestamps — would lose the last slots before the keyframe). NaN otherwise (an open GOP, a short
   * or unknown duration, no decoding times).
   */
  cutBefore: Float64Array;
}

const memo = new Map<string, Promise<PacketIndex>>();

/**
 * The packet index of `file`'s video stream `stream` (its container index, `MediaInfo.streamIndex`;
 * null: the first video stream). Rejects when ffprobe cannot read it.
 */
export function packetIndex(file: string, stream: number | null, signal?: AbortSignal): Promise<PacketIndex> {
  return fileKey(file).then((fileKeyed) => {
    // Stream 0 keeps the key it had when only the first video stream was read (the same packets).
    const key = stream === null || stream === 0 ? fileKeyed : `${fileKeyed}#${stream}`;
    let index = memo.get(key);
    if (!index) {
      index = readIndex(file, key, stream, signal);
      memo.set(key, index);
      index.catch(() => memo.delete(key));
    }
    return index;
  });
}

/** The number of packets with a presentation time in [from, to] (both seconds, inclusive). */
export function packetsBetween(index: PacketIndex, from: number, to: number): number {
  return lowerBound(index.times, to + 1e-9, true) - lowerBound(index.times, from - 1e-9, false);
}

/** First position whose value is >= x (or > x with `after`). */
export function lowerBound(values: Float64Array, x: number, after = false): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (after ? values[mid]! <= x : values[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

async function readIndex(file: string, key: string, stream: number | null, signal?: AbortSignal): Promise<PacketIndex> {
  // Layout: pts, key flags, dts, duration (the first layout had only pts and flags, and a phantom packet).
  const stored = await readStoredFloats(STORE_KIND, key);
  if (stored && stored.length >= 1 && stored.length === 1 + 4 * stored[0]!) return split(stored);
  let stdout: string;
  try {
    ({ stdout } = await runFfprobe(
      // ffprobe prints the fields in its own order: pts, dts, duration, flags.
      [
        '-v',
        'error',
        '-select_streams',
        videoStreamSpecifier(stream),
        '-show_entries',
        'packet=pts_time,dts_time,duration_time,flags',
        '-of',
        'csv=p=0',
        file,
      ],
      { timeoutMs: 120_000, signal },
    ));
  } catch (error) {
    const detail = error instanceof ProcessError ? error.fields.stderrTail.trim().split('\n').pop() : String(error);
    throw new Error(`cannot read the packets of ${file}: ${detail}`, { cause: error });
  }
  const packets: Array<[time: number, key: boolean, dts: number, duration: number]> = [];
  for (const line of stdout.split('\n')) {
    const [pts, dts, duration, flags] = line.split(',');
    // An empty field (the output's last, empty line) is no timestamp: Number('') would be 0.
    const time = timestamp(pts) ?? timestamp(dts);
    if (time !== undefined)
      packets.push([time, (flags ?? '').includes('K'), timestamp(dts) ?? Number.NaN, timestamp(duration) ?? Number.NaN]);
  }
  packets.sort((a, b) => a[0] - b[0]);
  const n = packets.length;
  const flat = new Float64Array(1 + 4 * n);
  flat[0] = n;
  packets.forEach(([time, isKey, dts, duration], i) => {
    flat[1 + i] = time;
    flat[1 + n + i] = isKey ? 1 : 0;
    flat[1 + 2 * n + i] = dts;
    flat[1 + 3 * n + i] = duration;
  });
  await writeStoredFloats(STORE_KIND, key, flat);
  return split(flat);
}

const STORE_KIND = 'packets-3';

/** A CSV field as seconds, or undefined when empty or N/A. */
function timestamp(field: string | undefined): number | undefined {
  if (field === undefined || field.trim() === '' || field === 'N/A') return undefined;
  const value = Number(field);
  return Number.isFinite(value) ? value : undefined;
}

/**
 * One microsecond under the keyframe's decoding time: ffprobe prints six decimals, so the true time may
 * lie half a microsecond under the printed one, and the packet before it is many microseconds earlier.
 */
const CUT_SLACK = 1e-6;

function split(flat: Float64Array): PacketIndex {
  const n = flat[0]!;
  const times = flat.slice(1, 1 + n);
  const keyframes: number[] = [];
  const cutBefore: number[] = [];
  // Packets in presentation order: the latest decoding time of any packet shown before packet i.
  let latestDts = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const dts = flat[1 + 2 * n + i]!;
    if (flat[1 + n + i] === 1) {
      keyframes.push(times[i]!);
      // The frame shown last before the keyframe must last up to it (see `cutBefore`).
      const lasts = i > 0 && times[i - 1]! + flat[1 + 3 * n + i - 1]! >= times[i]! - CUT_SLACK;
      cutBefore.push(lasts && Number.isFinite(dts) && latestDts < dts - CUT_SLACK ? dts - CUT_SLACK : Number.NaN);
    }
    latestDts = Number.isNaN(dts) || Number.isNaN(latestDts) ? Number.NaN : Math.max(latestDts, dts);
  }
  return { times, keyframes: Float64Array.from(keyframes), cutBefore: Float64Array.from(cutBefore) };
}
