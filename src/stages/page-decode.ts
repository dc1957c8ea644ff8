/**
 * Videos decoded in the page (WebCodecs) instead of extracted by ffmpeg, for the video-frames stage
 * (video-frames.ts): which videos, what each page is told at every frame, and the hooks that tell it.
 *
 * Which videos (`videoDecode`, resolved once per render; `decodeChoice`): under `ffmpeg` none; under
 * `page` every video the page can decode exactly — H.264, VP9 or AV1, SDR, opaque, not rotated, in a
 * BT.709/BT.601 matrix, absolutely or fixed positioned (the page overlays a canvas on it: see
 * src/browser/runtime/video-decode.ts), whose file the browser then opens and can decode; under `auto`
 * (once `AUTO_DECODES_IN_PAGE`; until then none) those of them drawn at least half the source's width
 * and height (decoding scales with the source, not the display: a small picture-in-picture decodes
 * cheaper in ffmpeg at its drawn size). The rest go to the extraction engine.
 *
 * What the page is told: at composition time t, a video on screen ([start, end), as the painter's
 * clip windows) is in slot floor((t - start) × fps) of its clip, shown as slot index i (the slot while
 * the media lasts; then held on the last, or wrapped when looping: `FrameLookupTable`, the painter's
 * lookup), and slot i shows the source frame on screen at media time `slotTime` (src/extract/segments.ts:
 * streamStart + mediaStart + i × rate / fps + 1 ms) — the very times the extraction engine's ffmpeg
 * graph selects by, so both paths show the same source frame.
 */
import path from 'node:path';
import type { Page } from 'puppeteer-core';
import type { CaptureHooks } from '../capture/hooks.js';
import type { FrameLookupTable } from '../extract/lookup.js';
import { coverSize, slotsBeforeEnd, slotsFor } from '../extract/plan.js';
import { slotTime } from '../extract/segments.js';
import { pageScript } from '../browser/page-scripts.js';
import type { DecodedVideoSpec, MeasuredVideo, RuntimeConfig } from '../browser/page-api.js';
import '../browser/page-api.js';
import type { MediaInfo } from '../media/probe.js';
import { formatRational, type Rational } from '../media/rational.js';
import { mediaError } from '../media/errors.js';
import { drawnSize, type PlacedVideo } from './video-placement.js';
import type { ServeDirectory } from './video-transport.js';
import { indexAt, screenTable } from './video-paint.js';

/**
 * Where `<video>` frames are decoded (`RenderOptions.videoDecode`): `ffmpeg` by the extraction engine,
 * `page` in the page wherever it can be exact, `auto` in the page where that is also cheaper.
 */
export type VideoDecodeMode = 'auto' | 'page' | 'ffmpeg';

/** The modes, for checking options. */
export const VIDEO_DECODE_MODES: readonly VideoDecodeMode[] = ['auto', 'page', 'ffmpeg'];

/**
 * Whether `auto` decodes in the page at all. Off until page decode is measured cheaper for the whole
 * render (bench/sections/decode.js) and the suites that count extraction work pass on it: `auto` is
 * `ffmpeg` for now, and the rule below (`decodeChoice`) is what it will apply.
 */
export const AUTO_DECODES_IN_PAGE = false;

/** Decoded frames a page keeps ahead of the one shown, per video (an open 1080p frame holds ~3 MiB). */
export const DECODE_LOOKAHEAD = 4;

/** Codecs the bundled headless shell decodes in software (measured: not HEVC, ProRes, MPEG-4 Part 2). */
const PAGE_CODECS = new Set(['h264', 'vp9', 'av1']);
/** ffprobe's matrices → WebCodecs' (`VideoMatrixCoefficients`); others are not decoded in the page. */
const MATRICES: Record<string, string> = { bt709: 'bt709', smpte170m: 'smpte170m', bt470bg: 'bt470bg' };
const PRIMARIES: Record<string, string> = { bt709: 'bt709', smpte170m: 'smpte170m', bt470bg: 'bt470bg' };
const TRANSFERS: Record<string, string> = { bt709: 'bt709', smpte170m: 'smpte170m', 'iec61966-2-1': 'iec61966-2-1' };

