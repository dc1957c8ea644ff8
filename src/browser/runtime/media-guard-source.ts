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
 */
export const MEDIA_GUARD_SOURCE = String.raw`
(function framesmithMediaGuard() {
  'use strict';
  if (window.__framesmithMediaGuard) return;
  Object.defineProperty(window, '__framesmithMediaGuard', { value: true });
  var proto = HTMLMediaElement.prototype;
  proto.play = function play() { return Promise.resolve(); };
  proto.load = function load() {};
  function quiet(el) {
    if (el.getAttribute('preload') !== 'none') el.setAttribute('preload', 'none');
    if (el.hasAttribute('autoplay')) el.removeAttribute('autoplay');
    if (el.hasAttribute('poster')) {
      el.setAttribute('data-framesmith-poster', el.getAttribute('poster'));
      el.removeAttribute('poster');
    }
  }
  function visit(node) {
    if (node.nodeType !== 1) return;
    if (node instanceof HTMLMediaElement) quiet(node);
    if (node.querySelectorAll) Array.prototype.forEach.call(node.querySelectorAll('video, audio'), quiet);
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
