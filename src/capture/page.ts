/**
 * One browser page prepared for capture, in either capture mode:
 *
 * - `beginframe`: the page target is created through CDP with `enableBeginFrameControl: true` (puppeteer's
 *   `newPage` cannot ask for it), so the compositor draws only when we send
 *   `HeadlessExperimental.beginFrame`; the screenshot comes from exactly that frame. While the page
 *   loads or awaits animation frames, `pumpWhile` keeps sending frames so it can make progress.
 * - `screenshot`: a page in its own window; `Page.captureScreenshot` waits for the next drawn frame.
 *
 * Both capture PNG (lossless; alpha kept when the default background is transparent) or, when asked,
 * JPEG (faster; for opaque MP4 output).
 *
 * Unchanged frames (`captureIfChanged`, beginframe mode): every frame the compositor draws reports
 * whether it had damage, i.e. whether the display's pixels changed. When no frame drawn since the last
 * image did — the pumped ones, and one probe frame sent before the screenshot — the page shows exactly
 * that image again, whatever changed in the DOM, a canvas, WebGL or a painted video frame: no
 * screenshot is taken. A screenshot's own frame always reports damage, and so does the frame after it,
 * so that frame is drawn right after the screenshot when the next call will probe. While frames keep
 * changing, the next call takes its screenshot without a probe (nor a frame drawn after it) until one
 * comes out byte-identical to the image before it; then probing resumes. Screenshot mode has no damage
 * report: it captures every frame.
 */
import type { Browser, CDPSession, Page } from 'puppeteer-core';
import type { CaptureMode } from '../browser/launch.js';
import { CaptureError } from './errors.js';

/** How often frames are pumped while a beginframe page loads, ms. */
const PUMP_INTERVAL_MS = 16;
/**
 * A beginFrame may return no image while the renderer (re)initialises; retried this many times, the
 * k-th retry after k × 16 ms (~0.6 s in all): back-to-back retries all failed once on a loaded machine
 * (a CI run), within the first few milliseconds of a page kept from an earlier render.
 */
const CAPTURE_ATTEMPTS = 8;

/**
 * A page opened by `openCapturePage` and its CDP session. `close()` detaches the session and closes the page,
 * ignoring errors.
 */
export interface CapturePage {
  page: Page;
  session: CDPSession;
  mode: CaptureMode;
  /** Captures the current state of the page (PNG, or JPEG with `imageFormat: 'jpeg'`). */
  capture(): Promise<Buffer>;
  /**
   * Like `capture`, but resolves `null` when the page's pixels do not differ from the image the
   * previous call of this method returned: in beginframe mode, when no frame the compositor drew since
   * that image (frames pumped by `pumpWhile`, and a probe frame this call sends) reported damage (no
   * screenshot taken), or when the screenshot came out byte-identical to that image. The call after one
   * that returned an image takes its screenshot without a probe. The first call, any call after a
   * plain `capture`, and every call in screenshot mode capture (screenshot mode returns every image).
   */
  captureIfChanged(): Promise<Buffer | null>;
  /** Makes the next `captureIfChanged` capture, as its first call does (a page kept for another frame range). */
  forgetImage(): void;
  /**
   * Resolves with `work`'s result; in beginframe mode sends frames every 16 ms after `delayMs` until
   * `work` settles, so page code waiting for an animation frame can run.
   */
  pumpWhile<T>(work: Promise<T>, delayMs?: number): Promise<T>;
  close(): Promise<void>;
}

/** Chromium's font settings, by generic family (CDP `Page.setFontFamilies`). */
export type GenericFamilySettings = Partial<Record<'standard' | 'serif' | 'sansSerif' | 'fixed' | 'cursive' | 'fantasy' | 'math', string>>;