/** One video the pages decode themselves: plain data. */
export interface DecodedVideo {
  /** The element's timed index, and its label for messages. */
  index: number;
  label: string;
  /** Absolute path of the file. */
  file: string;
  /** Composition seconds it is on screen: [start, end). */
  start: number;
  end: number;
  /** The render's rate, exact (`30000/1001`). */
  fps: string;
  mediaStart: number;
  playbackRate: number;
  loop: boolean;
  /** The source's first presentation timestamp, seconds (media time 0). */
  streamStart: number;
  /** Slots that show their own media time: min(slots on screen, slots before the media ends). */
  frameCount: number;
  /** The canvas bitmap's size. */
  width: number;
  height: number;
  colorSpace: DecodedVideoSpec['colorSpace'];
}

/** Where one video is decoded, and why not in the page (for the render's report). */
export interface DecodeChoice {
  element: string;
  path: 'page' | 'ffmpeg';
  /** Why the extraction engine decodes it (absent for page-decoded videos). */
  reason?: string;
}

/** Why the page cannot decode `info` exactly, or null when it can (codec, alpha, HDR, rotation, matrix). */
export function pageDecodeRefusal(info: MediaInfo): string | null {
  if (!PAGE_CODECS.has(info.codec)) return `${info.codec} is not decoded by the browser`;
  if (info.hasAlpha) return 'the source has alpha';
  if (info.hdr) return 'the source is HDR';
  if (info.rotation !== 0) return 'the source is rotated';
  if (!MATRICES[info.displayMatrix]) return `the ${info.displayMatrix} matrix`;
  return null;
}

/**
 * Where `mode` decodes a video (see the module comment), before the page opens its file: `position` is
 * the element's computed position (null: not a video), `box` its measured box.
 */
export function decodeChoice(
  mode: VideoDecodeMode,
  video: Pick<PlacedVideo, 'info'> & { element: { label: string } },
  position: string | null,
  box: Pick<MeasuredVideo, 'width' | 'height' | 'fit'>,
): DecodeChoice {
  const element = video.element.label;
  const ffmpeg = (reason: string): DecodeChoice => ({ element, path: 'ffmpeg', reason });
  if (mode === 'ffmpeg') return ffmpeg('videoDecode is ffmpeg');
  if (mode === 'auto' && !AUTO_DECODES_IN_PAGE) return ffmpeg('videoDecode auto decodes with ffmpeg (AUTO_DECODES_IN_PAGE)');
  const refusal = pageDecodeRefusal(video.info);
  if (refusal) return ffmpeg(refusal);
  if (position !== 'absolute' && position !== 'fixed')
    return ffmpeg(`the element's position is ${position ?? 'unknown'}, not absolute or fixed`);
  if (mode === 'auto') {
    const drawn = drawnSize(box, video.info) ?? video.info;
    if (drawn.width * 2 < video.info.width || drawn.height * 2 < video.info.height) return ffmpeg('drawn below half the source size');
  }
  return { element, path: 'page' };
}

/** The page-decoded form of a placed video drawn in `box`; null when its trim starts at or past its media's end. */
export function decodedVideo(video: PlacedVideo, box: Pick<MeasuredVideo, 'width' | 'height' | 'fit'>, fps: Rational): DecodedVideo | null {
  const { element, info } = video;
  const available = slotsBeforeEnd(info.duration, element.mediaStart, element.playbackRate, fps);
  if (available === 0) return null;
  const drawn = drawnSize(box, info);
  // Fitting a bitmap of the source's aspect gives the video's geometry; `none` and `scale-down` depend
  // on the intrinsic size itself, so those get the native size.
  const size = drawn && box.fit !== 'scale-down' ? coverSize(info.width, info.height, drawn.width, drawn.height) : info;
  const matrix = MATRICES[info.displayMatrix]!;
  // Primaries and transfer as tagged, else those of the matrix's standard: left unset, Chromium
  // converts a BT.709 frame ~10 levels off what it plays (measured: 181,74,2 against 191,81,2).
  const fallback = matrix === 'bt709' ? 'bt709' : 'smpte170m';
  const tagged = (map: Record<string, string>, value: string | null) => (value !== null ? (map[value] ?? fallback) : fallback);
  return {
    index: element.index,
    label: element.label,
    file: info.file,
    start: video.start,
    end: video.end,
    fps: formatRational(fps),
    mediaStart: element.mediaStart,
    playbackRate: element.playbackRate,
    loop: element.loop,
    streamStart: info.streamStart,
    frameCount: Math.min(slotsFor(video.end - video.start, fps), available),
    width: size.width,
    height: size.height,
    colorSpace: {
      matrix,
      primaries: tagged(PRIMARIES, info.colorPrimaries),
      transfer: tagged(TRANSFERS, info.colorTransfer),
      fullRange: info.colorRange === 'pc',
    },
  };
}

