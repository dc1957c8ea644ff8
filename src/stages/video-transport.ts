/**
 * How a frame's bytes reach the page: as a data: URL inside the `page.evaluate` call, or as the URL of
 * the frame file on a loopback server of the stage's own. Measured with bench/video-transfer.js (ms per
 * frame from send to loaded, beginframe capture, medians of 60; a 2-core machine at load ~7):
 *
 *                             data: URL   loopback HTTP
 *   480x270 JPEG   (~16 KB)      6.1          10.5
 *   1920x1080 JPEG (~100 KB)    20.0          13.4
 *
 * (Waiting for `img.decode()` instead of the load event costs 39–45 ms at 1080p: under BeginFrame
 * control the decode waits for a frame. The load event suffices: the browser decodes before it draws.)
 *
 * A data: URL costs a base64 string through CDP and its parsing in the page, which grows with the
 * file; an HTTP load costs a request round trip, which does not. So `auto` sends files below
 * `HTTP_MIN_BYTES` as data: URLs and larger ones over HTTP.
 *
 * HTTP frames are served by the render's project server (StageContext.serveDirectory): the page may
 * reach nothing but that one origin (src/browser/launch.ts), so frames come from it too.
 */
import path from 'node:path';

/**
 * How frames reach the page: `data` always as data: URLs, `http` always from the project server, `auto` by
 * size (`HTTP_MIN_BYTES`). A file outside the served directories always goes as a data: URL.
 */
export type FrameTransport = 'auto' | 'data' | 'http';

/** From this size up, `auto` serves a frame over HTTP rather than as a data: URL. */
export const HTTP_MIN_BYTES = 64 * 1024;

/** Serves a directory to the page; returns the URL of a file inside it. */
export type ServeDirectory = (dir: string) => (file: string) => string;

/** The URLs frames are shown from under one transport; create it with `open`. */
export class FrameUrls {
  private constructor(
    private readonly transport: FrameTransport,
    private readonly served: Map<string, (file: string) => string>,
  ) {}

  /**
   * Ready to hand out URLs for frames in `dirs` (every directory holding frames: the render's own
   * output directory and cache entries), served by `serve` when the transport may use HTTP.
   */
  static open(transport: FrameTransport, dirs: readonly string[], serve: ServeDirectory): FrameUrls {
    const served = new Map<string, (file: string) => string>();
    if (transport !== 'data') for (const dir of new Set(dirs.map((d) => path.resolve(d)))) served.set(dir, serve(dir));
    return new FrameUrls(transport, served);
  }

  /** The URL the page loads `file` (whose content is `bytes`) from. */
  urlFor(file: string, bytes: Buffer): string {
    const url = this.served.get(path.dirname(path.resolve(file)));
    const http = url !== undefined && (this.transport === 'http' || bytes.length >= HTTP_MIN_BYTES);
    if (http) return url(file);
    return `data:${file.endsWith('.png') ? 'image/png' : 'image/jpeg'};base64,${bytes.toString('base64')}`;
  }
}
