/**
 * The source of the in-page runtime, as plain JavaScript text. It runs in the page (via
 * `page.evaluateOnNewDocument`) before any of the page's scripts, so it can only use what the page
 * has: no imports, no TypeScript. `runtimeScript()` wraps it with the JSON config.
 *
 * Kept as text rather than a compiled function's `toString()` because the build and the test
 * transformer may inject helpers into compiled code that would not exist in the page.
 */
export const PAGE_RUNTIME_SOURCE = String.raw`
function framesmithRuntime(config) {
  'use strict';
  if (window.__framesmith) return;
  var TIMED_SELECTOR = '[data-start], video, audio';
  var HIDDEN_ATTR = 'data-framesmith-hidden';
  // Two times within 1 microsecond are the same moment: frame times k*den/num carry float noise.
  var EPSILON_S = 1e-6;
  var BASE_EPOCH_MS = 1704067200000; // 2024-01-01T00:00:00Z
  var errors = [];
  var virtualMs = 0;
  var lastSeekMs = 0;
  var seeking = Promise.resolve();

  function describe(value) {
    if (value && typeof value === 'object' && 'message' in value) return String(value.stack || value.message);
    try { return typeof value === 'string' ? value : JSON.stringify(value); } catch (e) { return String(value); }
  }
  function report(prefix, value) { errors.push(prefix + describe(value)); }

  // ---- errors of the page ------------------------------------------------------------------
  window.addEventListener('error', function (event) {
    // Resource load failures also arrive here (capture phase) but are not ErrorEvents: the
    // project server records those as failed requests.
    if (!(event instanceof ErrorEvent)) return;
    var where = event.filename ? ' (' + event.filename + ':' + event.lineno + ':' + event.colno + ')' : '';
    errors.push('Uncaught ' + (event.error ? describe(event.error) : event.message) + where);
  }, true);
  window.addEventListener('unhandledrejection', function (event) {
    report('Unhandled promise rejection: ', event.reason);
  });

  // ---- virtual clock -------------------------------------------------------------------------
  var RealDate = Date;
  function nowMs() { return BASE_EPOCH_MS + virtualMs; }
  function FramesmithDate() {
    var args = Array.prototype.slice.call(arguments);
    // Called without new, Date() returns a string of the current time.
    if (!new.target) return new RealDate(nowMs()).toString();
    return Reflect.construct(RealDate, args.length ? args : [nowMs()], new.target);
  }
  FramesmithDate.prototype = RealDate.prototype;
  FramesmithDate.now = function now() { return nowMs(); };
  FramesmithDate.parse = RealDate.parse;
  FramesmithDate.UTC = RealDate.UTC;
  Object.defineProperty(RealDate.prototype, 'constructor', { value: FramesmithDate, writable: true, configurable: true });
  window.Date = FramesmithDate;
  Object.defineProperty(performance, 'now', { value: function now() { return virtualMs; }, configurable: true, writable: true });

  // ---- requestAnimationFrame: our queue, run once per seek ---------------------------------------
  var rafQueue = new Map();
  var rafNextId = 1;
  window.requestAnimationFrame = function requestAnimationFrame(callback) {
    var id = rafNextId++;
    rafQueue.set(id, callback);
    return id;
  };
  window.cancelAnimationFrame = function cancelAnimationFrame(id) { rafQueue.delete(id); };
  function runAnimationFrames() {
    // Callbacks queued while these run wait for the next seek, as in a browser frame.
    var batch = Array.from(rafQueue.values());
    rafQueue.clear();
    for (var i = 0; i < batch.length; i++) {
      try { batch[i](virtualMs); } catch (e) { report('Uncaught in requestAnimationFrame: ', e); }
    }
  }

  // ---- seeded Math.random ------------------------------------------------------------------------
  // A Weyl sequence through a 32-bit integer mixer: uniform enough for animation jitter, fully
  // determined by the seed.
  var randomState = (config.seed >>> 0);
  Math.random = function random() {
    randomState = (randomState + 0x9e3779b9) >>> 0;
    var z = randomState;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    z = (z ^ (z >>> 15)) >>> 0;
    return z / 4294967296;
  };

  // ---- the composition's elements -------------------------------------------------------------
  var root = null;
  var timedElements = null;
  function findRoot() {
    root = root || document.querySelector(config.rootSelector || '[data-composition-id]');
    return root;
  }
  function getTimedElements() {
    if (!timedElements) {
      var r = findRoot();
      timedElements = Array.prototype.filter.call(document.querySelectorAll(TIMED_SELECTOR), function (el) { return el !== r; });
    }
    return timedElements;
  }
  function checkTimedElements() {
    var els = getTimedElements();
    for (var i = 0; i < config.timed.length; i++) {
      var entry = config.timed[i];
      if (!entry.tagName) continue;
      var el = els[entry.index];
      var expected = entry.tagName + (entry.id ? '#' + entry.id : '');
      var found = el ? el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') : 'nothing';
      if (found !== expected) {
        throw new Error('framesmith: timed element ' + entry.index + ' should be ' + expected + ' but the page has ' + found +
          ' there: the browser parsed the HTML differently (check for a <div> inside <p> or <table>, unclosed tags, or scripts that insert elements with data-start) and fix the markup');
      }
    }
  }
  function ensureStyle() {
    if (document.getElementById('__framesmith-style')) return;
    var style = document.createElement('style');
    style.id = '__framesmith-style';
    // visibility keeps the clip's box in layout; the descendant rule beats a child's own
    // visibility: visible, which would otherwise show through a hidden parent.
    style.textContent = '[' + HIDDEN_ATTR + '],[' + HIDDEN_ATTR + '] *{visibility:hidden !important}';
    (document.head || document.documentElement).appendChild(style);
  }
  function applyClips(t) {
    var els = getTimedElements();
    for (var i = 0; i < config.timed.length; i++) {
      var entry = config.timed[i];
      if (!entry.isClip) continue;
      var el = els[entry.index];
      if (!el) continue;
      var end = entry.end === null ? Infinity : entry.end;
      var visible = t >= entry.start - EPSILON_S && t < end - EPSILON_S;
      if (visible) el.removeAttribute(HIDDEN_ATTR);
      else el.setAttribute(HIDDEN_ATTR, '');
    }
  }

  // ---- timelines (window.__timelines) --------------------------------------------------------------
  function seekTimelines(t) {
    var timelines = window.__timelines;
    if (!timelines || typeof timelines !== 'object') return;
    var offsets = config.timelineOffsets || {};
    Object.keys(timelines).forEach(function (key) {
      var tl = timelines[key];
      if (!tl) return;
      var local = Math.max(0, t - (offsets[key] || 0));
      try {
        if (typeof tl.pause === 'function') tl.pause();
        if (typeof tl.seek === 'function') tl.seek(local);
        else if (typeof tl.time === 'function') tl.time(local);
        else if (typeof tl.totalTime === 'function') tl.totalTime(local);
      } catch (e) { report('Error seeking window.__timelines["' + key + '"]: ', e); }
    });
  }

  // ---- CSS animations and Web Animations ---------------------------------------------------------
  // Each animation is paused when first seen and then driven by composition time from its "birth",
  // the virtual time it appeared: 0 for those present before the first seek; the current seek's time
  // for those created while a seek runs rAF callbacks and timelines; the previous seek's time for those
  // created between seeks (timers, events). An animation started at time x shows its state at t - x.
  //
  // A CSS animation inside a class="clip" element is born no earlier than the clip's start, as in
  // HyperFrames (which shows clips with display, so their CSS animations start when they appear): a
  // card with data-start="1" and animation-delay 1.2s appears at 2.2 s in both.
  var animationBirth = new Map();
  function clipStartOf(node) {
    var els = getTimedElements();
    for (var el = node; el && el.nodeType === 1; el = el.parentElement) {
      for (var i = 0; i < config.timed.length; i++) {
        var entry = config.timed[i];
        if (entry.isClip && els[entry.index] === el) return entry.start;
      }
    }
    return 0;
  }
  function collectAnimations(birth) {
    if (typeof document.getAnimations !== 'function') return;
    var list = document.getAnimations();
    for (var i = 0; i < list.length; i++) {
      var a = list[i];
      if (animationBirth.has(a)) continue;
      var born = typeof birth === 'number' ? birth : 0;
      if (typeof CSSAnimation === 'function' && a instanceof CSSAnimation && a.effect && a.effect.target) {
        born = Math.max(born, clipStartOf(a.effect.target) * 1000);
      }
      animationBirth.set(a, born);
      try { a.pause(); } catch (e) { /* an animation that cannot pause is left to the page */ }
    }
  }
  function seekAnimations(tMs) {
    animationBirth.forEach(function (birth, a) {
      var target = a.effect && a.effect.target;
      // Cancelled (CSS animation removed) or detached: forget it rather than revive it.
      if (a.playState === 'idle' || (target && !target.isConnected)) { animationBirth.delete(a); return; }
      try { a.currentTime = Math.max(0, tMs - birth); } catch (e) { report('Error seeking an animation: ', e); }
    });
  }

  // ---- media clock ----------------------------------------------------------------------------
  // A <video>/<audio>'s currentTime reads what a playing player's would: the media time its clip shows
  // at the current frame (the frame the video stage puts there) — mediaStart + (t - start) * rate,
  // mediaStart before the clip starts, held at the end of the media (its duration comes from the media
  // guard), wrapped for loops. Writes go to the element as before (it never loads, so they do nothing).
  function mediaEntryOf(el) {
    // While the document is still parsing, the list is not final: do not cache it.
    var els = document.readyState === 'loading'
      ? Array.prototype.filter.call(document.querySelectorAll(TIMED_SELECTOR), function (e) { return e !== findRoot(); })
      : getTimedElements();
    for (var i = 0; i < config.timed.length; i++) {
      if (config.timed[i].media && els[config.timed[i].index] === el) return config.timed[i];
    }
    return null;
  }
  var currentTime = Object.getOwnPropertyDescriptor(HTMLMediaElement.prototype, 'currentTime');
  if (currentTime && currentTime.get && currentTime.set) {
    Object.defineProperty(HTMLMediaElement.prototype, 'currentTime', {
      configurable: true,
      enumerable: currentTime.enumerable,
      get: function () {
        var entry = mediaEntryOf(this);
        if (!entry) return currentTime.get.call(this);
        var media = entry.media;
        var end = entry.end === null ? Infinity : entry.end;
        var played = Math.max(0, Math.min(virtualMs / 1000, end) - entry.start) * media.playbackRate;
        var length = this.duration;
        if (!(length > media.mediaStart)) return media.mediaStart + played;
        return media.loop ? media.mediaStart + (played % (length - media.mediaStart)) : Math.min(media.mediaStart + played, length);
      },
      set: function (value) { currentTime.set.call(this, value); },
    });
  }

  // ---- images and fonts --------------------------------------------------------------------
  // decode() is bounded by a real-time timeout: a render driven by BeginFrame control may not give
  // the decoder the frame it waits for. A loaded image that has not confirmed decoding by then is
  // still painted (decoded synchronously at paint), only without the guarantee.
  var DECODE_TIMEOUT_MS = config.decodeTimeoutMs || 3000;
  var realSetTimeout = window.setTimeout.bind(window);
  var decodedSrc = new WeakMap();
  function settleResources() {
    var pending = [];
    var images = document.images;
    for (var i = 0; i < images.length; i++) {
      var img = images[i];
      var src = img.currentSrc || img.src;
      if (!src || decodedSrc.get(img) === src) continue;
      var decoded = img.decode().then(
        (function (im, s) { return function () { decodedSrc.set(im, s); }; })(img, src),
        function () { /* a broken image is reported by the server as a failed request */ });
      pending.push(Promise.race([decoded, new Promise(function (resolve) { realSetTimeout(resolve, DECODE_TIMEOUT_MS); })]));
    }
    if (document.fonts && document.fonts.status === 'loading') pending.push(document.fonts.ready);
    return pending.length ? Promise.all(pending).then(function () {}) : Promise.resolve();
  }
  function whenLoaded() {
    if (document.readyState === 'complete') return Promise.resolve();
    return new Promise(function (resolve) { window.addEventListener('load', function () { resolve(); }, { once: true }); });
  }

  function ready() {
    return whenLoaded().then(function () {
      // Media load events (the media guard) may build timelines: wait until they were dispatched.
      return window.__framesmithMediaSettled ? window.__framesmithMediaSettled() : null;
    }).then(function () {
      collectAnimations(lastSeekMs);
      return document.fonts ? document.fonts.ready : null;
    }).then(settleResources).then(function () {
      var r = findRoot();
      if (!r) throw new Error('framesmith: no element with data-composition-id in the page');
      ensureStyle();
      checkTimedElements();
      var rect = r.getBoundingClientRect();
      var w = Number(r.getAttribute('data-width')) || Math.round(rect.width);
      var h = Number(r.getAttribute('data-height')) || Math.round(rect.height);
      var timelines = window.__timelines;
      return { width: w, height: h, hasTimelines: !!timelines && typeof timelines === 'object' && Object.keys(timelines).length > 0 };
    });
  }

  function seek(frameIndex, timeSeconds) {
    var run = function () {
      var t = Number(timeSeconds);
      if (!isFinite(t) || t < 0) return Promise.reject(new Error('framesmith: seek time must be a finite number >= 0, got ' + timeSeconds));
      ensureStyle();
      collectAnimations(lastSeekMs);
      virtualMs = t * 1000;
      api.frame = frameIndex;
      api.time = t;
      applyClips(t);
      runAnimationFrames();
      seekTimelines(t);
      collectAnimations(virtualMs);
      seekAnimations(virtualMs);
      lastSeekMs = virtualMs;
      return settleResources();
    };
    seeking = seeking.then(run, run);
    return seeking;
  }

  // Animations declared at load start on the real clock; catch them as early as possible so a short
  // one cannot finish (and drop out of getAnimations()) before the first seek pauses it.
  document.addEventListener('DOMContentLoaded', function () { collectAnimations(0); });
  window.addEventListener('load', function () { collectAnimations(0); });

  var api = { ready: ready, seek: seek, errors: errors, frame: -1, time: 0 };
  Object.defineProperty(window, '__framesmith', { value: api, configurable: false, enumerable: false, writable: false });
}
`;