/** The page's viewport (`width`×`height`, CSS px), background, fonts and frame format. */
export interface OpenPageOptions {
  width: number;
  height: number;
  /** Replace the default white page background with transparent (alpha outputs). */
  transparent: boolean;
  /**
   * The family each generic family (and text with no font-family: `standard`) resolves to, instead of
   * the browser's own choices (Times New Roman for serif, …): one for all, or one each (src/fonts/generic.ts).
   */
  genericFamily?: string | GenericFamilySettings;
  /**
   * Image format of captured frames. Default `png` (lossless, keeps alpha). `jpeg` is captured at
   * quality 95: at 1080p it took 50 ms a frame here against 118 ms for PNG (optimizeForSpeed).
   */
  imageFormat?: FrameImageFormat;
  /**
   * Device pixels per CSS pixel (default 1): a captured frame is `width`×`height` times this, drawn at
   * that size (`--resolution`, src/render/resolution.ts).
   */
  deviceScaleFactor?: number;
  /** The browser context to open the page in (`LaunchedBrowser.contextId`); default the browser's default context. */
  browserContextId?: string;
}

/** The encoding of captured frames: PNG (lossless, alpha) or JPEG (quality `JPEG_QUALITY`, no alpha). */
export type FrameImageFormat = 'png' | 'jpeg';
/** JPEG quality of `imageFormat: 'jpeg'` captures. */
export const JPEG_QUALITY = 95;

/**
 * Opens a blank page sized and set up for capture in `mode`. A capture that gets no image after 5 attempts
 * throws `capture_failed`, as does a target that comes without a page; waiting for the target times out after 15 s.
 */
