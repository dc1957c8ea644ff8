/**
 * Vitest setup file of the media and system projects: the browsers a test file's renders kept for the
 * next render (FRAMESMITH_KEEP_BROWSERS, src/browser/pool.ts) are closed when the file ends, so none
 * outlives its file (a fork runs several files: the media project has no isolation).
 */
import { afterAll } from 'vitest';
import { closeIdleBrowsers } from '../../src/browser/pool.js';

// Each running browser holds two 'exit' listeners (its profile's removal, src/browser/launch.ts, and
// puppeteer's own) until it closes. A file whose renders keep browsers of several kinds (WebGL,
// fonts, scale) holds ten or more at once, which is not a leak: measured over eight render files in
// one fork, up to 8 at a file's end before its idle browsers close, and 1 (a module's once-listener)
// at the end of the next file that kept none. Node warns from 11.
process.setMaxListeners(40);

afterAll(async () => {
  await closeIdleBrowsers();
});
