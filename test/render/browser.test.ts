/**
 * Browser resolution and launch: explicit path, FRAMESMITH_BROWSER, the bundled headless shell, their
 * capture modes, a clear error for a bad path, and nothing left behind after close (process, profile).
 */
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { BrowserError, browserFlags, launchBrowser, resolveBrowser } from '../../src/browser/launch.js';
import { liveChildCount } from '../../src/media/process.js';

const savedEnv = process.env.FRAMESMITH_BROWSER;
afterEach(() => {
  if (savedEnv === undefined) delete process.env.FRAMESMITH_BROWSER;
  else process.env.FRAMESMITH_BROWSER = savedEnv;
});

describe('browser', () => {
  it('defaults to the bundled headless shell in beginframe mode', async () => {
    delete process.env.FRAMESMITH_BROWSER;
    const resolved = await resolveBrowser();
    expect(resolved.source).toBe('bundled');
    expect(resolved.captureMode).toBe('beginframe');
    expect(existsSync(resolved.executablePath)).toBe(true);
  });

  it.runIf(existsSync('/usr/bin/chromium'))(
    'FRAMESMITH_BROWSER and --browser pick a system Chromium, which captures with screenshots',
    async () => {
      process.env.FRAMESMITH_BROWSER = '/usr/bin/chromium';
      expect(await resolveBrowser()).toEqual({ executablePath: '/usr/bin/chromium', source: 'env', captureMode: 'screenshot' });
      delete process.env.FRAMESMITH_BROWSER;
      expect(await resolveBrowser({ browserPath: '/usr/bin/chromium' })).toMatchObject({ source: 'option', captureMode: 'screenshot' });
    },
  );

  it('a path that is not an executable: BrowserError naming it and the fix', async () => {
    const error = await resolveBrowser({ browserPath: '/nonexistent/chrome' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BrowserError);
    expect((error as Error).message).toContain('/nonexistent/chrome');
    expect((error as Error).message).toMatch(/--browser|FRAMESMITH_BROWSER/);
  });

  it('beginframe flags only in beginframe mode; a fresh profile that is removed on close with the process', async () => {
    expect(browserFlags('beginframe', '/p')).toContain('--enable-begin-frame-control');
    expect(browserFlags('screenshot', '/p')).not.toContain('--enable-begin-frame-control');
    expect(browserFlags('screenshot', '/p')).toEqual(
      expect.arrayContaining(['--no-sandbox', '--force-color-profile=srgb', '--user-data-dir=/p']),
    );
    const launched = await launchBrowser();
    const profileFlag = launched.browser.process()!.spawnargs.find((a) => a.startsWith('--user-data-dir='))!;
    const profile = profileFlag.slice('--user-data-dir='.length);
    expect(existsSync(profile)).toBe(true);
    expect(liveChildCount()).toBe(1);
    await launched.close();
    expect(existsSync(profile)).toBe(false);
    expect(liveChildCount()).toBe(0);
  });
});
