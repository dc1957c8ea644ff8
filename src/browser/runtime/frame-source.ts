/**
 * One video file decoded in the page with WebCodecs, answering "the frame on screen at media time t":
 * the last decoded frame whose timestamp is <= t (the extraction engine's rule, src/extract/pass.ts;
 * the caller adds its 1 ms tolerance to t). Before the first frame, the first frame.
 *
 * Demuxing is mediabunny's (mp4/mov/webm/mkv over HTTP range requests from the project server); the
 * decoder is ours, so that:
 * - the colour space is the one the probe decided (`init.colorSpace`): mediabunny's own decoder
 *   config tags untagged H.264 as BT.601, where Chromium plays a 1080p one as BT.709;
 * - the decoder is never flushed mid-stream (after `flush()` a decoder needs a keyframe next): the
 *   frames a decoder holds back for reordering come out by feeding it the following packets; only the
 *   end of the stream is flushed;
 * - a jump (a loop back, a trim, a skip past the next keyframe) restarts from the last keyframe at or
 *   before the time asked for;
 * - frames are bounded: at most `lookahead` decoded frames (fed or held) ahead of the one shown, each
 *   closed as soon as a later one replaces it (an open 1080p VideoFrame holds ~3 MiB).
 */
import { EncodedPacketSink, Input, MATROSKA, MP4, QTFF, UrlSource, WEBM, type EncodedPacket } from 'mediabunny';

/** What a source is opened with: its URL, the colour space frames are decoded in, and the lookahead bound. */
export interface FrameSourceInit {
  url: string;
  colorSpace: VideoColorSpaceInit;
  /** Decoded frames kept ahead of the shown one, at most (at least 1). */
  lookahead: number;
}

/** Frames open in this window across every source: the memory bound the tests check. */
export const frameCounts = { open: 0, maxOpen: 0, decoded: 0, seeks: 0 };

function opened(frame: VideoFrame): VideoFrame {
  frameCounts.open++;
  frameCounts.decoded++;
  frameCounts.maxOpen = Math.max(frameCounts.maxOpen, frameCounts.open);
  return frame;
}

/** Closes a frame a source returned or held, keeping the counts. */
export function closeFrame(frame: VideoFrame): void {
  frame.close();
  frameCounts.open--;
}

