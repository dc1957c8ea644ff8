/**
 * Browsers kept running between the renders of one process, so that a series of renders — a batch, a
 * program calling `render()` in a loop, a test suite — starts Chromium once per kind of browser, not
 * once per render (a launch costs ~0.5 s of CPU on 2 cores, about half of a small render's).
 *
 * Off unless `FRAMESMITH_KEEP_BROWSERS` holds a number of milliseconds (or a caller passes `keepMs`):
 * how long a browser no render uses stays running before it is closed. A kept browser is found again
 * by everything its launch decided — executable, capture mode, WebGL, WebGPU, the fontconfig file (the
 * fonts it sees), the device scale factor, the protocol timeout — and never by the project's origin:
 * each lease gets a browser context of its own (`Target.createBrowserContext`, off the record: no
 * cache, storage or cookies shared with an earlier render) whose proxy settings carry the origin
 * isolation that `isolationFlags` gives a browser of its own. A browser that is no longer connected
 * when its lease ends (killed by a deadline, crashed) is closed, never kept.
 */
import type { BrowserContext } from 'puppeteer-core';
import { markChildIdle } from '../media/process.js';
import { BLOCKING_PROXY, launchBrowser, resolveBrowser, type LaunchedBrowser, type LaunchOptions } from './launch.js';

/** The environment variable that turns keeping browsers on: milliseconds a browser may stay idle. */
export const KEEP_BROWSERS_ENV = 'FRAMESMITH_KEEP_BROWSERS';

/** How long an idle browser is kept (ms) according to `FRAMESMITH_KEEP_BROWSERS`; 0 (off) when unset, empty, not a number or ≤ 0. */
export function keepBrowsersMs(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env[KEEP_BROWSERS_ENV]);
  return Number.isFinite(value) && value > 0 ? value : 0;
}

interface IdleBrowser {
  launched: LaunchedBrowser;
  timer: NodeJS.Timeout;
  /** The lease's `owner`, if it gave one (`closeIdleBrowsers(owner)`). */
  owner?: object;
}

/** How long a lease's context may take to close before its browser is closed instead of kept (ms). */
const CONTEXT_CLOSE_MS = 3000;

/** Browsers this process leased (launched or taken from the idle ones) and launched to lease: counted, for reports and tests. */
export const browserStats = { leases: 0, launches: 0 };

/** Idle browsers by launch key (see `launchKey`). */
const idle = new Map<string, IdleBrowser[]>();

/**
 * Everything of a launch that a page can tell apart, except the origin (given per context). The
 * executable and capture mode as resolved: a launch that names the mode the browser has by default
 * finds one that left it to the browser.
 */
async function launchKey(options: LaunchOptions): Promise<string> {
  const resolved = await resolveBrowser({ browserPath: options.browserPath, forceMode: options.forceMode });
  return JSON.stringify([
    resolved.executablePath,
    resolved.captureMode,
    options.webgl ?? false,
    options.webgpu ?? false,
    options.fontconfigFile ?? '',
    options.deviceScaleFactor ?? 1,
    options.protocolTimeoutMs ?? 0,
  ]);
}

/** Takes an idle browser of `key` that is still connected, closing the disconnected ones found on the way. */
function takeIdle(key: string): LaunchedBrowser | undefined {
  const list = idle.get(key);
  while (list?.length) {
    const { launched, timer } = list.pop()!;
    clearTimeout(timer);
    const child = launched.browser.process();
    if (child) markChildIdle(child, false);
    if (launched.browser.connected) return launched;
    void launched.close();
  }
  return undefined;
}

/** Opens the lease's own browser context: off the record, reaching only `origin` when one is given. */
async function openContext(launched: LaunchedBrowser, origin: string | undefined): Promise<BrowserContext> {
  if (!origin) return launched.browser.createBrowserContext();
  const { host } = new URL(origin);
  return launched.browser.createBrowserContext({ proxyServer: BLOCKING_PROXY, proxyBypassList: ['<-loopback>', host] });
}

/**
 * A browser for one render: a kept one launched with the same settings when `keepMs` > 0 and one is
 * idle, else a new one. Pages must be opened in the returned `contextId`. `close()` closes the
 * context and keeps the browser `keepMs` for the next lease (or closes it: disconnected, or keeping off),
 * tagged with `owner` when given. With `keepMs` 0 this is `launchBrowser(options)` itself.
 */
export async function leaseBrowser(options: LaunchOptions, keepMs: number = keepBrowsersMs(), owner?: object): Promise<LaunchedBrowser> {
  browserStats.leases++;
  if (keepMs <= 0) {
    browserStats.launches++;
    return launchBrowser(options);
  }
  const key = await launchKey(options);
  let launched = takeIdle(key);
  if (!launched) {
    browserStats.launches++;
    launched = await launchBrowser({ ...options, onlyOrigin: undefined });
  }
  let context: BrowserContext;
  try {
    context = await openContext(launched, options.onlyOrigin);
  } catch (error) {
    await launched.close();
    throw error;
  }
  let released: Promise<void> | undefined;
  const release = async () => {
    // A context that does not close in time (a page of it stuck) takes its browser with it: never kept.
    const contextClosed = await Promise.race([
      context.close().then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), CONTEXT_CLOSE_MS).unref()),
    ]);
    if (!contextClosed || !launched.browser.connected) return launched.close();
    const timer = setTimeout(() => {
      const list = idle.get(key) ?? [];
      const at = list.findIndex((b) => b.launched === launched);
      if (at >= 0) list.splice(at, 1);
      void launched.close();
    }, keepMs);
    idle.set(key, [...(idle.get(key) ?? []), { launched, timer, ...(owner ? { owner } : {}) }]);
    const child = launched.browser.process();
    if (child) markChildIdle(child, true);
  };
  return {
    ...launched,
    contextId: context.id,
    close: () => {
      released ??= release();
      return released;
    },
  };
}

/** How many browsers are idle, kept for a next lease. */
export function idleBrowserCount(): number {
  return [...idle.values()].reduce((n, list) => n + list.length, 0);
}

/**
 * Closes idle browsers now (a program that wants to exit before their keep time ends): every one, or
 * with `owner` only those its leases kept.
 */
export async function closeIdleBrowsers(owner?: object): Promise<void> {
  const closing: IdleBrowser[] = [];
  for (const [key, list] of idle) {
    closing.push(...list.filter((b) => !owner || b.owner === owner));
    const kept = owner ? list.filter((b) => b.owner !== owner) : [];
    if (kept.length) idle.set(key, kept);
    else idle.delete(key);
  }
  for (const b of closing) clearTimeout(b.timer);
  await Promise.allSettled(closing.map((b) => b.launched.close()));
}
