/**
 * The media guard, as plain JavaScript text injected with the runtime (`page.evaluateOnNewDocument`,
 * before the page's own scripts): `<video>`/`<audio>` elements never load or play their files. The
 * render's media stages supply video frames (src/capture/video-frames.ts) and sound (the audio mix),
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
 * that loaded the file uses the file's size. So a `<video>` whose file is known (`known`, keyed by
 * the decoded path of its `src` or first `<source>` URL) gets a transparent poster of that
 * size: without video data the element takes its intrinsic size from the poster. (Remote files are
 * keyed by their absolute URL instead.)
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
const GUARD_SOURCE = String.raw`
(function framesmithMediaGuard() {
  'use strict';
  var KNOWN = __KNOWN__;
  if (window.__framesmithMediaGuard) return;
  Object.defineProperty(window, '__framesmithMediaGuard', { value: true });
  var proto = HTMLMediaElement.prototype;
  proto.play = function play() { return Promise.resolve(); };
  proto.load = function load() {};

  // ---- what a player would report once the file loaded ----------------------------------------
  var loaded = new WeakMap(); // element -> [width, height, duration] after its load events
  var queued = new WeakSet();
  var pending = 0;
  var settledWaiters = [];
  function mediaUrl(el) {
    var source = el.getAttribute('src') ? el : el.querySelector('source[src]');
    return source ? source.src : '';
  }
  function knownInfo(el) {
    var url = mediaUrl(el);
    if (!url) return null;
    var byPath = '';
    try { byPath = decodeURIComponent(new URL(url).pathname); } catch (e) { /* not a URL */ }
    return KNOWN[url] || KNOWN[byPath] || null;
  }
  function override(target, name, value) {
    var original = Object.getOwnPropertyDescriptor(target, name);
    if (!original || !original.get) return;
    Object.defineProperty(target, name, {
      configurable: true, enumerable: original.enumerable,
      get: function () { var info = loaded.get(this); return info ? value(info) : original.get.call(this); },
    });
  }
  override(proto, 'duration', function (info) { return info[2]; });
  override(proto, 'readyState', function () { return 4; });
  override(HTMLVideoElement.prototype, 'videoWidth', function (info) { return info[0]; });
  override(HTMLVideoElement.prototype, 'videoHeight', function (info) { return info[1]; });
  var LOAD_EVENTS = ['loadstart', 'durationchange', 'loadedmetadata', 'loadeddata', 'canplay', 'canplaythrough'];
  function announce(el) {
    if (queued.has(el)) return;
    queued.add(el);
    pending++;
    var fire = function () {
      setTimeout(function () {
        try {
          var info = el.isConnected ? knownInfo(el) : null;
          if (info) {
            loaded.set(el, info);
            for (var i = 0; i < LOAD_EVENTS.length; i++) el.dispatchEvent(new Event(LOAD_EVENTS[i]));
          } else {
            queued.delete(el); // announced again if it is inserted or its source appears later
          }
        } finally {
          if (--pending === 0) { var waiters = settledWaiters; settledWaiters = []; waiters.forEach(function (w) { w(); }); }
        }
      }, 0);
    };
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', fire, { once: true });
    else fire();
  }
  Object.defineProperty(window, '__framesmithMediaSettled', {
    value: function () {
      return pending === 0 ? Promise.resolve() : new Promise(function (resolve) { settledWaiters.push(resolve); });
    },
  });
  function quiet(el) {
    if (el.getAttribute('preload') !== 'none') el.setAttribute('preload', 'none');
    if (el.hasAttribute('autoplay')) el.removeAttribute('autoplay');
    if (el.hasAttribute('poster') && !ownPoster(el.getAttribute('poster'))) {
      el.setAttribute('data-framesmith-poster', el.getAttribute('poster'));
      el.removeAttribute('poster');
    }
  }
  // A transparent SVG of the file's size as the poster: with no video data, a <video> takes its
  // intrinsic size (and ratio) from the poster, exactly as it would from the loaded file, so CSS
  // sizing (auto, width only, height only, max-width…) works as with a player. It paints nothing.
  var POSTER_PREFIX = 'data:image/svg+xml,' + encodeURIComponent('<svg xmlns="http://www.w3.org/2000/svg" data-framesmith-intrinsic="1" ');
  function ownPoster(value) { return value.indexOf(POSTER_PREFIX) === 0; }
  function size(video) {
    // Remote files are keyed by their whole URL, the project's by decoded path.
    var known = knownInfo(video);
    if (!known || !(known[0] > 0) || video.hasAttribute('poster')) return;
    video.setAttribute('poster', POSTER_PREFIX + encodeURIComponent('width="' + known[0] + '" height="' + known[1] + '"/>'));
  }
  function visit(node) {
    if (node.nodeType !== 1) return;
    // A <source> can arrive after its <video> (the parser appends children one by one).
    if (node instanceof HTMLSourceElement && node.parentElement instanceof HTMLMediaElement) {
      if (node.parentElement instanceof HTMLVideoElement) size(node.parentElement);
      announce(node.parentElement);
    }
    if (node instanceof HTMLMediaElement) { quiet(node); announce(node); }
    if (node instanceof HTMLVideoElement) size(node);
    if (node.querySelectorAll) {
      Array.prototype.forEach.call(node.querySelectorAll('video, audio'), function (el) { quiet(el); announce(el); });
      Array.prototype.forEach.call(node.querySelectorAll('video'), size);
    }
  }
  new MutationObserver(function (records) {
    for (var i = 0; i < records.length; i++) {
      var r = records[i];
      if (r.type === 'attributes') { if (r.target instanceof HTMLMediaElement) quiet(r.target); continue; }
      for (var j = 0; j < r.addedNodes.length; j++) visit(r.addedNodes[j]);
    }
  }).observe(document, { childList: true, subtree: true, attributes: true, attributeFilter: ['autoplay', 'poster', 'preload'] });
})();
`;

/**
 * The guard's source, knowing the files: decoded URL path (or a remote file's whole URL) →
 * [display width, display height, duration in seconds]; width and height are 0 for audio.
 */
export function mediaGuardSource(known: Record<string, readonly [number, number, number]> = {}): string {
  return GUARD_SOURCE.replace('__KNOWN__', JSON.stringify(known));
}

/** The guard with no known files. */
export const MEDIA_GUARD_SOURCE = mediaGuardSource();
