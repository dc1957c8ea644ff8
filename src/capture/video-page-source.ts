/**
 * The page side of video frames, as plain JavaScript text (like src/browser/runtime/page-source.ts,
 * and for the same reason: compiled code may carry helpers that do not exist in the page).
 * `page.evaluate(VIDEO_PAGE_SOURCE)` installs `window.__framesmithVideo` once per page:
 *
 * - `measure(indices)` → for each timed-element index: `{ index, tagName, width, height, fit }`, the
 *   content box in device pixels (CSS size × devicePixelRatio, rounded up; 0 when not laid out) and
 *   the computed `object-fit`.
 * - `attach(videos)` — `videos: [{ index, naturalWidth, naturalHeight }]` (the source's display size).
 *   Marks each `<video>` with `data-framesmith-video="<index>"` and gives it a rule in a stylesheet
 *   of our own, so page scripts that rewrite the element's inline style cannot undo it.
 * - `show(changes)` — `changes: [{ index, url | null }]`. Loads every new frame (`Image` load event),
 *   then sets each video's rule: the frame as `background-image` (no-repeat, in the content box),
 *   `object-fit` → `background-size` and `object-position` → `background-position`, read from the
 *   element's computed style at that moment. `url: null` removes the image (the video shows nothing).
 *
 * Why a background: the `<video>` element stays in the DOM, so page scripts and timelines keep their
 * references, selectors still match, and every CSS property of the element (box, transforms,
 * opacity, filters, border radius, clip-path, stacking) applies to the frame as it would to playback.
 * The element never has media data or a poster (src/browser/runtime/media-guard-source.ts), so
 * nothing of its own paints over the background.
 *
 * Freshness: `show` resolves after every new image has loaded, and the image stays referenced while it
 * is shown, so the style's URL hits the document's memory cache and the next captured frame paints it
 * (the browser runs with --run-all-compositor-stages-before-draw, so images are decoded before the
 * draw rather than checkerboarded).
 */
export const VIDEO_PAGE_SOURCE = String.raw`
(function framesmithVideo() {
  'use strict';
  if (window.__framesmithVideo) return;
  var TIMED_SELECTOR = '[data-start], video, audio';
  var ATTR = 'data-framesmith-video';
  var entries = {};
  var sheet = null;

  function timedElements() {
    var root = document.querySelector('[data-composition-id]');
    return Array.prototype.filter.call(document.querySelectorAll(TIMED_SELECTOR), function (el) { return el !== root; });
  }
  function px(value) { var n = parseFloat(value); return isFinite(n) ? n : 0; }
  function contentBox(el) {
    var cs = getComputedStyle(el);
    var w = el.clientWidth - px(cs.paddingLeft) - px(cs.paddingRight);
    var h = el.clientHeight - px(cs.paddingTop) - px(cs.paddingBottom);
    return { width: Math.max(0, w), height: Math.max(0, h), fit: cs.objectFit || 'fill' };
  }
  function ensureSheet() {
    if (sheet) return sheet;
    var style = document.createElement('style');
    style.id = '__framesmith-video-style';
    (document.head || document.documentElement).appendChild(style);
    sheet = style.sheet;
    return sheet;
  }

  function measure(indices) {
    var els = timedElements();
    var dpr = window.devicePixelRatio || 1;
    return indices.map(function (index) {
      var el = els[index];
      if (!el) return { index: index, tagName: null, width: 0, height: 0, fit: 'fill' };
      var box = contentBox(el);
      return { index: index, tagName: el.tagName.toLowerCase(), width: Math.ceil(box.width * dpr), height: Math.ceil(box.height * dpr), fit: box.fit };
    });
  }

  function attach(videos) {
    var els = timedElements();
    var target = ensureSheet();
    videos.forEach(function (v) {
      var el = els[v.index];
      if (!el || entries[v.index]) return;
      el.setAttribute(ATTR, String(v.index));
      var at = target.insertRule('[' + ATTR + '="' + v.index + '"]{background-repeat:no-repeat !important;background-origin:content-box !important;background-clip:content-box !important}', target.cssRules.length);
      entries[v.index] = { el: el, rule: target.cssRules[at], img: null, naturalWidth: v.naturalWidth, naturalHeight: v.naturalHeight };
    });
  }

  function sizeFor(entry) {
    var box = contentBox(entry.el);
    var natural = entry.naturalWidth + 'px ' + entry.naturalHeight + 'px';
    switch (box.fit) {
      case 'contain': return 'contain';
      case 'cover': return 'cover';
      case 'none': return natural;
      case 'scale-down':
        return entry.naturalWidth <= box.width && entry.naturalHeight <= box.height ? natural : 'contain';
      default: return '100% 100%';
    }
  }

  function load(url) {
    return new Promise(function (resolve, reject) {
      var img = new Image();
      img.onload = function () { resolve(img); };
      img.onerror = function () { reject(new Error('framesmith: a video frame failed to load in the page')); };
      img.src = url;
    });
  }

  function show(changes) {
    return Promise.all(changes.map(function (c) {
      return c.url === null ? Promise.resolve(null) : load(c.url);
    })).then(function (images) {
      changes.forEach(function (c, i) {
        var entry = entries[c.index];
        if (!entry) throw new Error('framesmith: video at timed index ' + c.index + ' was not attached');
        var style = entry.rule.style;
        if (c.url === null) {
          style.removeProperty('background-image');
          entry.img = null;
          return;
        }
        style.setProperty('background-size', sizeFor(entry), 'important');
        style.setProperty('background-position', getComputedStyle(entry.el).objectPosition || '50% 50%', 'important');
        style.setProperty('background-image', 'url("' + c.url + '")', 'important');
        entry.img = images[i];
      });
    });
  }

  Object.defineProperty(window, '__framesmithVideo', {
    value: { measure: measure, attach: attach, show: show },
    configurable: false, enumerable: false, writable: false,
  });
})();
`;