interface Timed extends DecodedVideo {
  table: FrameLookupTable;
  rate: Rational;
}

function timed(video: DecodedVideo): Timed {
  return { ...video, ...screenTable(video, video.frameCount) };
}

/**
 * The media time (µs, absolute as the file's timestamps) whose frame `video` shows at composition time
 * t, or null when it is not on screen (see the module comment).
 */
export function mediaTargetAt(video: DecodedVideo, t: number): number | null {
  return targetOf(timed(video), t);
}

function targetOf(video: Timed, t: number): number | null {
  const index = indexAt(video.table, video.start, video.end, t);
  if (index === null) return null;
  return Math.round(slotTime({ ...video, fps: video.rate }, index) * 1e6);
}

/** What the page decoders did over all pages. */
export interface PageDecodeStats {
  /** `show` calls and their time, ms. */
  shows: number;
  showMs: number;
  /** The most VideoFrames any page held open at once, and the frames decoded, summed over pages. */
  maxOpenFrames: number;
  framesDecoded: number;
}

/** How `pageDecoder` reaches the pages: the runtime's root options and the server that serves the files. */
export interface PageDecoderOptions {
  rootOptions: Pick<RuntimeConfig, 'rootSelector' | 'timedWithinRoot'>;
  serveDirectory: ServeDirectory;
  lookahead?: number;
}

/** The specs a page opens `videos` with, URLs from `urlOf`. */
function specsOf(videos: readonly DecodedVideo[], urlOf: (file: string) => string, lookahead: number): DecodedVideoSpec[] {
  return videos.map((v) => ({ index: v.index, url: urlOf(v.file), colorSpace: v.colorSpace, width: v.width, height: v.height, lookahead }));
}

/** Installs the page's decode script in `page` unless it is there. */
export async function installDecodeScript(page: Page, rootOptions: PageDecoderOptions['rootOptions']): Promise<void> {
  if (!(await page.evaluate(() => window.__framesmithDecode !== undefined))) await page.evaluate(pageScript('video-decode', rootOptions));
}

/**
 * Capture hooks showing `videos` decoded in each page; `open` opens them in one page and answers, per
 * video, null or why the page cannot decode it. `stats` counts what the pages did.
 */
export function pageDecoder(
  videos: readonly DecodedVideo[],
  options: PageDecoderOptions,
): { hooks: CaptureHooks; stats: PageDecodeStats; open(page: Page, subset?: readonly DecodedVideo[]): Promise<Array<string | null>> } {
  const stats: PageDecodeStats = { shows: 0, showMs: 0, maxOpenFrames: 0, framesDecoded: 0 };
  const list = videos.map(timed);
  const lookahead = options.lookahead ?? DECODE_LOOKAHEAD;
  const served = new Map<string, (file: string) => string>();
  const urlOf = (file: string) => {
    const dir = path.dirname(path.resolve(file));
    let url = served.get(dir);
    if (!url) {
      url = options.serveDirectory(dir);
      served.set(dir, url);
    }
    return url(file);
  };
  /** Per page: the target last sent per timed index (null: hidden), and the page's decoded count. */
  const sent = new WeakMap<Page, { targets: Map<number, number | null>; decoded: number }>();

  const open = async (page: Page, subset: readonly DecodedVideo[] = videos) => {
    await installDecodeScript(page, options.rootOptions);
    return page.evaluate((specs) => window.__framesmithDecode!.open(specs), specsOf(subset, urlOf, lookahead));
  };

  const hooks: CaptureHooks = {
    async setupPage(page) {
      if (list.length === 0) return;
      const errors = await open(page);
      const failures = errors.flatMap((e, i) =>
        e === null
          ? []
          : [
              {
                code: 'media_failed' as const,
                element: list[i]!.label,
                file: list[i]!.file,
                message: `${list[i]!.label}: the page could not decode ${list[i]!.file}: ${e}; render with \`videoDecode\` ffmpeg`,
              },
            ],
      );
      if (failures.length > 0) throw mediaError(failures);
      sent.set(page, { targets: new Map(list.map((v) => [v.index, null])), decoded: 0 });
    },

    async beforeCapture(page, _frameIndex, time) {
      const state = sent.get(page);
      if (!state) return;
      const started = performance.now();
      const changes: Array<{ index: number; target: number | null }> = [];
      for (const video of list) {
        const target = targetOf(video, time);
        // A video on screen is sent every frame: its canvas follows the video's box as animated.
        if (target !== null || state.targets.get(video.index) !== null) changes.push({ index: video.index, target });
        state.targets.set(video.index, target);
      }
      if (changes.length === 0) return;
      const { counts, failures } = await page.evaluate((c) => window.__framesmithDecode!.show(c), changes);
      if (failures.length > 0) {
        throw mediaError(
          failures.map((f) => {
            const video = list.find((v) => v.index === f.index)!;
            return {
              code: 'media_failed' as const,
              element: video.label,
              file: video.file,
              message: `${video.label}: the page failed to show ${video.file} at ${time.toFixed(3)} s: ${f.message}; render with \`videoDecode\` ffmpeg`,
            };
          }),
        );
      }
      stats.shows++;
      stats.showMs += performance.now() - started;
      stats.maxOpenFrames = Math.max(stats.maxOpenFrames, counts.maxOpen);
      stats.framesDecoded += counts.decoded - state.decoded;
      state.decoded = counts.decoded;
    },
  };
  return { hooks, stats, open };
}

