/**
 * The in-page runtime: makes a composition page deterministic and seekable. It is bundled for the
 * browser (scripts/build-page.mjs) and injected with `evaluateOnNewDocument`, so it runs before any
 * of the page's scripts, in the page and in each of its same-origin iframes. It exposes
 * `window.__framesmith` (types: src/browser/page-api.ts):
 *
 * - `ready()` — after the load event, the media guard's load events, `document.fonts.ready`, the
 *   decode of every image and each adapter's `ready()` (the last: every `window.__hf.buildReady`
 *   promise settled, adapters/hf-build-ready.ts): `{ width, height, hasTimelines,
 *   timelineDurations, adapterDuration }`. The size is the root's `data-width`/`data-height`, else its
 *   CSS box (rounded). Rejects when the page has no root, or when a timed element's tag/id at its
 *   index differs from the parsed one.
 * - `seek(frameIndex, t)` — calls are serialized. A render seek behaves as if the page had been
 *   seeked to every frame from the last one it showed up to `frameIndex`, in order: frames skipped
 *   since the previous seek (another worker captured them) are stepped through first, without being
 *   drawn, so callbacks, `onUpdate` side effects and rAF-driven state read the same whichever frames
 *   a worker renders. (A seek backwards goes straight to its frame.) Each step, at time t: virtual
 *   clock; clip windows; adapters in order — `window.__timelines` first (eventful: GSAP callbacks
 *   fire), then the HyperFrames hooks, then the page's own (`registerAdapter`); queued
 *   `requestAnimationFrame` callbacks; CSS animations and Web Animations; the same in each iframe.
 *   Adapter promises are awaited, then, for the frame drawn, new images and loading fonts.
 * - `registerAdapter(adapter)` — the one hook for animation libraries (see FramesmithAdapter).
 * - `fingerprint()` — the shown frame's fingerprint (fingerprint.ts), for incremental renders.
 * - `errors` — uncaught errors and unhandled rejections of the page and its iframes, in order.
 *
 * Before the page's scripts run: `window.__timelines` is `{}`, `window.__hyperframes.getVariables()`
 * returns the composition's variables, `Math.random` is seeded, and `Date`, `performance.now()` and
 * `requestAnimationFrame` follow the virtual clock (clock.ts). The root is sized from its
 * `data-width`/`data-height` (root-size.ts) once it is parsed.
 */
import type { FramesmithAdapter, FramesmithPageApi, ReadyInfo, RuntimeConfig } from '../page-api.js';
import { hfBuildReadyAdapter } from './adapters/hf-build-ready.js';
import { hfAnimeAdapter } from './adapters/hf-anime.js';
import { hfLottieAdapter } from './adapters/hf-lottie.js';
import { hfReadyHooksAdapter } from './adapters/hf-ready-hooks.js';
import { hfSeekEventAdapter } from './adapters/hf-seek-event.js';
import { gsapTimelinesAdapter, registeredTimelines, timelineDuration } from './adapters/gsap-timelines.js';
import { animationSeeker, type AnimationSeeker } from './animations.js';
import { applyClips, clipStartOf, ensureClipStyle } from './clips.js';
import { installClock, type VirtualClock } from './clock.js';
import { installMediaClock } from './media-clock.js';
import { fingerprintFrame } from './fingerprint.js';
import { collectErrors, describe } from './page-errors.js';
import { installSeededRandom } from './random.js';
import { resourceSettler, type ResourceSettler } from './resources.js';
import { positionHosts, sizeRoot } from './root-size.js';
import { installScopes } from './scopes.js';
import { timedElements } from './timed-elements.js';

type PageWindow = Window & typeof globalThis;

/** What the top page's runtime drives in an iframe. */
interface FrameDriver {
  alive(): boolean;
  step(tMs: number, drawn: boolean): void;
  settle(): Promise<void>;
}

/** The hidden part of the API an iframe's runtime uses to be driven by the top page's. */
interface FrameRegistry {
  attachFrame(driver: FrameDriver): void;
  readonly errors: string[];
}

const FRAME_REGISTRY = '__framesmithFrames';

