/**
 * Vitest setup file of the media and system projects: the browsers a test file's renders kept for the
 * next render (FRAMESMITH_KEEP_BROWSERS, src/browser/pool.ts) are closed when the file ends, so none
 * outlives its file's process.
 */
import { afterAll } from 'vitest';
import { closeIdleBrowsers } from '../../src/browser/pool.js';

afterAll(async () => {
  await closeIdleBrowsers();
});
