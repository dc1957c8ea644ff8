/**
 * File plumbing shared by the audio mix and the mux: temporary names renamed into place, and reading
 * back how long a written stream really is.
 */
import { randomBytes } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { runFfprobe } from '../media/tools.js';

/**
 * A temporary path next to `outFile` (same directory, so the final rename is atomic and never crosses
 * filesystems). Hidden and suffixed `.partial` so nobody mistakes it for the result. The name carries
 * no media extension, so callers must pass ffmpeg an explicit `-f`.
 */
export function tempPathFor(outFile: string): string {
  const dir = path.dirname(outFile);
  return path.join(dir, `.${path.basename(outFile)}.${process.pid}-${randomBytes(4).toString('hex')}.partial`);
}

/** Removes a temporary file, ignoring "not there" (ffmpeg may have failed before creating it). */
export async function removeQuietly(file: string): Promise<void> {
  await rm(file, { force: true }).catch(() => {});
}

/** Renames `temp` to `outFile`, replacing it. */
export async function commitTemp(temp: string, outFile: string): Promise<void> {
  await rename(temp, outFile);
}

interface PacketJson {
  packets?: Array<{ pts?: number; duration?: number; side_data_list?: Array<{ discard_padding?: number }> }>;
  streams?: Array<{ time_base?: string; sample_rate?: string }>;
}

/**
 * The presentation end of the first `kind` stream of `file`, in seconds: the latest packet
 * `pts + duration`, less the Opus/Vorbis trailing padding a WebM packet asks decoders to discard.
 * Encoder priming (AAC's 1024 samples, Opus pre-skip) sits at negative timestamps, so for a stream
 * whose content starts at 0 this is its audible duration.
 *
 * Reads packets only (demuxing, no decoding), so it stays cheap for long files. `null` when the file
 * has no such stream.
 */
export async function streamEnd(file: string, kind: 'a' | 'v', signal?: AbortSignal): Promise<number | null> {
  const result = await runFfprobe(
    [
      '-v',
      'error',
      '-select_streams',
      `${kind}:0`,
      '-show_entries',
      'stream=time_base,sample_rate:packet=pts,duration:packet_side_data=discard_padding',
      '-of',
      'json',
      file,
    ],
    { timeoutMs: 120_000, signal },
  );
  const json = JSON.parse(result.stdout) as PacketJson;
  const stream = json.streams?.[0];
  if (!stream?.time_base) return null;
  const [num, den] = stream.time_base.split('/').map(Number);
  if (!num || !den) return null;
  const sampleRate = Number(stream.sample_rate ?? 0);
  let end = -Infinity;
  for (const packet of json.packets ?? []) {
    if (packet.pts === undefined) continue;
    const discard = packet.side_data_list?.find((d) => d.discard_padding !== undefined)?.discard_padding ?? 0;
    const packetEnd = ((packet.pts + (packet.duration ?? 0)) * num) / den - (sampleRate > 0 ? discard / sampleRate : 0);
    if (packetEnd > end) end = packetEnd;
  }
  return Number.isFinite(end) ? end : null;
}
