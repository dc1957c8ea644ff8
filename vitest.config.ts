import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real ffmpeg and Chromium processes: generous timeouts, limited parallelism on 2 cores.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    maxWorkers: 2,
    // The frame cache is on by default; tests that want it pass a private directory (cache: dir,
    // --cache-dir), so no test reads or fills the user's ~/.cache/framesmith or depends on an earlier run.
    // Fonts decompressed for the browser (src/fonts/fontconfig.ts) go to a folder of the checkout.
    env: { FRAMESMITH_CACHE_DIR: 'off', FRAMESMITH_FONT_DIR: '.vitest-tmp/fonts' },
    fileParallelism: true,
  },
});
