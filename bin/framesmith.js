#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (the setup script runs it).
import { closeIdleBrowsers } from '../dist/browser/pool.js';
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(async (code) => {
  process.exitCode = code;
  // Browsers kept for a next render (FRAMESMITH_KEEP_BROWSERS) have none to wait for in a CLI run.
  await closeIdleBrowsers();
});
