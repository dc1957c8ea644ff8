/**
 * Vitest setup file of the system project: its files (Redis, S3, distributed workers, lock expiry
 * timings) run one at a time, while the media project's files run beside them. Vitest cannot give two
 * projects of one group different `maxWorkers`, so the system files share the media project's forks
 * and take this lock for their whole file: a directory in the run directory (mkdir is atomic), holding
 * the owner's pid so a lock whose process died is taken over.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { alive, RUN_DIR_ENV } from './global.js';

const lock = path.join(process.env[RUN_DIR_ENV] ?? '.vitest-tmp', 'system-files.lock');
const POLL_MS = 200;

beforeAll(async () => {
  for (;;) {
    try {
      await mkdir(lock);
      await writeFile(path.join(lock, 'pid'), String(process.pid));
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number(await readFile(path.join(lock, 'pid'), 'utf8').catch(() => ''));
    // No pid yet: the owner is between mkdir and writeFile. A dead owner's lock is taken over.
    if (owner && !alive(owner)) await rm(lock, { recursive: true, force: true });
    else await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
});

afterAll(async () => {
  await rm(lock, { recursive: true, force: true });
});
