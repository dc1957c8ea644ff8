import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Three projects, each file in one of them; unit runs first (`sequence.groupOrder`), media and system
 * together after it:
 * - unit: no browser, no ffmpeg encode, no child process of ours: threads without isolation (the module
 *   graph is loaded once per thread), first, so a broken function fails fast;
 * - media: everything with Chromium or ffmpeg (forks: a crashing browser or a signal stays in its process),
 *   without isolation: a fork runs file after file with its modules loaded once (measured 2026-12-07:
 *   the media project 580 → 506 s, the per-file start of a fresh fork being ~2.5 s of import and
 *   collection). Tests restore what they change of process.env; browsers kept for the next render
 *   are closed after each file (test/setup/browsers.ts);
 * - system: Redis, S3 and distributed workers (ports, servers, lock expiry): one file at a time
 *   (test/setup/system-lock.ts), beside the media files (SystemBesideMedia).
 * New pure tests: name them `*.unit.test.ts` (or list them in UNIT) so they land in unit.
 */
const UNIT = [
  'test/**/*.unit.test.ts',
  'test/browser/server.test.ts',
  'test/cache/remote.test.ts',
  'test/cache/store.test.ts',
  'test/composition/parse.test.ts',
  'test/extract/colour-decision.test.ts',
  'test/extract/lookup.test.ts',
  'test/load/css-urls.test.ts',
  'test/load/fallback-fonts.test.ts',
  'test/load/fonts-resolution.test.ts',
  'test/load/variables-hf.test.ts',
];
const SYSTEM = ['test/distributed/**/*.test.ts'];

/**
 * Vitest's order (groups, then project by project, longest files first), with the system project's
 * files spread through the media project's first half instead of after it: one fork runs a system
 * file while the other runs media files, so the system files no longer run alone at the end (measured
 * 2026-12-07: 82 s of one fork). They still run one at a time (test/setup/system-lock.ts).
 */
class SystemBesideMedia extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const system = sorted.filter((f) => f.project.name === 'system');
    const media = sorted.filter((f) => f.project.name === 'media');
    if (system.length === 0 || media.length === 0) return sorted;
    const step = Math.max(1, Math.floor(media.length / 2 / system.length));
    const mixed = media.flatMap((f, i) => (i % step === 0 && i / step < system.length ? [system[i / step]!, f] : [f]));
    return [...sorted.filter((f) => f.project.name !== 'system' && f.project.name !== 'media'), ...mixed];
  }
}

export default defineConfig({
  test: {
    // Real ffmpeg and Chromium processes: generous timeouts, limited parallelism on 2 cores.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // 3 forks were measured no faster (9 min 52 s against 9 min 42 s): the suite is CPU-bound then.
    maxWorkers: 2,
    sequence: { sequencer: SystemBesideMedia },
    // The frame cache is on by default; tests that want it pass a private directory (cache: dir,
    // --cache-dir), so no test reads or fills the user's ~/.cache/framesmith or depends on an earlier run.
    // Fonts decompressed for the browser (src/fonts/fontconfig.ts) go to a folder of the checkout.
    // One browser per render (FRAMESMITH_WORKERS) unless a test passes `workers` because it is about the pool,
    // and it stays for the next render of the same test file (FRAMESMITH_KEEP_BROWSERS, src/browser/pool.ts):
    // measured on 6 render files, 32 % less CPU than a Chromium start per render.
    // Google Fonts requests (families nothing bundles) go to a refused loopback port: hermetic, and fast
    // to fail, on a machine with the network too; the Google tests start their own server.
    env: {
      FRAMESMITH_CACHE_DIR: 'off',
      FRAMESMITH_FONT_DIR: '.vitest-tmp/fonts',
      FRAMESMITH_WORKERS: '1',
      FRAMESMITH_KEEP_BROWSERS: '30000',
      FRAMESMITH_GOOGLE_FONTS_URL: 'http://127.0.0.1:9/css2',
    },
    // One directory per run: test media made once, keyed by content; src/ compiled once for children.
    globalSetup: ['test/setup/global.ts'],
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: UNIT, pool: 'threads', isolate: false, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'media', include: ['test/**/*.test.ts'], exclude: [...UNIT, ...SYSTEM], pool: 'forks', isolate: false, setupFiles: ['test/setup/browsers.ts'], sequence: { groupOrder: 1 } },
      },
      {
        extends: true,
        test: { name: 'system', include: SYSTEM, pool: 'forks', setupFiles: ['test/setup/browsers.ts', 'test/setup/system-lock.ts'], sequence: { groupOrder: 1 } },
      },
    ],
  },
});
