/**
 * Browsers kept between renders (src/browser/pool.ts): a lease after a lease with the same settings
 * gets the same browser process, in a new context that reaches only its own origin; other settings get
 * another browser; a browser killed while leased is never handed out again.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeIdleBrowsers, keepBrowsersMs, leaseBrowser } from '../../src/browser/pool.js';
import type { LaunchedBrowser } from '../../src/browser/launch.js';

const servers: http.Server[] = [];
const origins: string[] = [];

beforeAll(async () => {
  for (const name of ['a', 'b']) {
    const server = http.createServer((_, res) => res.end(`origin ${name}`));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    origins.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }
});

afterAll(async () => {
  await closeIdleBrowsers();
  for (const s of servers) await new Promise<void>((resolve) => s.close(() => resolve()));
});

/** What a page of the lease's context gets from each origin: the text, or 'blocked'. */
async function reach(lease: LaunchedBrowser): Promise<string[]> {
  const context = lease.browser.browserContexts().find((c) => c.id === lease.contextId)!;
  const page = await context.newPage();
  try {
    await page.goto(`${origins[0]}/`);
    const results: string[] = [];
    for (const origin of origins)
      results.push(
        await page.evaluate(
          (url) =>
            fetch(url).then(
              (r) => r.text(),
              () => 'blocked',
            ),
          `${origin}/`,
        ),
      );
    return results;
  } finally {
    await page.close();
  }
}

describe('browsers kept between renders', () => {
  it('is off unless FRAMESMITH_KEEP_BROWSERS holds a positive number of ms', () => {
    expect(keepBrowsersMs({})).toBe(0);
    expect(keepBrowsersMs({ FRAMESMITH_KEEP_BROWSERS: 'soon' })).toBe(0);
    expect(keepBrowsersMs({ FRAMESMITH_KEEP_BROWSERS: '0' })).toBe(0);
    expect(keepBrowsersMs({ FRAMESMITH_KEEP_BROWSERS: '2500' })).toBe(2500);
  });

  it('hands the same browser to the next lease, each context reaching only its own origin', async () => {
    const first = await leaseBrowser({ onlyOrigin: origins[0] }, 30_000);
    const pid = first.browser.process()!.pid;
    expect(await reach(first)).toEqual(['origin a', 'blocked']);
    await first.close();

    const second = await leaseBrowser({ onlyOrigin: origins[1] }, 30_000);
    expect(second.browser.process()!.pid).toBe(pid);
    expect(second.contextId).not.toBe(first.contextId);
    // The page starts at origin a (its navigation is allowed: only the proxy decides), then fetches both.
    const context = second.browser.browserContexts().find((c) => c.id === second.contextId)!;
    const page = await context.newPage();
    await page.goto(`${origins[1]}/`);
    const got = await page.evaluate(
      (urls) =>
        Promise.all(
          urls.map((u) =>
            fetch(u).then(
              (r) => r.text(),
              () => 'blocked',
            ),
          ),
        ),
      [`${origins[0]}/`, `${origins[1]}/`],
    );
    expect(got).toEqual(['blocked', 'origin b']);
    await page.close();

    // Other launch settings: another browser.
    const scaled = await leaseBrowser({ onlyOrigin: origins[0], deviceScaleFactor: 2 }, 30_000);
    expect(scaled.browser.process()!.pid).not.toBe(pid);
    await scaled.close();
    await second.close();
  }, 60_000);

  it("naming the browser's own capture mode finds one that left it unnamed; closing an owner's idle browsers leaves the others", async () => {
    await closeIdleBrowsers();
    const owner = {};
    const unnamed = await leaseBrowser({ onlyOrigin: origins[0] }, 30_000, owner);
    const pid = unnamed.browser.process()!.pid;
    await unnamed.close();
    const named = await leaseBrowser({ onlyOrigin: origins[0], forceMode: unnamed.captureMode }, 30_000);
    expect(named.browser.process()!.pid).toBe(pid);
    const other = await leaseBrowser({ onlyOrigin: origins[1] }, 30_000);
    const otherPid = other.browser.process()!.pid;
    expect(otherPid).not.toBe(pid);
    // Idle again: `named`'s browser under no owner now, `other`'s too; one more tagged with `owner`.
    const tagged = await leaseBrowser({ onlyOrigin: origins[0], deviceScaleFactor: 2 }, 30_000, owner);
    const taggedChild = tagged.browser.process()!;
    const taggedExit = new Promise((resolve) => taggedChild.once('exit', resolve));
    await Promise.all([named.close(), other.close(), tagged.close()]);
    await closeIdleBrowsers(owner);
    await taggedExit;
    const again = await leaseBrowser({ onlyOrigin: origins[1] }, 30_000);
    expect([pid, otherPid]).toContain(again.browser.process()!.pid);
    await again.close();
  }, 60_000);

  it('never hands out a browser killed while it was leased', async () => {
    const lease = await leaseBrowser({ onlyOrigin: origins[0] }, 30_000);
    const child = lease.browser.process()!;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    await lease.close();
    const next = await leaseBrowser({ onlyOrigin: origins[0] }, 30_000);
    expect(next.browser.process()!.pid).not.toBe(child.pid);
    expect(await reach(next)).toEqual(['origin a', 'blocked']);
    await next.close();
  }, 60_000);
});
