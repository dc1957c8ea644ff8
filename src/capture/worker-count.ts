/**
 * How many capture workers to run by default, and why each worker has its own browser.
 *
 * Default: one worker per core (a worker's renderer and browser keep about one core busy; ffmpeg
 * takes the slack), capped by free memory at MEMORY_PER_WORKER each, at most 8, at least 1.
 *
 * One browser per worker (not one page per worker in a shared browser): the browser process
 * composites and encodes every page's screenshots, so pages of one browser queue behind each other.
 * Measured on 2 cores (capture only, 2 workers, 90 frames, JPEG frames): 640x360 — 13-16 ms/frame
 * with 2 pages of one browser, 10-11 ms with 2 browsers; 1920x1080 — 113-138 ms vs 66-85 ms.
 */
import os from 'node:os';

/** Resident memory budgeted per worker (a headless browser, its renderer and queued frames), bytes. */
export const MEMORY_PER_WORKER = 600 * 1024 * 1024;

/** The default worker count: min(`cores`, whole `MEMORY_PER_WORKER`s in `freeMemory` bytes, 8), at least 1. */
export function defaultWorkers(cores = os.availableParallelism(), freeMemory = os.freemem()): number {
  const byMemory = Math.floor(freeMemory / MEMORY_PER_WORKER);
  return Math.max(1, Math.min(cores, byMemory, 8));
}
