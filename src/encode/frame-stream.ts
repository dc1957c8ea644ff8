/**
 * Captured frames to ffmpeg's stdin as a Matroska stream: each frame one block with its timestamp, so a
 * frame that repeats the previous one (bytes equal: a hold, a reused capture) is not sent at all. The
 * encoder's `fps` filter (video-args.ts, last in the chain) fills each gap with the frame before it,
 * after the colour conversion: a repeated frame costs neither a decode nor a conversion, only its
 * encode. The last frame is always sent, so the stream ends where the render does.
 *
 * Timestamps are microseconds (TimestampScale 1000 ns): frame n at round(n × 10⁶ × den / num) µs, less
 * than 1 µs from n / fps, so the `fps` filter's nearest-slot rounding puts every frame on its own slot
 * for any rate (30000/1001 included). Measured with ffmpeg 5.1: the frames entering the encoder, and
 * the x264 output, are byte-identical to image2pipe with every frame sent.
 *
 * The stream is written live (Segment and Clusters of unknown size; no Cues, no seeking): ffmpeg's
 * Matroska demuxer reads it from a pipe. JPEG frames are `V_MJPEG`; PNG frames, which Matroska has no
 * codec ID for in ffmpeg 5.1, are `V_MS/VFW/FOURCC` with a BITMAPINFOHEADER naming `MPNG`.
 */
import type { Rational } from '../media/rational.js';
import type { VideoEncoder } from './encoder.js';

/**
 * The filter, last in an encode's chain, that puts repeated frames back: each slot of `fps` gets the
 * last frame at or before it (nearest-slot rounding of timestamps < 1 µs off).
 */
export function fillRepeats(fps: Rational): string {
  return `fps=fps=${fps.num}/${fps.den}`;
}

/** An EBML element: its ID bytes, then its size as an 8-byte variable-size integer, then its payload. */
function element(id: string, payload: Buffer): Buffer {
  const size = Buffer.alloc(8);
  size.writeBigUInt64BE(BigInt(payload.length) | (1n << 56n));
  return Buffer.concat([Buffer.from(id, 'hex'), size, payload]);
}

/** An unsigned integer payload, big-endian, in as few bytes as it needs (at least one). */
function uint(value: number): Buffer {
  let hex = BigInt(value).toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return Buffer.from(hex, 'hex');
}

/** The size field meaning "unknown" (a live stream's Segment). */
const UNKNOWN_SIZE = Buffer.from('01ffffffffffffff', 'hex');

/** The BITMAPINFOHEADER (40 bytes, little-endian) naming PNG frames for ffmpeg's VFW mapping. */
function pngBitmapInfo(width: number, height: number): Buffer {
  const header = Buffer.alloc(40);
  header.writeUInt32LE(40, 0);
  header.writeInt32LE(width, 4);
  header.writeInt32LE(height, 8);
  header.writeUInt16LE(1, 12); // planes
  header.writeUInt16LE(32, 14); // bits per pixel (informational: the PNG decoder reads its own header)
  header.write('MPNG', 16, 'latin1');
  return header;
}

/** The stream's start: EBML header, Segment (unknown size), Info and the one video track. */
export function matroskaHeader(options: { frameFormat: 'png' | 'jpeg'; width: number; height: number; fps: Rational }): Buffer {
  const { frameFormat, width, height, fps } = options;
  const ebml = element(
    '1a45dfa3',
    Buffer.concat([
      element('4286', uint(1)),
      element('42f7', uint(1)),
      element('42f2', uint(4)),
      element('42f3', uint(8)),
      element('4282', Buffer.from('matroska')),
      element('4287', uint(4)),
      element('4285', uint(2)),
    ]),
  );
  const info = element(
    '1549a966',
    Buffer.concat([element('2ad7b1', uint(1000)), element('4d80', Buffer.from('framesmith')), element('5741', Buffer.from('framesmith'))]),
  );
  const codec =
    frameFormat === 'jpeg'
      ? [element('86', Buffer.from('V_MJPEG'))]
      : [element('86', Buffer.from('V_MS/VFW/FOURCC')), element('63a2', pngBitmapInfo(width, height))];
  const track = element(
    'ae',
    Buffer.concat([
      element('d7', uint(1)),
      element('73c5', uint(1)),
      element('83', uint(1)),
      ...codec,
      // DefaultDuration (ns): one frame.
      element('23e383', uint(Math.round((1e9 * fps.den) / fps.num))),
      element('e0', Buffer.concat([element('b0', uint(width)), element('ba', uint(height))])),
    ]),
  );
  return Buffer.concat([ebml, Buffer.from('18538067', 'hex'), UNKNOWN_SIZE, info, element('1654ae6b', track)]);
}

/** Frame `index`'s timestamp in the stream, µs. */
export function frameTimestampUs(index: number, fps: Rational): number {
  return Math.round((index * 1e6 * fps.den) / fps.num);
}

/** One frame as a Cluster holding one keyframe SimpleBlock of track 1 at frame `index`'s timestamp. */
export function matroskaFrame(index: number, fps: Rational, image: Buffer): Buffer {
  // Track 1 (0x81), timestamp relative to the cluster's: 0, flags: keyframe.
  const block = element('a3', Buffer.concat([Buffer.from([0x81, 0x00, 0x00, 0x80]), image]));
  return element('1f43b675', Buffer.concat([element('e7', uint(frameTimestampUs(index, fps))), block]));
}

/** True when `frame` is the same image as `previous` (the same Buffer, or equal bytes). */
export function sameImage(frame: Buffer, previous: Buffer | null): boolean {
  return previous !== null && (frame === previous || (frame.length === previous.length && frame.equals(previous)));
}

/** The Matroska stream's one video track: the frames' image codec, size (px) and frame rate. */
export interface FrameStreamOptions {
  frameFormat: 'png' | 'jpeg';
  width: number;
  height: number;
  fps: Rational;
}

/**
 * An encoder taking frames as `VideoEncoder.write` does, over `raw`, an encoder whose ffmpeg reads
 * this Matroska stream (each `raw.write` one piece of it): the header now, then each frame that differs
 * from the one before, and at `finish` the last frame if it repeated (see the module comment).
 * `framesWritten` counts every frame given; `framesRepeated` those not sent.
 */
export async function timestampedFrames(
  raw: VideoEncoder,
  stream: FrameStreamOptions,
): Promise<VideoEncoder & { readonly framesRepeated: number }> {
  await raw.write(matroskaHeader(stream));
  let frames = 0;
  let repeated = 0;
  let previous: Buffer | null = null;
  /** The index of the last frame sent. */
  let sent = -1;
  return {
    get framesWritten() {
      return frames;
    },
    get framesRepeated() {
      return repeated;
    },
    get busyMs() {
      return raw.busyMs;
    },
    async write(frame) {
      const index = frames++;
      if (sameImage(frame, previous)) {
        repeated++;
        return;
      }
      previous = frame;
      sent = index;
      await raw.write(matroskaFrame(index, stream.fps, frame));
    },
    async finish() {
      // The last frame is always in the stream: the `fps` filter fills gaps only up to a frame it has.
      if (previous !== null && sent < frames - 1) {
        sent = frames - 1;
        repeated--;
        await raw.write(matroskaFrame(sent, stream.fps, previous));
      }
      await raw.finish();
    },
    abort: () => raw.abort(),
    killNow: () => raw.killNow(),
  };
}
