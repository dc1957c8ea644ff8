/**
 * `framesmith doctor` really checks: it launches the browser and captures one frame, lists the ffmpeg
 * encoders and filters, and fails (exit 1, with a fix) when a needed part is missing.
 */
import { mkdtemp, rm, writeFile, chmod } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/render-cli.js';

interface Check {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

describe('framesmith doctor', () => {
  it('on this machine: every check passes, the bundled headless shell captures with beginFrame', async () => {
    const cache = await mkdtemp(path.join(os.tmpdir(), 'fs-doctor-cache-'));
    try {
      const run = await runCli(['doctor', '--json'], { FRAMESMITH_CACHE_DIR: cache });
      expect(run.code).toBe(0);
      const report = JSON.parse(run.stdout) as { ok: boolean; checks: Check[] };
      expect(report.ok).toBe(true);
      const names = report.checks.map((c) => c.name);
      for (const name of [
        'node',
        'ffmpeg',
        'encoder libx264',
        'encoder libvpx-vp9',
        'encoder libopus',
        'filter zscale',
        'filter amix',
        'browser',
        'cache',
      ])
        expect(names).toContain(name);
      expect(report.checks.find((c) => c.name === 'browser')!.detail).toMatch(/capture mode beginframe \(one frame captured/);
      expect(report.checks.find((c) => c.name === 'cache')!.detail).toContain(cache);
    } finally {
      await rm(cache, { recursive: true, force: true });
    }
  });

  it('a browser that is not executable and an unwritable cache directory: exit 1, each with its fix', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'fs-doctor-bad-'));
    try {
      // A regular file where the cache directory should be: mkdir fails even for root.
      const notADir = path.join(dir, 'file');
      await writeFile(notADir, 'x');
      const fakeBrowser = path.join(dir, 'chrome');
      await writeFile(fakeBrowser, 'not a browser');
      await chmod(fakeBrowser, 0o644);
      const run = await runCli(['doctor', '--json', '--browser', fakeBrowser], { FRAMESMITH_CACHE_DIR: path.join(notADir, 'cache') });
      expect(run.code).toBe(1);
      const report = JSON.parse(run.stdout) as { ok: boolean; checks: Check[] };
      expect(report.ok).toBe(false);
      const browser = report.checks.find((c) => c.name === 'browser')!;
      expect(browser.ok).toBe(false);
      expect(browser.detail).toContain(fakeBrowser);
      expect(browser.fix).toMatch(/--browser|FRAMESMITH_BROWSER/);
      const cache = report.checks.find((c) => c.name === 'cache')!;
      expect(cache.ok).toBe(false);
      expect(cache.fix).toMatch(/FRAMESMITH_CACHE_DIR/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