/** The page-decode side of a render's videos, decided on the first page (`choosePageDecode`). */
export interface PageDecodePlan {
  /** Ids (`PlacedVideo.id`) of the videos the pages decode: the extraction engine leaves them out. */
  ids: Set<string>;
  videos: DecodedVideo[];
  /** Per placed video, where it is decoded and why. */
  choices: DecodeChoice[];
  hooks: CaptureHooks;
  stats: PageDecodeStats;
}

/**
 * Decides, on `page` (the first page, loaded and ready, with the measuring script of video-paint.ts),
 * which of `placed` the pages decode under `mode` (see the module comment): it measures their boxes,
 * reads their positions, and opens the candidates' files in that page, leaving to ffmpeg those the page
 * cannot open or decode. The plan's hooks show them on every page.
 */
export async function choosePageDecode(
  page: Page,
  placed: readonly PlacedVideo[],
  options: PageDecoderOptions & { mode: VideoDecodeMode; fps: Rational },
): Promise<PageDecodePlan> {
  const none = (reason: string): PageDecodePlan => ({
    ids: new Set(),
    videos: [],
    choices: placed.map((v) => ({ element: v.element.label, path: 'ffmpeg', reason })),
    hooks: {},
    stats: { shows: 0, showMs: 0, maxOpenFrames: 0, framesDecoded: 0 },
  });
  if (options.mode === 'ffmpeg' || placed.length === 0) return none('videoDecode is ffmpeg');
  const indices = placed.map((v) => v.element.index);
  const boxes = await page.evaluate((i) => window.__framesmithVideo!.measure(i), indices);
  await installDecodeScript(page, options.rootOptions);
  const positions = await page.evaluate((i) => window.__framesmithDecode!.inspect(i), indices);
  const choices = placed.map((v, i) => decodeChoice(options.mode, v, positions[i] ?? null, boxes[i]!));
  const candidates: Array<{ placed: PlacedVideo; decoded: DecodedVideo; choice: number }> = [];
  placed.forEach((v, i) => {
    if (choices[i]!.path !== 'page') return;
    const decoded = decodedVideo(v, boxes[i]!, options.fps);
    if (decoded) candidates.push({ placed: v, decoded, choice: i });
    else choices[i] = { element: v.element.label, path: 'ffmpeg', reason: 'the trim starts at or past the end of the media' };
  });
  const decoder = pageDecoder(
    candidates.map((c) => c.decoded),
    options,
  );
  const errors = candidates.length > 0 ? await decoder.open(page) : [];
  const kept = candidates.filter((c, i) => {
    const error = errors[i] ?? null;
    if (error !== null)
      choices[c.choice] = { element: c.placed.element.label, path: 'ffmpeg', reason: `the page cannot decode it: ${error}` };
    return error === null;
  });
  if (kept.length < candidates.length) {
    // The failed ones were never attached in the page; the decoder shows only those that opened.
    const final = pageDecoder(
      kept.map((c) => c.decoded),
      options,
    );
    return {
      ids: new Set(kept.map((c) => c.placed.id)),
      videos: kept.map((c) => c.decoded),
      choices,
      hooks: final.hooks,
      stats: final.stats,
    };
  }
  return {
    ids: new Set(kept.map((c) => c.placed.id)),
    videos: kept.map((c) => c.decoded),
    choices,
    hooks: decoder.hooks,
    stats: decoder.stats,
  };
}
