/**
 * Finding and launching the browser that captures frames.
 *
 * Resolution order: an explicit path (`--browser PATH` / `LaunchOptions.browserPath`), then the
 * `FRAMESMITH_BROWSER` environment variable, then the Chromium headless shell bundled by
 * `@sparticuz/chromium` (unpacked into a directory of framesmith's own and verified: bundled.ts), then a
 * system Chromium/Chrome. A bundled browser that cannot be unpacked or verified is an error, never a
 * silent fallback to another browser.
 *
 * Capture mode: the headless shell supports `HeadlessExperimental.beginFrame`, which renders exactly one
 * frame when asked (`'beginframe'`). A full Chromium/Chrome build ignores begin-frame control, so it
 * is driven with `Page.captureScreenshot` (`'screenshot'`). A user-supplied browser is probed by its
 * `--version` output: "HeadlessChrome"/"headless_shell" binaries get beginframe, others screenshot.
 *
 * The browser process is registered with the process runner (`adoptChild`), so an interrupted CLI
 * ends it together with ffmpeg, and it runs with a fresh temporary profile removed on close.
 */
import { access, mkdtemp, rm } from 'node:fs/promises';
import { constants, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'puppeteer-core';
import puppeteer, { ProtocolError, TimeoutError } from './puppeteer.js';
import { adoptChild } from '../media/process.js';
import { browserError } from './browser-error.js';
import { bundledBrowser, bundledDir, bundledPackage } from './bundled.js';

export { BrowserError } from './browser-error.js';

/**
 * How frames are captured: `'beginframe'` draws exactly one frame per `HeadlessExperimental.beginFrame`
 * (headless shell only); `'screenshot'` uses `Page.captureScreenshot` (any Chromium/Chrome build).
 */
export type CaptureMode = 'beginframe' | 'screenshot';
/** Where the browser came from: `browserPath` option, `FRAMESMITH_BROWSER`, the bundled headless shell, or `SYSTEM_BROWSERS`. */
export type BrowserSource = 'option' | 'env' | 'bundled' | 'system';

/** The browser `resolveBrowser` chose, not yet launched: its absolute executable path, origin and capture mode. */
export interface ResolvedBrowser {
  executablePath: string;
  source: BrowserSource;
  captureMode: CaptureMode;
  /** The bundled browser's verified `--version` (`147.0.7727.0`); absent for other sources. */
  verifiedVersion?: string;
  /** Environment the browser needs besides the process's (the bundled one on Amazon Linux 2023). */
  env?: Record<string, string>;
}

/** Which browser a render ran: what it reported, where it is, and how it was chosen. */
export interface BrowserInfo {
  /** As the running browser reports it (`HeadlessChrome/147.0.7727.0`). */
  version: string;
  path: string;
  source: BrowserSource;
}

/** System browsers tried last, in this order. */
export const SYSTEM_BROWSERS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/snap/bin/chromium',
] as const;

const BROWSER_FIX =
  'set `browser` to /path/to/chrome or FRAMESMITH_BROWSER, reinstall dependencies (npm ci) for the bundled headless shell, or install Chromium (`apt-get install chromium`)';

/**
 * Flags for every capture mode. Determinism: one colour profile, unhinted fonts, no timer throttling
 * or backgrounding (a hidden page would otherwise stall), no scrollbars, and compositor stages run
 * before each draw. Closed network: no background fetches, component updates, sync or QUIC.
 * `--no-sandbox` because CI runs as root, where Chromium's sandbox refuses to start.
 */
const COMMON_FLAGS = [
  '--force-color-profile=srgb',
  '--font-render-hinting=none',
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
  '--disable-ipc-flooding-protection',
  '--hide-scrollbars',
  '--mute-audio',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-default-apps',
  '--disable-extensions',
  '--disable-sync',
  '--disable-quic',
  '--disable-dev-shm-usage',
  '--no-first-run',
  '--no-default-browser-check',
  '--no-sandbox',
  '--run-all-compositor-stages-before-draw',
  '--disable-threaded-animation',
  '--disable-threaded-scrolling',
  '--disable-checker-imaging',
  '--disable-image-animation-resync',
  '--disable-new-content-rendering-timeout',
];

/**
 * Without WebGL: software compositing without a GPU process — the same pixels on every machine, and
 * faster for 2D compositions (the bench's 3 s CSS render: 2.4 s against 3.4 s with SwiftShader).
 * With WebGL: the GPU process on SwiftShader, the CPU implementation of GL that ships with Chromium,
 * so `getContext('webgl')` works without a GPU and gives the same pixels on every machine.
 */
const NO_GL_FLAGS = ['--disable-gpu'];
const SWIFTSHADER_FLAGS = ['--use-angle=swiftshader', '--enable-unsafe-swiftshader'];

/** For compositions marked data-requires-webgpu: WebGPU is off by default on Linux. */
const WEBGPU_FLAGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan'];

