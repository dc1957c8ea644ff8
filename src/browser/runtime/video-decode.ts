/**
 * Videos decoded in the page (WebCodecs), installed by the page-decode stage (src/stages/page-decode.ts)
 * as `window.__framesmithDecode`:
 *
 * - `inspect(indices)` → for each timed-element index, the `<video>`'s computed `position` (null when the
 *   element is not a video): only an absolutely or fixed positioned video can be overlaid exactly.
 * - `open(videos)` opens each file (frame-source.ts) and puts a `<canvas>` right after its `<video>`;
 *   resolves with, per video, null or why the page cannot decode it.
 * - `show(changes)` — `changes: [{ index, target }]`, `target` the media time in µs whose frame is on
 *   screen (the caller applied the trim, rate, loop and tolerance), or null when the video is off screen.
 *   Draws each frame into its canvas, and gives the canvas the video's box and visual properties as
 *   computed at that moment; resolves once every canvas holds its frame (the next captured frame
 *   paints it). Resolves with the frame counts, and the videos that failed (their decoder, their file) as data.
 * - `stats()`: frames open now and at most (the lookahead bound), decoded, decoder restarts.
 *
 * Why a canvas after the video, with the video's computed box: CSS cannot show a canvas as an
 * element's background in Chromium (no `element()` nor `-webkit-canvas()`), and a `<video>` shows a
 * decoded frame only through its asynchronous media pipeline. The `<video>` stays in the DOM for
 * scripts and selectors and keeps painting its own background and border; the canvas, its next
 * sibling with the same containing block, position, size, margins, padding and transparent borders of
 * the same widths, paints the frame in the same content box with the same object-fit and
 * object-position (its bitmap keeps the source's aspect, so fitting it gives the video's geometry),
 * transform, opacity, filter, clip, radius, blend mode, z-index and visibility — right above the
 * video in the stacking order. The stage sends only absolutely or fixed positioned videos: an in-flow
 * one would need a box of its own in the flow.
 */
import type { DecodedVideoSpec, RuntimeConfig, VideoDecodeApi } from '../page-api.js';
import { closeFrame, FrameSource, frameCounts } from './frame-source.js';
import { timedElements } from './timed-elements.js';
import { lazySheet, NOT_DRAWN } from './video-paint.js';

const ATTR = 'data-framesmith-decoded';
/** On the `<video>` whose frames a canvas draws: its rule takes away what HyperFrames does not draw (video-paint.ts). */
const VIDEO_ATTR = 'data-framesmith-decoded-video';

/** Properties copied from the video to its canvas at every `show`, as computed. */
const COPIED = [
  'position',
  'top',
  'right',
  'bottom',
  'left',
  'width',
  'height',
  'box-sizing',
  'margin-top',
  'margin-right',
  'margin-bottom',
  'margin-left',
  'padding-top',
  'padding-right',
  'padding-bottom',
  'padding-left',
  'border-top-width',
  'border-right-width',
  'border-bottom-width',
  'border-left-width',
  'border-top-style',
  'border-right-style',
  'border-bottom-style',
  'border-left-style',
  'border-top-left-radius',
  'border-top-right-radius',
  'border-bottom-right-radius',
  'border-bottom-left-radius',
  'transform',
  'transform-origin',
  'transform-style',
  'translate',
  'rotate',
  'scale',
  'backface-visibility',
  'opacity',
  'filter',
  'clip-path',
  'mask',
  'mix-blend-mode',
  'z-index',
  'visibility',
  'display',
  'object-fit',
  'object-position',
  'image-rendering',
];

interface Entry {
  video: HTMLElement;
  canvas: HTMLCanvasElement;
  context: CanvasRenderingContext2D;
  source: FrameSource;
}

/** Installs `window.__framesmithDecode` (see the module comment); a second call in the same window does nothing. */
export function install(config: Pick<RuntimeConfig, 'rootSelector' | 'timedWithinRoot'>): void {
  const win = window as Window & typeof globalThis;
  if (win.__framesmithDecode) return;
  const elements = timedElements(win.document, { fps: { num: 1, den: 1 }, seed: 0, timed: [], ...config });
  const entries = new Map<number, Entry>();
  const sheet = lazySheet(win.document, '__framesmith-decode-style');

  const sync = (entry: Entry, visible: boolean) => {
    const computed = getComputedStyle(entry.video);
    const style = entry.canvas.style;
    for (const name of COPIED) style.setProperty(name, computed.getPropertyValue(name), 'important');
    if (!visible) style.setProperty('display', 'none', 'important');
  };

  const openOne = async (spec: DecodedVideoSpec): Promise<string | null> => {
    const video = elements.list()[spec.index];
    if (!(video instanceof win.HTMLVideoElement)) return 'the element is not a <video>';
    if (entries.has(spec.index)) return null;
    let source: FrameSource;
    try {
      source = await FrameSource.open({ url: spec.url, colorSpace: spec.colorSpace as VideoColorSpaceInit, lookahead: spec.lookahead });
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
    const canvas = win.document.createElement('canvas');
    canvas.setAttribute(ATTR, String(spec.index));
    canvas.width = spec.width;
    canvas.height = spec.height;
    const context = canvas.getContext('2d', { alpha: false });
    if (!context) {
      source.dispose();
      return 'the page has no 2D canvas';
    }
    context.imageSmoothingQuality = 'high';
    // Fixed, not inherited: the canvas is not the video (no background; borders keep only their widths).
    canvas.style.setProperty('background', 'none', 'important');
    canvas.style.setProperty('border-color', 'transparent', 'important');
    canvas.style.setProperty('pointer-events', 'none', 'important');
    canvas.style.setProperty('display', 'none', 'important');
    video.after(canvas);
    video.setAttribute(VIDEO_ATTR, String(spec.index));
    sheet().insertRule(`video[${VIDEO_ATTR}="${spec.index}"]{${NOT_DRAWN}}`, sheet().cssRules.length);
    entries.set(spec.index, { video, canvas, context, source });
    return null;
  };

  const api: VideoDecodeApi = {
    inspect(indices) {
      const els = elements.list();
      return indices.map((index) => {
        const el = els[index];
        return el instanceof win.HTMLVideoElement ? getComputedStyle(el).position : null;
      });
    },
    async open(videos) {
      return Promise.all(videos.map(openOne));
    },
    async show(changes) {
      const failures: Array<{ index: number; message: string }> = [];
      await Promise.all(
        changes.map(async (c) => {
          try {
            const entry = entries.get(c.index);
            if (!entry) throw new Error('the video was not opened in this page');
            if (c.target === null) {
              sync(entry, false);
              return;
            }
            const frame = await entry.source.frameAt(c.target);
            if (frame) {
              try {
                entry.context.drawImage(frame, 0, 0, entry.canvas.width, entry.canvas.height);
              } finally {
                closeFrame(frame);
              }
            }
            sync(entry, true);
          } catch (error) {
            // As data: the stage names the element and the file (a media error), not the page.
            failures.push({ index: c.index, message: error instanceof Error ? error.message : String(error) });
          }
        }),
      );
      return { counts: { ...frameCounts }, failures };
    },
    stats() {
      return { ...frameCounts };
    },
  };
  Object.defineProperty(win, '__framesmithDecode', { value: api, configurable: false, enumerable: false, writable: false });
}