export async function openCapturePage(browser: Browser, mode: CaptureMode, options: OpenPageOptions): Promise<CapturePage> {
  // Both modes create the target through CDP. beginframe: with begin-frame control (puppeteer's
  // newPage cannot ask for it). screenshot: in its own window, because a background tab of a full
  // Chromium stops producing frames and Page.captureScreenshot then waits forever (measured with 2
  // tabs in Chromium 156: every capture of the background tab hung).
  let page: Page;
  const browserSession = await browser.target().createCDPSession();
  try {
    const { targetId } = await browserSession.send('Target.createTarget', {
      url: 'about:blank',
      width: options.width,
      height: options.height,
      ...(options.browserContextId ? { browserContextId: options.browserContextId } : {}),
      ...(mode === 'beginframe' ? { enableBeginFrameControl: true } : { newWindow: true }),
    });
    const target = await browser.waitForTarget((t) => (t as unknown as { _targetId: string })._targetId === targetId, { timeout: 15_000 });
    const found = await target.page();
    if (!found) throw new CaptureError('capture_failed', 'the browser created a page target without a page', {});
    page = found;
  } finally {
    await browserSession.detach().catch(() => {});
  }
  const session = await page.createCDPSession();
  await page.setViewport({ width: options.width, height: options.height, deviceScaleFactor: options.deviceScaleFactor ?? 1 });
  if (options.genericFamily) {
    const f = options.genericFamily;
    const fontFamilies = typeof f === 'string' ? { standard: f, serif: f, sansSerif: f, fixed: f, cursive: f, fantasy: f, math: f } : f;
    await session.send('Page.setFontFamilies', { fontFamilies });
  }
  if (options.transparent) {
    await session.send('Emulation.setDefaultBackgroundColorOverride', { color: { r: 0, g: 0, b: 0, a: 0 } });
  }

  /**
   * beginframe: a frame drawn since the image `captureIfChanged` last returned reported damage (or
   * may have: a frame that failed). True until there is such an image.
   */
  let drawnSinceImage = true;
  const beginFrame = async (): Promise<void> => {
    const result = await session.send('HeadlessExperimental.beginFrame', { interval: PUMP_INTERVAL_MS, noDisplayUpdates: false });
    if (result.hasDamage) drawnSinceImage = true;
  };

  let pumping: Promise<void> | null = null;
  const pumpWhile = async <T>(work: Promise<T>, delayMs = 0): Promise<T> => {
    if (mode !== 'beginframe') return work;
    let settled = false;
    const result = work.finally(() => {
      settled = true;
    });
    result.catch(() => {});
    const pump = (async () => {
      if (delayMs > 0) await Promise.race([result.catch(() => {}), sleep(delayMs)]);
      // A browser that is gone (killed at a deadline) answers nothing: stop pumping even if `work` never settles.
      while (!settled && page.browser().connected) {
        try {
          await beginFrame();
        } catch {
          // "Another frame is pending" or a navigation in progress: try again on the next tick.
          drawnSinceImage = true;
        }
        if (!settled) await Promise.race([result.catch(() => {}), sleep(PUMP_INTERVAL_MS)]);
      }
    })();
    pumping = pump;
    try {
      return await result;
    } finally {
      await pump;
      pumping = null;
    }
  };

  // PNG with optimizeForSpeed: faster zlib settings, still lossless. JPEG without it: measured faster
  // and smaller at the same quality.
  const screenshotParams =
    options.imageFormat === 'jpeg'
      ? { format: 'jpeg' as const, quality: JPEG_QUALITY }
      : { format: 'png' as const, optimizeForSpeed: true };
  const capture = async (): Promise<Buffer> => {
    if (pumping) await pumping;
    // A screenshot's frame hides the damage of the next one (see captureIfChanged).
    drawnSinceImage = true;
    for (let attempt = 1; attempt <= CAPTURE_ATTEMPTS; attempt++) {
      if (attempt > 1) await sleep(PUMP_INTERVAL_MS * (attempt - 1));
      if (mode === 'beginframe') {
        const result = await session.send('HeadlessExperimental.beginFrame', { interval: PUMP_INTERVAL_MS, screenshot: screenshotParams });
        if (result.screenshotData) return Buffer.from(result.screenshotData, 'base64');
      } else {
        const result = await session.send('Page.captureScreenshot', {
          ...screenshotParams,
          fromSurface: true,
          captureBeyondViewport: false,
        });
        if (result.data) return Buffer.from(result.data, 'base64');
      }
    }
    throw new CaptureError(
      'capture_failed',
      `the browser returned no image after ${CAPTURE_ATTEMPTS} attempts (${mode} mode); try \`browser\` with another Chromium build`,
      {},
    );
  };

  /** The image `captureIfChanged` last returned (null until it returned one). */
  let lastImage: Buffer | null = null;
  /**
   * The last `captureIfChanged` found new pixels: the next one takes its screenshot straight away, with
   * no probe frame before it and no frame drawn after it (see captureIfChanged).
   */
  let moving = false;
  /** Draws the frame after a screenshot (see captureIfChanged), so the next probe reports only new damage. */
  const settleAfterScreenshot = async (): Promise<void> => {
    await session.send('HeadlessExperimental.beginFrame', { interval: PUMP_INTERVAL_MS, noDisplayUpdates: false });
    drawnSinceImage = false;
  };

  const captureIfChanged = async (): Promise<Buffer | null> => {
    if (mode !== 'beginframe') return capture();
    if (pumping) await pumping;
    if (moving) {
      // While frames keep changing, a probe (and the frame drawn after each screenshot to make the next
      // probe meaningful) are two composites of the whole frame that find damage every time: measured
      // 6 % of a busy moving 1080p frame's browser CPU, 10 % of a 640x360 CSS render's whole CPU
      // (BENCHMARKS.md, 2026-12-07), and two round trips. The screenshot itself draws what changed; only
      // when its image comes out byte-identical to the last one (the page held still: the encoders are
      // deterministic, so equal pixels give equal bytes) does the page go back to probing.
      const image = await capture();
      if (lastImage === null || !image.equals(lastImage)) {
        lastImage = image;
        return image;
      }
      moving = false;
      await settleAfterScreenshot();
      return null;
    }
    // The probe draws whatever changed since the last frame drawn; damage means new pixels.
    if (!drawnSinceImage) await beginFrame();
    if (!drawnSinceImage) return null;
    const image = await capture();
    if (lastImage !== null && image.equals(lastImage)) {
      // Damage that drew the same pixels (an element replaced by an identical one): still holding.
      // The frame after a screenshot always reports damage (measured with Chromium 147: the copy of
      // the output damages the next draw), which would hide a real change behind it. Draw that frame
      // now, before the page is seeked again, so the next probe reports only what the seek changed.
      // (Only page code running on real time — a timer, a network callback — could change the page
      // between the two frames; such a page is not deterministic in any render.)
      await settleAfterScreenshot();
      return null;
    }
    lastImage = image;
    moving = true;
    return image;
  };

  return {
    page,
    session,
    mode,
    capture,
    captureIfChanged,
    forgetImage: () => {
      drawnSinceImage = true;
      // Nothing to compare the next screenshot with: it is returned whatever it shows.
      lastImage = null;
    },
    pumpWhile,
    close: async () => {
      await session.detach().catch(() => {});
      await page.close().catch(() => {});
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
