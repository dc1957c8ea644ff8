/**
 * How many capture workers to run by default: one per core (each page's renderer is busy on one core
 * while ffmpeg shares the rest), capped by free memory at ~400 MiB per page, at most 8, at least 1.
 */
import os from 'node:os';

/** Resident memory a capture page (renderer + its share of the browser) is budgeted, bytes. */
export const MEMORY_PER_WORKER = 400 * 1024 * 1024;

export function defaultWorkers(cores = os.availableParallelism(), freeMemory = os.freemem()): number {
  const byMemory = Math.floor(freeMemory / MEMORY_PER_WORKER);
  return Math.max(1, Math.min(cores, byMemory, 8));
}
