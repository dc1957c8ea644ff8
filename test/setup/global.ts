/**
 * Vitest global setup: one directory per test run (`.vitest-tmp/run-<pid>-<random>` in the checkout,
 * so compiled children still resolve the project's node_modules), named to every test process through
 * the environment, and removed when the run ends:
 *
 * - `media/`: test media made once per run, keyed by content (test/helpers/media-store.ts);
 * - `build/`: src/ compiled once per run for tests whose children need JavaScript
 *   (test/cache/helpers.ts `buildForChildren`), unless FRAMESMITH_TEST_DIST names a fresh build.
 *
 * Vitest may run this once per project; the first call in the main process creates the directory and
 * the later ones reuse it, so every project of one run shares one store. The environment is set here,
 * in the main process, before any worker starts: workers (threads and forks) inherit it.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MEDIA_DIR_ENV } from '../helpers/media-store.js';

/** Names the run directory to test processes. */
export const RUN_DIR_ENV = 'FRAMESMITH_TEST_RUN_DIR';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** How many setups of this run are open: kept on globalThis, as each project may load this module anew. */
const state = globalThis as { framesmithTestRunUsers?: number };

export default async function setup(): Promise<() => Promise<void>> {
  state.framesmithTestRunUsers = (state.framesmithTestRunUsers ?? 0) + 1;
  if (!process.env[RUN_DIR_ENV]) {
    await removeAbandonedRuns();
    const runDir = path.join(REPO, '.vitest-tmp', `run-${process.pid}-${randomBytes(4).toString('hex')}`);
    await mkdir(path.join(runDir, 'media'), { recursive: true });
    process.env[RUN_DIR_ENV] = runDir;
    process.env[MEDIA_DIR_ENV] = path.join(runDir, 'media');
  }
  return async () => {
    state.framesmithTestRunUsers = (state.framesmithTestRunUsers ?? 1) - 1;
    const runDir = process.env[RUN_DIR_ENV];
    if (state.framesmithTestRunUsers > 0 || !runDir) return;
    delete process.env[RUN_DIR_ENV];
    delete process.env[MEDIA_DIR_ENV];
    await rm(runDir, { recursive: true, force: true, maxRetries: 3 });
  };
}

/**
 * Removes the run directories of vitest processes that no longer exist (a run killed before its
 * teardown); a live process's directory, another engineer's run in the same checkout included, stays.
 */
async function removeAbandonedRuns(): Promise<void> {
  const parent = path.join(REPO, '.vitest-tmp');
  for (const name of await readdir(parent).catch(() => [] as string[])) {
    const pid = /^run-(\d+)-/.exec(name)?.[1];
    if (pid && !alive(Number(pid))) await rm(path.join(parent, name), { recursive: true, force: true });
  }
}

/** Whether process `pid` exists (EPERM: it does, under another user). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
