/**
 * The media guard, injected with the runtime (before the page's own scripts): `<video>`/`<audio>`
 * elements never load or play their files. The render's media stages supply video frames and sound,
 * so a page that fetched the files would only waste time, could paint a decoded frame over the one
 * the stage shows, and would report a missing file as a failed request instead of naming the element.
 *
 * Every media element, as the parser or a script inserts it, gets `preload="none"`, loses `autoplay`
 * and moves its `poster` to `data-framesmith-poster` (a poster would paint over the frame shown as the
 * element's background); `play()` resolves without playing and `load()` does nothing. `src`,
 * `<source>` children and the element itself stay as written, so scripts and selectors see what the
 * author wrote. A mutation observer runs before the media element's deferred load task, so no request
 * is ever made.
 *
 * A video that never loads has no intrinsic size: Chromium lays it out at 300x150 (2:1), where a player
 * that loaded the file uses the file's size. So a `<video>` whose file is known (`config.known`, keyed
 * by the decoded path of its `src` or first `<source>` URL, or a remote file's whole URL) gets a
 * transparent poster of that size: without video data the element takes its intrinsic size from the
 * poster.
 *
 * Scripts that wait for media (a `loadedmetadata` listener, `duration`, `videoWidth`, `readyState`)
 * see what a player would report once the file loaded: each element whose file is known gets
 * `loadstart`, `durationchange`, `loadedmetadata`, `loadeddata`, `canplay` and `canplaythrough` in a
 * task after the document is parsed (after it is inserted, for later elements), so listeners added by
 * the page's own scripts are in place; from then on `readyState` is 4 and `duration`, `videoWidth`
 * and `videoHeight` are the file's. `window.__framesmithMediaSettled()` resolves once every queued
 * dispatch ran; the runtime's `ready()` waits for it, so timelines built in those listeners exist
 * before the first frame.
 */
import type { MediaGuardConfig, PageMediaInfo } from '../page-api.js';

const LOAD_EVENTS = ['loadstart', 'durationchange', 'loadedmetadata', 'loadeddata', 'canplay', 'canplaythrough'];
// A transparent SVG of the file's size as the poster: with no video data, a <video> takes its
// intrinsic size (and ratio) from the poster, exactly as it would from the loaded file, so CSS
// sizing (auto, width only, height only, max-width…) works as with a player. It paints nothing.
const POSTER_PREFIX = `data:image/svg+xml,${encodeURIComponent('<svg xmlns="http://www.w3.org/2000/svg" data-framesmith-intrinsic="1" ')}`;

/**
 * Installs the media guard in the current window (see the module comment); a second call in the same
 * window does nothing. `config.known` holds the files whose size and duration the elements report.
 */