/**
 * Installs the runtime in the current window (see the module comment): driven by the top page's runtime in a
 * same-origin iframe, as `window.__framesmith` otherwise. Does nothing when `window.__framesmith` exists.
 */
export function install(config: RuntimeConfig): void {
  const win = window as PageWindow;
  if (win.__framesmith) return;
  const parentRegistry = sameOriginParentRegistry(win);
  if (parentRegistry) installInFrame(win, config, parentRegistry);
  else installInTop(win, config);
}

function sameOriginParentRegistry(win: PageWindow): FrameRegistry | null {
  if (win === win.top) return null;
  try {
    return ((win.top as unknown as Record<string, unknown>)?.[FRAME_REGISTRY] as FrameRegistry | undefined) ?? null;
  } catch {
    return null; // cross-origin parent: this frame has its own clock nobody drives
  }
}

/** The part both a page and its iframes have: clock, random, animations, resources. */
function installDocumentTime(win: PageWindow, config: RuntimeConfig, errors: string[], clipStartMs: (el: Element) => number) {
  const log = collectErrors(win, errors);
  const clock: VirtualClock = installClock(win);
  installSeededRandom(win, config.seed);
  const animations: AnimationSeeker = animationSeeker(win.document, clipStartMs);
  const realSetTimeout = win.setTimeout.bind(win);
  const resources: ResourceSettler = resourceSettler(
    win.document,
    (fn, ms) => {
      realSetTimeout(fn, ms);
    },
    config.decodeTimeoutMs,
  );
  // Animations declared at load start on the real clock; catch them as early as possible so a short
  // one cannot finish (and drop out of getAnimations()) before the first seek pauses it.
  win.document.addEventListener('DOMContentLoaded', () => animations.collect(0));
  win.addEventListener('load', () => animations.collect(0));
  return { log, clock, animations, resources, realSetTimeout };
}

function installInFrame(win: PageWindow, config: RuntimeConfig, registry: FrameRegistry): void {
  const { log, clock, animations, resources } = installDocumentTime(win, config, registry.errors, () => 0);
  let lastMs = 0;
  registry.attachFrame({
    alive: () => !win.closed && Boolean(win.frameElement?.isConnected),
    step(tMs, drawn) {
      animations.collect(lastMs);
      clock.set(tMs);
      clock.runAnimationFrames((e) => log.report('Uncaught in requestAnimationFrame (iframe): ', e));
      animations.collect(tMs);
      if (drawn) animations.seek(tMs, (e) => log.report('Error seeking an animation (iframe): ', e));
      lastMs = tMs;
    },
    settle: () => resources.settle(),
  });
}

