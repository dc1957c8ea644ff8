#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (the setup script runs it).
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(async (code) => {
  process.exitCode = code;
  // Browsers kept for a next render (FRAMESMITH_KEEP_BROWSERS; the CLI keeps none otherwise) have none
  // to wait for in a CLI run. The pool is imported only then: it loads puppeteer (~0.4 s of CPU), which
  // a command that starts no browser never needs.
  if (process.env.FRAMESMITH_KEEP_BROWSERS) {
    const { closeIdleBrowsers } = await import('../dist/browser/pool.js');
    await closeIdleBrowsers();
  }
});
