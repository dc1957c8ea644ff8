/**
 * The physical floor: ffmpeg decoding the same frames and throwing them away
 * (`ffmpeg -ss START -i SRC -frames:v N [-vf scale=W:H] -f null -`), no image encoding, no files;
 * and the JPEG floor: the same plus the JPEG encoding of every frame, still without files.
 */
import { performance } from 'node:perf_hooks';
import { run } from './measure.js';

/**
 * Decodes one window; resolves with its wall time in ms. With `jpeg` (a qscale) each frame is also
 * JPEG-encoded and discarded: the least any extractor that must write JPEG frames can do. The encoder
 * takes the decoder's limited-range yuv420p as it is (`-strict -1`), so no colour conversion is counted.
 */
export async function decodeFloor({ src, mediaStart = 0, frames, width, height, jpeg }) {
  const args = ['-nostdin', '-hide_banner', '-loglevel', 'error', '-ss', String(mediaStart), '-i', src, '-frames:v', String(frames)];
  if (width && height) args.push('-vf', `scale=${width}:${height}`);
  if (jpeg) args.push('-c:v', 'mjpeg', '-q:v', String(jpeg), '-strict', '-1', '-pix_fmt', 'yuv420p');
  args.push('-f', 'null', '-');
  const result = await run('ffmpeg', args);
  if (result.code !== 0) throw new Error(`floor decode failed (exit ${result.code}): ${result.stderr.trim()}`);
  return result.ms;
}

/** Several windows decoded at once (as an extraction runs its passes): wall time of the whole set. */
export async function decodeFloorSet(windows) {
  const start = performance.now();
  await Promise.all(windows.map((w) => decodeFloor(w)));
  return performance.now() - start;
}
