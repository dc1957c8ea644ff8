/**
 * The bundled headless shell as framesmith runs it: unpacked into its own verified directory
 * (src/browser/bundled.ts), never the shared `os.tmpdir()/chromium` that other copies of
 * @sparticuz/chromium overwrite. Tests that drive puppeteer themselves launch this one.
 */
import { bundledBrowser } from '../../src/browser/bundled.js';

export async function bundledShell(): Promise<string> {
  const bundled = await bundledBrowser();
  if (!bundled) throw new Error('@sparticuz/chromium is not installed: run npm ci');
  return bundled.executablePath;
}