/**
 * A page that reaches nothing but `origin`: every request goes to a proxy on a closed loopback port
 * (so it fails at once, `net::ERR_PROXY_CONNECTION_FAILED`) except those to `origin` itself.
 * `<-loopback>` takes loopback addresses out of the proxy's implicit bypass list, so another local
 * service (`http://127.0.0.1:6379/`, `http://localhost:8080/admin`) is refused like the internet.
 * This is below every API a page has — fetch, XHR, images, iframes, workers, WebSocket, EventSource,
 * beacons — measured with each against a logging loopback server: nothing reached it (puppeteer's
 * request interception, by comparison, let service-worker and WebSocket traffic through). file://
 * URLs are refused by Chromium itself for http pages. http(s) assets the render allows are fetched
 * by the render, not the page (src/load/), and served from `origin`.
 */
export function isolationFlags(origin: string): string[] {
  const { host } = new URL(origin);
  return [`--proxy-server=${BLOCKING_PROXY}`, `--proxy-bypass-list=<-loopback>;${host}`];
}

/** The proxy every request but the origin's goes to: a closed loopback port, so it fails at once. */
export const BLOCKING_PROXY = 'http://127.0.0.1:9';

/** Only with beginframe: the compositor then draws only when we send HeadlessExperimental.beginFrame. */
const BEGINFRAME_FLAGS = ['--enable-begin-frame-control'];

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The capture mode of a user-supplied browser: `beginframe` for a Chromium headless shell (the
 * bundled one, or any binary named `*headless_shell*`), `screenshot` for everything else — a full
 * Chromium/Chrome build does not honour begin-frame control.
 */
async function probeCaptureMode(executablePath: string): Promise<CaptureMode> {
  if (/headless[_-]shell/i.test(path.basename(executablePath))) return 'beginframe';
  const pkg = await bundledPackage();
  // Ours, or where the package itself unpacks its headless shell (`os.tmpdir()/chromium`).
  const shells = pkg ? [path.join(bundledDir(pkg), 'chromium'), path.join(os.tmpdir(), 'chromium')] : [];
  return shells.includes(executablePath) ? 'beginframe' : 'screenshot';
}

/**
 * Decides which browser to use (see the module comment for the order). `forceMode` overrides the
 * capture mode (tests use it to drive the headless shell with screenshots).
 */
export async function resolveBrowser(options: { browserPath?: string; forceMode?: CaptureMode } = {}): Promise<ResolvedBrowser> {
  const explicit = options.browserPath ?? process.env.FRAMESMITH_BROWSER;
  let resolved: ResolvedBrowser | undefined;
  if (explicit) {
    const source: BrowserSource = options.browserPath ? 'option' : 'env';
    const file = path.resolve(explicit);
    if (!(await isExecutable(file))) {
      throw browserError(
        `browser ${file} (from ${source === 'option' ? '`browser`' : 'FRAMESMITH_BROWSER'}) does not exist or is not executable`,
        BROWSER_FIX,
      );
    }
    resolved = { executablePath: file, source, captureMode: await probeCaptureMode(file) };
  } else {
    const bundled = await bundledBrowser();
    if (bundled)
      resolved = {
        executablePath: bundled.executablePath,
        source: 'bundled',
        captureMode: 'beginframe',
        verifiedVersion: bundled.version,
        env: bundled.env,
      };
    else {
      for (const candidate of SYSTEM_BROWSERS) {
        if (await isExecutable(candidate)) {
          resolved = { executablePath: candidate, source: 'system', captureMode: 'screenshot' };
          break;
        }
      }
    }
  }
  if (!resolved) throw browserError('no browser found', BROWSER_FIX);
  if (options.forceMode) resolved.captureMode = options.forceMode;
  return resolved;
}

/**
 * How to launch the browser. `browserPath` and `forceMode` are passed to `resolveBrowser`
 * (`browserPath` takes precedence over `FRAMESMITH_BROWSER`; `forceMode` overrides the probed capture mode).
 */
export interface LaunchOptions {
  browserPath?: string;
  forceMode?: CaptureMode;
  /** WebGL through SwiftShader (slower for 2D pages). Default false: no GPU process, no WebGL. */
  webgl?: boolean;
  /** Ask for WebGPU (`--enable-unsafe-webgpu`); whether an adapter exists depends on the machine. */
  webgpu?: boolean;
  /**
   * The one origin pages may reach (`http://127.0.0.1:PORT`, the project server); every other
   * request fails in the network stack. See `isolationFlags`.
   */
  onlyOrigin?: string;
  /** A fontconfig file: the only fonts the browser sees (src/fonts/fontconfig.ts). Default: the machine's. */
  fontconfigFile?: string;
  /** Launch timeout, ms. Default 30 s. */
  timeoutMs?: number;
  /** Limit of every protocol call to the browser (puppeteer's `protocolTimeout`), ms. Default puppeteer's (180 s). */
  protocolTimeoutMs?: number;
  /**
   * Device pixels per CSS pixel of every page (`--force-device-scale-factor`). Default 1. Needed at
   * launch: the emulated factor alone (setViewport) changes `devicePixelRatio` but not the size of
   * captured frames in either capture mode (measured: 320x180 at factor 6 captured 320x180).
   */
  deviceScaleFactor?: number;
}

