/**
 * The bundled headless shell as framesmith runs it: unpacked into its own verified directory
 * (src/browser/bundled.ts), never the shared `os.tmpdir()/chromium` that other copies of
 * @sparticuz/chromium overwrite. Tests that drive puppeteer themselves launch this one.
 */
import puppeteer, { type Browser } from 'puppeteer-core';
import { bundledBrowser } from '../../src/browser/bundled.js';

export async function bundledShell(): Promise<string> {
  const bundled = await bundledBrowser();
  if (!bundled) throw new Error('@sparticuz/chromium is not installed: run npm ci');
  return bundled.executablePath;
}

/** The bundled shell launched by puppeteer with no framesmith set-up: sRGB, no GPU (tests of in-page decoding and colour). */
export async function launchPlainShell(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: await bundledShell(),
    headless: 'shell',
    args: ['--no-sandbox', '--disable-gpu', '--force-color-profile=srgb'],
  });
}
