/**
 * The page side of video frames, installed once per page by the video-frames stage
 * (src/stages/video-frames.ts) as `window.__framesmithVideo`:
 *
 * - `measure(indices)` → for each timed-element index: `{ index, tagName, width, height, fit }`, the
 *   content box in device pixels (CSS size × devicePixelRatio, rounded up; 0 when not laid out) and
 *   the computed `object-fit`.
 * - `attach(videos)` — `videos: [{ index, naturalWidth, naturalHeight }]` (the source's display size).
 *   Marks each `<video>` with `data-framesmith-video="<index>"` and gives it a rule in a stylesheet
 *   of our own, so page scripts that rewrite the element's inline style cannot undo it; the rule also
 *   takes its box-shadow and outline away (`NOT_DRAWN`).
 * - `show(changes)` — `changes: [{ index, url | null }]`. Loads every new frame (`Image` load event),
 *   then sets each video's rule: the frame as `background-image` (no-repeat, in the content box),
 *   `object-fit` → `background-size` and `object-position` → `background-position`, read from the
 *   element's computed style at that moment. `url: null` removes the image (the video shows nothing).
 *
 * Why a background: the `<video>` element stays in the DOM, so page scripts and timelines keep their
 * references, selectors still match, and every CSS property of the element (box, transforms,
 * opacity, filters, border radius, clip-path, stacking) applies to the frame as it would to playback.
 * The element never has media data or a poster (media-guard.ts), so nothing of its own paints over
 * the background.
 *
 * Freshness: `show` resolves after every new image has loaded, and the image stays referenced while it
 * is shown, so the style's URL hits the document's memory cache and the next captured frame paints it
 * (the browser runs with --run-all-compositor-stages-before-draw, so images are decoded before the
 * draw rather than checkerboarded).
 */
import type { RuntimeConfig, VideoPaintApi } from '../page-api.js';
import { timedElements } from './timed-elements.js';

const ATTR = 'data-framesmith-video';
/**
 * What a video framesmith draws frames for does not draw: HyperFrames hides the `<video>` and shows each
 * frame in an `<img>` taking over a list of its visual properties, and its box-shadow and outline are not
 * among them (a style pack's shadowed video has none there).
 */
export const NOT_DRAWN = 'box-shadow:none !important;outline:none !important';

/** A stylesheet of our own in `doc`, made (a `<style id>` in the head) the first time the returned function is called. */
export function lazySheet(doc: Document, id: string): () => CSSStyleSheet {
  let sheet: CSSStyleSheet | null = null;
  return () => {
    if (!sheet) {
      const style = doc.createElement('style');
      style.id = id;
      (doc.head ?? doc.documentElement).appendChild(style);
      sheet = style.sheet!;
    }
    return sheet;
  };
}

interface Entry {
  el: HTMLElement;
  rule: CSSStyleRule;
  img: HTMLImageElement | null;
  naturalWidth: number;
  naturalHeight: number;
}

/**
 * Installs `window.__framesmithVideo` (see the module comment), finding timed elements as the runtime does
 * with `config`; a second call in the same window does nothing.
 */
export function install(config: Pick<RuntimeConfig, 'rootSelector' | 'timedWithinRoot'>): void {
  const win = window as Window & typeof globalThis;
  if (win.__framesmithVideo) return;
  const elements = timedElements(win.document, { fps: { num: 1, den: 1 }, seed: 0, timed: [], ...config });
  const entries = new Map<number, Entry>();

  const px = (value: string) => {
    const n = parseFloat(value);
    return Number.isFinite(n) ? n : 0;
  };
  const contentBox = (el: Element) => {
    const cs = getComputedStyle(el);
    return {
      width: Math.max(0, el.clientWidth - px(cs.paddingLeft) - px(cs.paddingRight)),
      height: Math.max(0, el.clientHeight - px(cs.paddingTop) - px(cs.paddingBottom)),
      fit: cs.objectFit || 'fill',
    };
  };
  const ensureSheet = lazySheet(win.document, '__framesmith-video-style');
  const sizeFor = (entry: Entry): string => {
    const box = contentBox(entry.el);
    const natural = `${entry.naturalWidth}px ${entry.naturalHeight}px`;
    switch (box.fit) {
      case 'contain':
        return 'contain';
      case 'cover':
        return 'cover';
      case 'none':
        return natural;
      case 'scale-down':
        return entry.naturalWidth <= box.width && entry.naturalHeight <= box.height ? natural : 'contain';
      default:
        return '100% 100%';
    }
  };
  const load = (url: string) =>
    new Promise<HTMLImageElement>((resolve, reject) => {
      const img = new win.Image();
      img.onload = () => resolve(img);
      img.onerror = () => reject(new Error('framesmith: a video frame failed to load in the page'));
      img.src = url;
    });

  const api: VideoPaintApi = {
    measure(indices) {
      const els = elements.list();
      const dpr = win.devicePixelRatio || 1;
      return indices.map((index) => {
        const el = els[index];
        if (!el) return { index, tagName: null, width: 0, height: 0, fit: 'fill' };
        const box = contentBox(el);
        return {
          index,
          tagName: el.tagName.toLowerCase(),
          width: Math.ceil(box.width * dpr),
          height: Math.ceil(box.height * dpr),
          fit: box.fit,
        };
      });
    },
    attach(videos) {
      const els = elements.list();
      const target = ensureSheet();
      for (const v of videos) {
        const el = els[v.index];
        if (!(el instanceof win.HTMLElement) || entries.has(v.index)) continue;
        el.setAttribute(ATTR, String(v.index));
        const at = target.insertRule(
          `[${ATTR}="${v.index}"]{background-repeat:no-repeat !important;background-origin:content-box !important;background-clip:content-box !important;${NOT_DRAWN}}`,
          target.cssRules.length,
        );
        entries.set(v.index, {
          el,
          rule: target.cssRules[at] as CSSStyleRule,
          img: null,
          naturalWidth: v.naturalWidth,
          naturalHeight: v.naturalHeight,
        });
      }
    },
    async show(changes) {
      const images = await Promise.all(changes.map((c) => (c.url === null ? null : load(c.url))));
      changes.forEach((c, i) => {
        const entry = entries.get(c.index);
        if (!entry) throw new Error(`framesmith: video at timed index ${c.index} was not attached`);
        const style = entry.rule.style;
        if (c.url === null) {
          style.removeProperty('background-image');
          entry.img = null;
          return;
        }
        style.setProperty('background-size', sizeFor(entry), 'important');
        style.setProperty('background-position', getComputedStyle(entry.el).objectPosition || '50% 50%', 'important');
        style.setProperty('background-image', `url("${c.url}")`, 'important');
        entry.img = images[i]!;
      });
    },
  };
  Object.defineProperty(win, '__framesmithVideo', { value: api, configurable: false, enumerable: false, writable: false });
}