/** A running browser. `close()` ends it and removes its profile; safe to call twice. */
export interface LaunchedBrowser {
  browser: Browser;
  executablePath: string;
  source: BrowserSource;
  captureMode: CaptureMode;
  /** Whether pages have WebGL. */
  webgl: boolean;
  /**
   * The browser context pages must be opened in (a browser kept between renders, src/browser/pool.ts:
   * the context carries the origin isolation); absent: the browser's default context.
   */
  contextId?: string;
  /** As the running browser reports it (`HeadlessChrome/147.0.7727.0`); for the bundled one, checked against its verified version. */
  version: string;
  close(): Promise<void>;
}

/** The command-line flags framesmith launches a browser with for `mode`. */
export function browserFlags(mode: CaptureMode, userDataDir: string, webgl = false): string[] {
  return [
    ...COMMON_FLAGS,
    ...(webgl ? SWIFTSHADER_FLAGS : NO_GL_FLAGS),
    ...(mode === 'beginframe' ? BEGINFRAME_FLAGS : []),
    `--user-data-dir=${userDataDir}`,
  ];
}

/** Resolves and launches the browser with a fresh temporary profile. */
export async function launchBrowser(options: LaunchOptions = {}): Promise<LaunchedBrowser> {
  const resolved = await resolveBrowser(options);
  const userDataDir = await mkdtemp(path.join(os.tmpdir(), 'framesmith-profile-'));
  let browser: Browser;
  try {
    browser = await puppeteer.launch({
      executablePath: resolved.executablePath,
      headless: resolved.captureMode === 'beginframe' ? 'shell' : true,
      pipe: true,
      defaultViewport: null,
      ignoreDefaultArgs: ['--enable-automation'],
      args: [
        ...browserFlags(resolved.captureMode, userDataDir, options.webgl ?? false),
        ...(options.webgpu ? WEBGPU_FLAGS : []),
        ...(options.onlyOrigin ? isolationFlags(options.onlyOrigin) : []),
        ...(options.deviceScaleFactor !== undefined && options.deviceScaleFactor !== 1
          ? [`--force-device-scale-factor=${options.deviceScaleFactor}`]
          : []),
      ],
      timeout: options.timeoutMs ?? 30_000,
      ...(options.protocolTimeoutMs !== undefined ? { protocolTimeout: options.protocolTimeoutMs } : {}),
      ...(options.fontconfigFile || resolved.env
        ? { env: { ...process.env, ...resolved.env, ...(options.fontconfigFile ? { FONTCONFIG_FILE: options.fontconfigFile } : {}) } }
        : {}),
      // Our own SIGINT handler ends every registered child (adoptChild below).
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
  } catch (error) {
    // The failed browser may still be writing its profile (ENOTEMPTY): retried, and never in place of the real error.
    await rm(userDataDir, { recursive: true, force: true, maxRetries: 3 }).catch(() => {});
    // A start that passed its deadline may only be slow (a cold disk, a busy machine): say which flag
    // raises it. Over a pipe, puppeteer's launch `timeout` barely applies; the start's protocol calls are
    // bounded by `protocolTimeout`.
    const raise =
      error instanceof TimeoutError
        ? '`browserTimeout`'
        : error instanceof ProtocolError && /timed out/i.test(error.message)
          ? '`protocolTimeout`'
          : null;
    const fix = raise ? `raise ${raise} if this machine is only slow; ${BROWSER_FIX}` : BROWSER_FIX;
    throw browserError(
      `could not start the browser ${resolved.executablePath}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
      fix,
      { cause: error },
    );
  }
  const child = browser.process();
  if (child) adoptChild(child);
  // An interrupted CLI exits without calling close(): the profile goes on the way out (best effort).
  const removeProfileOnExit = () => {
    // SIGKILL first: a browser still shutting down could write into the profile after it was removed.
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(userDataDir, { recursive: true, force: true });
  };
  process.on('exit', removeProfileOnExit);
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      try {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          browser.close(),
          new Promise((resolve) => {
            timer = setTimeout(resolve, 5_000);
          }),
        ]);
        clearTimeout(timer);
      } catch {
        // Already gone: nothing to close.
      }
      if (child && child.exitCode === null && child.signalCode === null) {
        // Wait for the exit, not just the signal: callers check that nothing is left running.
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
      await rm(userDataDir, { recursive: true, force: true, maxRetries: 3 });
      process.off('exit', removeProfileOnExit);
    })();
    return closed;
  };
  const version = await browser.version();
  // The binary was verified before launch; the running browser must say the same (it could only differ
  // if the binary was swapped between the check and the launch).
  if (resolved.verifiedVersion && !version.endsWith(`/${resolved.verifiedVersion}`)) {
    await close();
    throw browserError(
      `the bundled browser ${resolved.executablePath} reported ${version} once started, ${resolved.verifiedVersion} when checked`,
      'run again: framesmith unpacks it anew when its files change',
    );
  }
  return {
    browser,
    executablePath: resolved.executablePath,
    source: resolved.source,
    captureMode: resolved.captureMode,
    webgl: options.webgl ?? false,
    version,
    close,
  };
}
