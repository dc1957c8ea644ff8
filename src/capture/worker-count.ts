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

/**
 * Frames a worker must have to be worth its start (a browser, a page load): a render of fewer than
 * twice this many frames runs on one worker when the worker count was not asked for, and more frames
 * get at most one worker per this many. Measured on 2 cores (whole CLI processes, paired): 30 frames of
 * 160x90 took 0.75x the wall time and 0.73x the CPU on one worker; at 90 frames one worker and two were
 * even on a CSS composition (640x360) and two were 1.16x faster on a video one (1080p sources).
 */
export const MIN_FRAMES_PER_WORKER = 30;

/**
 * The workers a render of `frames` frames starts: at most `workers` and one per frame; when the count
 * was not asked for (`chosen` false: the default), one below `2 × MIN_FRAMES_PER_WORKER` frames and at
 * most one per `MIN_FRAMES_PER_WORKER` above. `frames` 0 (not known before a page loads): `workers`.
 */
export function workersForFrames(workers: number, frames: number, chosen: boolean): number {
  if (!(frames > 0)) return workers;
  const byFrames = chosen ? frames : frames < 2 * MIN_FRAMES_PER_WORKER ? 1 : Math.floor(frames / MIN_FRAMES_PER_WORKER);
  return Math.max(1, Math.min(workers, byFrames));
}

/** The default worker count: min(`cores`, whole `MEMORY_PER_WORKER`s in `freeMemory` bytes, 8), at least 1. */
export function defaultWorkers(cores = os.availableParallelism(), freeMemory = os.freemem()): number {
  const byMemory = Math.floor(freeMemory / MEMORY_PER_WORKER);
  return Math.max(1, Math.min(cores, byMemory, 8));
}
