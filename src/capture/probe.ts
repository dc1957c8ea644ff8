/**
 * Proves the browser can capture: launches it, loads a one-colour page and captures one frame in the
 * browser's capture mode (a real `HeadlessExperimental.beginFrame` for the headless shell), then checks
 * the PNG came back. Used by `framesmith doctor`.
 */
import { launchBrowser, type BrowserSource, type CaptureMode } from '../browser/launch.js';
import { openCapturePage } from './page.js';

/**
 * The outcome of `probeBrowser`: `ok` when a PNG was captured; `error` says why not. `ms` is the whole
 * probe's wall time; on failure only what was known by then (path, capture mode) is set.
 */
export interface BrowserProbe {
  ok: boolean;
  executablePath?: string;
  /** How the browser was chosen (`bundled`, `option`, `env`, `system`). */
  source?: BrowserSource;
  version?: string;
  captureMode?: CaptureMode;
  /** Bytes of the PNG captured. */
  pngBytes?: number;
  ms: number;
  error?: string;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47]);

/**
 * Launches the browser `browserPath` (else as `resolveBrowser` picks it), captures one 64×36 frame, closes the
 * browser. Never rejects: every failure, launch included, is an `ok: false` result.
 */
export async function probeBrowser(options: { browserPath?: string } = {}): Promise<BrowserProbe> {
  const started = performance.now();
  let launched: Awaited<ReturnType<typeof launchBrowser>> | undefined;
  try {
    launched = await launchBrowser({ browserPath: options.browserPath });
    const page = await openCapturePage(launched.browser, launched.captureMode, { width: 64, height: 36, transparent: false });
    await page.pumpWhile(page.page.setContent('<body style="margin:0;background:#0a0"></body>'));
    const png = await page.capture();
    await page.close();
    const ok = png.subarray(0, 4).equals(PNG_SIGNATURE);
    return {
      ok,
      executablePath: launched.executablePath,
      source: launched.source,
      version: launched.version,
      captureMode: launched.captureMode,
      pngBytes: png.length,
      ms: Math.round(performance.now() - started),
      ...(ok ? {} : { error: 'the captured frame is not a PNG' }),
    };
  } catch (error) {
    return {
      ok: false,
      executablePath: launched?.executablePath,
      captureMode: launched?.captureMode,
      ms: Math.round(performance.now() - started),
      error: error instanceof Error ? error.message : String(error),
    };
  } finally {
    await launched?.close();
  }
}