export function install(config: MediaGuardConfig): void {
  const win = window as Window & typeof globalThis & { __framesmithMediaGuard?: boolean };
  if (win.__framesmithMediaGuard) return;
  Object.defineProperty(win, '__framesmithMediaGuard', { value: true });
  const known = config.known;
  const proto = win.HTMLMediaElement.prototype;
  proto.play = function play() {
    return Promise.resolve();
  };
  proto.load = function load() {};

  const loaded = new WeakMap<HTMLMediaElement, PageMediaInfo>();
  const queued = new WeakSet<HTMLMediaElement>();
  let pending = 0;
  let settledWaiters: Array<() => void> = [];

  const mediaUrl = (el: HTMLMediaElement): string => {
    const source = el.getAttribute('src') ? el : el.querySelector('source[src]');
    return source ? (source as HTMLMediaElement | HTMLSourceElement).src : '';
  };
  const knownInfo = (el: HTMLMediaElement): PageMediaInfo | null => {
    const url = mediaUrl(el);
    if (!url) return null;
    let byPath = '';
    try {
      byPath = decodeURIComponent(new URL(url).pathname);
    } catch {
      // not a URL
    }
    // Own-property lookups only: a path like /constructor must not find Object.prototype's.
    const has = (key: string) => Object.hasOwn(known, key);
    return has(url) ? known[url]! : has(byPath) ? known[byPath]! : null;
  };
  const override = <T extends object>(target: T, name: string, value: (info: PageMediaInfo) => number) => {
    const original = Object.getOwnPropertyDescriptor(target, name);
    if (!original?.get) return;
    const get = original.get;
    Object.defineProperty(target, name, {
      configurable: true,
      enumerable: original.enumerable ?? false,
      get(this: HTMLMediaElement) {
        const info = loaded.get(this);
        return info ? value(info) : get.call(this);
      },
    });
  };
  override(proto, 'duration', (info) => info[2]);
  override(proto, 'readyState', () => 4);
  override(win.HTMLVideoElement.prototype, 'videoWidth', (info) => info[0]);
  override(win.HTMLVideoElement.prototype, 'videoHeight', (info) => info[1]);

  const announce = (el: HTMLMediaElement) => {
    if (queued.has(el)) return;
    queued.add(el);
    pending++;
    const fire = () => {
      win.setTimeout(() => {
        try {
          const info = el.isConnected ? knownInfo(el) : null;
          if (info) {
            loaded.set(el, info);
            for (const name of LOAD_EVENTS) el.dispatchEvent(new win.Event(name));
          } else {
            queued.delete(el); // announced again if it is inserted or its source appears later
          }
        } finally {
          if (--pending === 0) {
            const waiters = settledWaiters;
            settledWaiters = [];
            for (const w of waiters) w();
          }
        }
      }, 0);
    };
    if (win.document.readyState === 'loading') win.document.addEventListener('DOMContentLoaded', fire, { once: true });
    else fire();
  };
  Object.defineProperty(win, '__framesmithMediaSettled', {
    value: () =>
      pending === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            settledWaiters.push(resolve);
          }),
  });

  const ownPoster = (value: string | null) => value?.startsWith(POSTER_PREFIX);
  const quiet = (el: HTMLMediaElement) => {
    if (el.getAttribute('preload') !== 'none') el.setAttribute('preload', 'none');
    if (el.hasAttribute('autoplay')) el.removeAttribute('autoplay');
    const poster = el.getAttribute('poster');
    if (poster !== null && !ownPoster(poster)) {
      el.setAttribute('data-framesmith-poster', poster);
      el.removeAttribute('poster');
    }
  };
  const size = (video: HTMLVideoElement) => {
    const info = knownInfo(video);
    if (!info || !(info[0] > 0) || video.hasAttribute('poster')) return;
    video.setAttribute('poster', POSTER_PREFIX + encodeURIComponent(`width="${info[0]}" height="${info[1]}"/>`));
  };
  const visit = (node: Node) => {
    if (!(node instanceof win.Element)) return;
    // A <source> can arrive after its <video> (the parser appends children one by one).
    if (node instanceof win.HTMLSourceElement && node.parentElement instanceof win.HTMLMediaElement) {
      if (node.parentElement instanceof win.HTMLVideoElement) size(node.parentElement);
      announce(node.parentElement);
    }
    if (node instanceof win.HTMLMediaElement) {
      quiet(node);
      announce(node);
    }
    if (node instanceof win.HTMLVideoElement) size(node);
    node.querySelectorAll('video, audio').forEach((el) => {
      quiet(el as HTMLMediaElement);
      announce(el as HTMLMediaElement);
    });
    for (const el of node.querySelectorAll('video')) size(el);
  };
  new win.MutationObserver((records) => {
    for (const r of records) {
      if (r.type === 'attributes') {
        if (r.target instanceof win.HTMLMediaElement) quiet(r.target);
        continue;
      }
      r.addedNodes.forEach(visit);
    }
  }).observe(win.document, { childList: true, subtree: true, attributes: true, attributeFilter: ['autoplay', 'poster', 'preload'] });
}
