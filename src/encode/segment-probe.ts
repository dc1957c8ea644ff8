/**
 * What the assembly needs to know of an mp4/mov segment, read from its boxes (ISO BMFF) in this
 * process instead of one ffprobe per segment: an ffprobe costs ~0.15–0.3 CPU-s of start-up here, so
 * a render of 64 chunks paid seconds for it. Read:
 *
 * - the video track's decoder configuration: the payload of the sample entry's configuration box
 *   (`avcC`, `hvcC`, `vpcC`, `av1C`; none for ProRes), as hex — equal between segments exactly when
 *   their codec parameters are;
 * - its first sample's composition offset (`ctts`, in the track's `mdhd` timescale), in seconds: the
 *   pts − dts of its first packet as ffmpeg reads it (the muxer's edit list starts presentation at
 *   0), i.e. the B-frame delay; 0 without a `ctts`.
 *
 * Only `moov` is read (a few kB), wherever it is in the file.
 */
import { open, type FileHandle } from 'node:fs/promises';

/** A segment's video codec configuration (hex; '' when the sample entry has none) and B-frame delay, seconds. */
export interface SegmentVideoInfo {
  config: string;
  delay: number;
}

interface Box {
  type: string;
  /** The payload, after the header. */
  body: Buffer;
}

/** The boxes laid end to end in `data`. */
function children(data: Buffer): Box[] {
  const boxes: Box[] = [];
  let at = 0;
  while (at + 8 <= data.length) {
    let size = data.readUInt32BE(at);
    const type = data.toString('latin1', at + 4, at + 8);
    let header = 8;
    if (size === 1) {
      if (at + 16 > data.length) break;
      size = Number(data.readBigUInt64BE(at + 8));
      header = 16;
    } else if (size === 0) size = data.length - at;
    if (size < header || at + size > data.length) break;
    boxes.push({ type, body: data.subarray(at + header, at + size) });
    at += size;
  }
  return boxes;
}

function child(data: Buffer, type: string): Buffer | undefined {
  return children(data).find((b) => b.type === type)?.body;
}

/** The top-level `moov` box's payload, or undefined. */
async function readMoov(file: FileHandle): Promise<Buffer | undefined> {
  const { size: length } = await file.stat();
  const header = Buffer.alloc(16);
  let at = 0;
  while (at + 8 <= length) {
    const { bytesRead } = await file.read(header, 0, 16, at);
    if (bytesRead < 8) return undefined;
    let size = header.readUInt32BE(0);
    const type = header.toString('latin1', 4, 8);
    let headerSize = 8;
    if (size === 1) {
      if (bytesRead < 16) return undefined;
      size = Number(header.readBigUInt64BE(8));
      headerSize = 16;
    } else if (size === 0) size = length - at;
    if (size < headerSize) return undefined;
    if (type === 'moov') {
      const body = Buffer.alloc(size - headerSize);
      const read = await file.read(body, 0, body.length, at + headerSize);
      return read.bytesRead === body.length ? body : undefined;
    }
    at += size;
  }
  return undefined;
}

/** The sample entry's fixed fields before its child boxes (ISO/IEC 14496-12 VisualSampleEntry). */
const VISUAL_SAMPLE_ENTRY_BYTES = 78;
const CONFIG_BOXES = new Set(['avcC', 'hvcC', 'vpcC', 'av1C']);

/**
 * The video track's configuration and delay (see the module comment), or null when `path` is not an
 * ISO BMFF file with a video track this reads (the caller asks ffprobe then).
 */
export async function readSegmentVideo(path: string): Promise<SegmentVideoInfo | null> {
  const file = await open(path, 'r');
  try {
    const moov = await readMoov(file);
    if (!moov) return null;
    for (const trak of children(moov).filter((b) => b.type === 'trak')) {
      const mdia = child(trak.body, 'mdia');
      const hdlr = mdia && child(mdia, 'hdlr');
      if (!mdia || !hdlr || hdlr.length < 12 || hdlr.toString('latin1', 8, 12) !== 'vide') continue;
      const mdhd = child(mdia, 'mdhd');
      const stbl = child(child(mdia, 'minf') ?? Buffer.alloc(0), 'stbl');
      const stsd = stbl && child(stbl, 'stsd');
      if (!mdhd || !stbl || !stsd || stsd.length < 8) return null;
      const timescale = mdhd[0] === 1 ? mdhd.readUInt32BE(20) : mdhd.readUInt32BE(12);
      const entry = children(stsd.subarray(8))[0];
      if (!entry || entry.body.length < VISUAL_SAMPLE_ENTRY_BYTES || timescale === 0) return null;
      const config = children(entry.body.subarray(VISUAL_SAMPLE_ENTRY_BYTES)).find((b) => CONFIG_BOXES.has(b.type));
      const ctts = child(stbl, 'ctts');
      let offset = 0;
      if (ctts && ctts.length >= 16 && ctts.readUInt32BE(4) > 0) offset = ctts[0] === 1 ? ctts.readInt32BE(12) : ctts.readUInt32BE(12);
      return { config: config ? config.body.toString('hex') : '', delay: offset / timescale };
    }
    return null;
  } finally {
    await file.close();
  }
}