/** A decoded video file; create it with `FrameSource.open`, end it with `dispose`. */
export class FrameSource {
  private decoder: VideoDecoder | null = null;
  /** Decoded frames not shown yet, in presentation order (a decoder outputs in that order). */
  private ready: VideoFrame[] = [];
  /** The packet to decode next (decode order); null once every packet was fed. */
  private next: EncodedPacket | null = null;
  /** The last packet fed since the decoder was (re)started; null before any. */
  private fed: EncodedPacket | null = null;
  private fedCount = 0;
  private outputCount = 0;
  /** The end of the stream was flushed: every frame fed has come out. */
  private flushed = false;
  /** Timestamp (µs) of the frame last returned by `frameAt`; null before the first. */
  private shown: number | null = null;
  private failure: Error | null = null;
  /** Counts the decoder's events (output, dequeue, error); `progress(since)` waits for the next. */
  private events = 0;
  private wake: (() => void) | null = null;
  /** Every operation runs after the previous one (a selection never interleaves with decode-ahead). */
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly sink: EncodedPacketSink,
    private readonly config: VideoDecoderConfig,
    private readonly lookahead: number,
    private readonly input: Input,
  ) {}

  /** Opens `init.url`; throws an Error saying why when the file has no video track or the browser cannot decode it. */
  static async open(init: FrameSourceInit): Promise<FrameSource> {
    const input = new Input({ formats: [MP4, QTFF, WEBM, MATROSKA], source: new UrlSource(init.url) });
    try {
      const track = await input.getPrimaryVideoTrack();
      if (!track) throw new Error('no video track');
      const base = await track.getDecoderConfig();
      if (!base) throw new Error(`codec ${(await track.getCodec()) ?? 'unknown'} is not known to the demuxer`);
      const config: VideoDecoderConfig = { ...base, colorSpace: init.colorSpace, optimizeForLatency: true };
      const support = await VideoDecoder.isConfigSupported(config);
      if (!support.supported) throw new Error(`this browser cannot decode ${config.codec}`);
      return new FrameSource(new EncodedPacketSink(track), config, Math.max(1, init.lookahead), input);
    } catch (error) {
      input.dispose();
      throw error;
    }
  }

  /**
   * The frame on screen at `target` µs (see the module comment): a frame the caller must draw now
   * and close, or null when the frame last returned is still the one on screen.
   */
  frameAt(target: number): Promise<VideoFrame | null> {
    const run = this.chain.then(() => this.select(target));
    this.chain = run.then(
      () => this.decodeAhead(),
      () => {},
    );
    return run;
  }

  /** Closes every frame and the decoder. */
  dispose(): void {
    this.chain = Promise.reject(new Error('framesmith: the video source was closed'));
    this.chain.catch(() => {});
    this.stop();
    this.input.dispose();
  }

  private async select(target: number): Promise<VideoFrame | null> {
    if (this.failure) throw this.failure;
    if (this.decoder === null || (this.shown !== null && target < this.shown)) await this.seek(target);
    else if (!this.ready.some((f) => f.timestamp > target) && !this.flushed) {
      // Decoding up to a keyframe past what was fed is wasted: start from the last one at or before target.
      const key = await this.sink.getKeyPacket(target / 1e6);
      if (key && this.next && key.sequenceNumber > this.next.sequenceNumber) await this.seek(target, key);
    }
    for (;;) {
      if (this.failure) throw this.failure;
      this.dropBefore(target);
      const after = this.ready.findIndex((f) => f.timestamp > target);
      // After `flush()` resolved, every frame fed has come out.
      if (after >= 0 || this.flushed) {
        const upto = after >= 0 ? after : this.ready.length;
        let pick: VideoFrame | undefined;
        if (upto > 0) pick = this.ready.splice(0, upto)[upto - 1];
        else if (this.shown === null) pick = this.ready.shift(); // before the first frame: the first frame
        if (!pick) return null;
        this.shown = pick.timestamp;
        return pick;
      }
      await this.feedOne();
    }
  }

  /** Closes the frames at or before `target` but the last of them (the one that may be picked). */
  private dropBefore(target: number): void {
    let last = -1;
    for (let i = 0; i < this.ready.length && this.ready[i]!.timestamp <= target; i++) last = i;
    if (last > 0) for (const f of this.ready.splice(0, last)) closeFrame(f);
  }

  /** Feeds the next packet (or flushes at the end) and waits until the decoder made progress. */
  private async feedOne(): Promise<void> {
    const decoder = this.decoder!;
    const since = this.events;
    if (decoder.decodeQueueSize > 0) return this.progress(since);
    if (this.next === null) {
      await decoder.flush();
      this.flushed = true;
      return;
    }
    this.feed(this.next);
    this.next = await this.sink.getNextPacket(this.fed!);
    return this.progress(since);
  }

  private feed(packet: EncodedPacket): void {
    this.decoder!.decode(packet.toEncodedVideoChunk());
    this.fed = packet;
    this.fedCount++;
  }

  /** Resolves once the decoder had an event (output, dequeue, failure) after the count `since`. */
  private progress(since: number): Promise<void> {
    if (this.events > since) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.wake = resolve;
    });
  }

  private woken(): void {
    this.events++;
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /** Feeds packets, without waiting, until `lookahead` frames are decoded or in the decoder. */
  private async decodeAhead(): Promise<void> {
    while (!this.failure && this.next && this.ready.length + (this.fedCount - this.outputCount) < this.lookahead) {
      this.feed(this.next);
      this.next = await this.sink.getNextPacket(this.fed!);
    }
  }

  /** (Re)starts the decoder at `key`, else the last keyframe at or before `target` µs, else the first packet. */
  private async seek(target: number, key?: EncodedPacket): Promise<void> {
    this.stop();
    frameCounts.seeks++;
    const start = key ?? (await this.sink.getKeyPacket(target / 1e6)) ?? (await this.sink.getFirstPacket());
    const decoder = new VideoDecoder({
      output: (frame) => {
        this.outputCount++;
        this.ready.push(opened(frame));
        this.woken();
      },
      error: (error) => {
        this.failure = new Error(`framesmith: the browser failed decoding ${this.config.codec}: ${error.message}`);
        this.woken();
      },
    });
    decoder.addEventListener('dequeue', () => this.woken());
    decoder.configure(this.config);
    this.decoder = decoder;
    this.next = start;
    this.fed = null;
    this.fedCount = 0;
    this.outputCount = 0;
    this.flushed = false;
    this.shown = null;
  }

  private stop(): void {
    for (const f of this.ready.splice(0)) closeFrame(f);
    if (this.decoder && this.decoder.state !== 'closed') this.decoder.close();
    this.decoder = null;
    this.woken();
  }
}
