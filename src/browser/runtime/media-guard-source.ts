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
 * that loaded the file uses the file's size. So a `<video>` whose file size is known (`intrinsic`,
 * keyed by the decoded path of its `src` or first `<source>` URL) gets a transparent poster of that
 * size: without video data the element takes its intrinsic size from the poster. (Remote files are
 * keyed by their absolute URL instead.)
 */
const GUARD_SOURCE = String.raw`
(function framesmithMediaGuard() {
  'use strict';
  var INTRINSIC = __INTRINSIC__;
  if (window.__framesmithMediaGuard) return;
  Object.defineProperty(window, '__framesmithMediaGuard', { value: true });
  var proto = HTMLMediaElement.prototype;
  proto.play = function play() { return Promise.resolve(); };
  proto.load = function load() {};
  function quiet(el) {
    if (el.getAttribute('preload') !== 'none') el.setAttribute('preload', 'none');
    if (el.hasAttribute('autoplay')) el.removeAttribute('autoplay');
    if (el.hasAttribute('poster') && !ownPoster(el.getAttribute('poster'))) {
      el.setAttribute('data-framesmith-poster', el.getAttribute('poster'));
      el.removeAttribute('poster');
    }
  }
  function sourcePath(video) {
    var source = video.getAttribute('src') ? video : video.querySelector('source[src]');
    try { return source ? decodeURIComponent(new URL(source.src).pathname) : ''; } catch (e) { return ''; }
  }
  // A transparent SVG of the file's size as the poster: with no video data, a <video> takes its
  // intrinsic size (and ratio) from the poster, exactly as it would from the loaded file, so CSS
  // sizing (auto, width only, height only, max-width…) works as with a player. It paints nothing.
  var POSTER_PREFIX = 'data:image/svg+xml,' + encodeURIComponent('<svg xmlns="http://www.w3.org/2000/svg" data-framesmith-intrinsic="1" ');
  function ownPoster(value) { return value.indexOf(POSTER_PREFIX) === 0; }
  function sourceUrl(video) {
    var source = video.getAttribute('src') ? video : video.querySelector('source[src]');
    return source ? source.src : '';
  }
  function size(video) {
    // Remote files are keyed by their whole URL, the project's by decoded path.
    var known = INTRINSIC[sourceUrl(video)] || INTRINSIC[sourcePath(video)];
    if (!known || video.hasAttribute('poster')) return;
    video.setAttribute('poster', POSTER_PREFIX + encodeURIComponent('width="' + known[0] + '" height="' + known[1] + '"/>'));
  }
  function visit(node) {
    if (node.nodeType !== 1) return;
    // A <source> can arrive after its <video> (the parser appends children one by one).
    if (node instanceof HTMLSourceElement && node.parentElement instanceof HTMLVideoElement) size(node.parentElement);
    if (node instanceof HTMLMediaElement) quiet(node);
    if (node instanceof HTMLVideoElement) size(node);
    if (node.querySelectorAll) {
      Array.prototype.forEach.call(node.querySelectorAll('video, audio'), quiet);
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

/** The guard's source, knowing the files' display sizes: decoded URL path → [width, height]. */
export function mediaGuardSource(intrinsic: Record<string, readonly [number, number]> = {}): string {
  return GUARD_SOURCE.replace('__INTRINSIC__', JSON.stringify(intrinsic));
}

/** The guard with no known video sizes. */
export const MEDIA_GUARD_SOURCE = mediaGuardSource();