function installInTop(win: PageWindow, config: RuntimeConfig): void {
  const doc = win.document;
  const errors: string[] = [];
  const warnings: string[] = [];
  const elements = timedElements(doc, config);
  const clipStartMs = (el: Element) => clipStartOf(config, elements, el) * 1000;
  const { log, clock, animations, resources, realSetTimeout } = installDocumentTime(win, config, errors, clipStartMs);
  installMediaClock(win, elements, () => clock.nowMs / 1000);

  const pageGlobals = win as unknown as Record<string, unknown>;
  if (pageGlobals.__timelines === undefined) pageGlobals.__timelines = {};
  const variables = config.variables ?? {};
  pageGlobals.__hyperframes ??= {};
  const hyperframes = pageGlobals.__hyperframes as Record<string, unknown>;
  hyperframes.getVariables ??= () => ({ ...variables });
  installScopes(win, config.scopes ?? {});

  const frames: FrameDriver[] = [];
  Object.defineProperty(win, FRAME_REGISTRY, {
    value: { attachFrame: (d: FrameDriver) => frames.push(d), errors } satisfies FrameRegistry,
  });

  /** Composition seconds at which the composition holding `el` starts (0 at the root). */
  const compositionStartOf = (el: Element | null): number => {
    const host = el?.closest('[data-composition-id]');
    const id = host && host !== elements.root() ? host.getAttribute('data-composition-id') : null;
    return (id && config.timelineOffsets?.[id]) || 0;
  };
  /** A composition id's start in composition seconds (0 for the root), or null for an id no composition has. */
  const compositionStart = (id: string): number | null =>
    id === elements.root()?.getAttribute('data-composition-id') ? 0 : (config.timelineOffsets?.[id] ?? null);
  const adapters: FramesmithAdapter[] = [
    gsapTimelinesAdapter(win, config.timelineOffsets ?? {}, (prefix, e) => log.report(prefix, e)),
    hfAnimeAdapter(win, compositionStart, (prefix, e) => log.report(prefix, e)),
    hfLottieAdapter(win, compositionStartOf),
    hfSeekEventAdapter(win),
    hfReadyHooksAdapter(win, (fn, ms) => {
      realSetTimeout(fn, ms);
    }),
    hfBuildReadyAdapter(win, (message) => warnings.push(message)),
  ];
  const readied = new WeakSet<FramesmithAdapter>();
  const readyAdapters = async (): Promise<void> => {
    for (const adapter of adapters.slice()) {
      if (readied.has(adapter)) continue;
      readied.add(adapter);
      try {
        await adapter.ready?.();
      } catch (error) {
        log.report(`Adapter "${adapter.name}" failed to get ready: `, error);
      }
    }
  };

  const fps = config.fps;
  const frameTime = (frame: number) => (frame * fps.den) / fps.num;
  let lastFrame = -1;
  let lastSeekMs = 0;

  /**
   * One step of the timeline at frame `frame`, time `t` seconds; resolves when its adapters did.
   * A step that is not drawn (a frame another worker captures) leaves CSS and Web Animations alone:
   * they depend on the time only, so only the drawn frame needs them (new ones are still collected,
   * with the time they were born).
   */
  const step = async (frame: number, t: number, drawn: boolean): Promise<void> => {
    ensureClipStyle(doc);
    animations.collect(lastSeekMs);
    const tMs = t * 1000;
    clock.set(tMs);
    api.frame = frame;
    api.time = t;
    applyClips(config, elements, t);
    const pending: Array<Promise<unknown>> = [];
    for (const adapter of adapters.slice()) {
      try {
        const result = adapter.seek({ time: t, frame, eventful: true });
        if (result && typeof (result as Promise<unknown>).then === 'function') {
          pending.push((result as Promise<unknown>).catch((e) => log.report(`Adapter "${adapter.name}" failed at ${t.toFixed(3)} s: `, e)));
        }
      } catch (error) {
        log.report(`Adapter "${adapter.name}" failed at ${t.toFixed(3)} s: `, error);
      }
    }
    clock.runAnimationFrames((e) => log.report('Uncaught in requestAnimationFrame: ', e));
    animations.collect(tMs);
    if (drawn) animations.seek(tMs, (e) => log.report('Error seeking an animation: ', e));
    for (let i = frames.length - 1; i >= 0; i--) {
      if (!frames[i]!.alive()) frames.splice(i, 1);
    }
    for (const frameDriver of frames) frameDriver.step(tMs, drawn);
    lastSeekMs = tMs;
    if (pending.length) await Promise.all(pending);
  };

  let seeking: Promise<void> = Promise.resolve();
  const seek = (frameIndex: number, timeSeconds: number): Promise<void> => {
    const run = async (): Promise<void> => {
      const t = Number(timeSeconds);
      if (!Number.isFinite(t) || t < 0) throw new Error(`framesmith: seek time must be a finite number >= 0, got ${timeSeconds}`);
      // Frames another worker drew since this page's last seek: step through them undrawn.
      if (Number.isInteger(frameIndex) && frameIndex > lastFrame + 1) {
        for (let f = lastFrame + 1; f < frameIndex; f++) await step(f, frameTime(f), false);
      }
      await step(frameIndex, t, true);
      lastFrame = frameIndex;
      await Promise.all([resources.settle(), ...frames.map((f) => f.settle())]);
    };
    seeking = seeking.then(run, run);
    return seeking;
  };

  const whenLoaded = (): Promise<void> =>
    doc.readyState === 'complete'
      ? Promise.resolve()
      : new Promise((resolve) => win.addEventListener('load', () => resolve(), { once: true }));

  /** The step `ready()` or a seek is waiting on, for `pending()`. */
  let waitingOn: string | null = null;
  const ready = async (): Promise<ReadyInfo> => {
    waitingOn = 'the load event';
    await whenLoaded();
    // Media load events (the media guard) may build timelines: wait until they were dispatched.
    waitingOn = "the media elements' load events";
    await win.__framesmithMediaSettled?.();
    animations.collect(lastSeekMs);
    waitingOn = 'document.fonts.ready';
    await doc.fonts?.ready;
    waitingOn = 'images to decode';
    await resources.settle();
    waitingOn = "the adapters' ready()";
    await readyAdapters();
    waitingOn = null;
    const root = elements.root();
    if (!root) throw new Error('framesmith: no element with data-composition-id in the page');
    sizeRoot(doc, root);
    ensureClipStyle(doc);
    elements.check();
    const rect = root.getBoundingClientRect();
    const timelines = registeredTimelines(win);
    const timelineDurations: Record<string, number> = {};
    for (const [key, tl] of Object.entries(timelines)) {
      const d = tl ? timelineDuration(tl) : null;
      if (d !== null) timelineDurations[key] = d;
    }
    // A sub-composition host without a duration lasts as long as its timeline.
    for (const entry of config.timed) {
      const d = entry.timelineKey !== undefined ? timelineDurations[entry.timelineKey] : undefined;
      if (entry.end === null && d !== undefined && d < 7200) entry.end = entry.start + d;
    }
    let adapterDuration: number | null = null;
    for (const adapter of adapters) {
      try {
        const d = adapter.duration?.();
        if (typeof d === 'number' && Number.isFinite(d)) adapterDuration = Math.max(adapterDuration ?? 0, d);
      } catch (error) {
        warnings.push(`adapter "${adapter.name}" could not report its duration: ${describe(error)}`);
      }
    }
    return {
      width: Number(root.getAttribute('data-width')) || Math.round(rect.width),
      height: Number(root.getAttribute('data-height')) || Math.round(rect.height),
      hasTimelines: Object.keys(timelines).length > 0,
      timelineDurations,
      adapterDuration,
    };
  };

  doc.addEventListener('DOMContentLoaded', () => {
    sizeRoot(doc, elements.root());
    positionHosts(doc, elements.root());
  });

  const api: FramesmithPageApi = {
    ready,
    seek,
    registerAdapter(adapter) {
      if (!adapter || typeof adapter.seek !== 'function')
        throw new TypeError('framesmith: registerAdapter needs an object with a seek({ time, frame }) method');
      adapters.push(adapter);
      return () => {
        const at = adapters.indexOf(adapter);
        if (at >= 0) adapters.splice(at, 1);
      };
    },
    fingerprint: () => fingerprintFrame(win),
    pending: () => pendingWork(doc, waitingOn),
    errors,
    warnings,
    frame: -1,
    time: 0,
  };
  Object.defineProperty(win, '__framesmith', { value: api, configurable: false, enumerable: false, writable: false });
}

/** `FramesmithPageApi.pending()`: `step` (ready's), the fonts loading and the images incomplete, in words. */
function pendingWork(doc: Document, step: string | null): string | null {
  const parts: string[] = [];
  if (step) parts.push(step);
  if (doc.readyState !== 'complete') parts.push(`the document (${doc.readyState})`);
  const fonts = doc.fonts ? Array.from(doc.fonts).filter((f) => f.status === 'loading') : [];
  if (fonts.length) parts.push(`fonts loading: ${[...new Set(fonts.map((f) => f.family))].slice(0, 3).join(', ')}`);
  const images = Array.from(doc.images).filter((img) => !img.complete);
  if (images.length)
    parts.push(
      `images loading: ${images
        .slice(0, 3)
        .map((img) => img.currentSrc || img.src)
        .join(', ')}`,
    );
  return parts.length ? parts.join('; ') : null;
}
