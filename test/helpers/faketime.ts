/**
 * A wrong wall clock for a child Node process, for real: libfaketime (Debian's `faketime` package,
 * which scripts/setup.sh installs) preloaded into it.
 */
import { existsSync } from 'node:fs';

/** Where Debian's `libfaketime` package (scripts/setup.sh installs `faketime`) puts the library. */
export const FAKETIME_LIBS = [
  '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/faketime/libfaketime.so.1',
];

/**
 * The environment that sets a Node process's wall clock off the true time: by `offset` (libfaketime's
 * syntax: "+3h", "-3h"), or by the offset in `file`, read again every second. The preload stays in that
 * process: it deletes LD_PRELOAD from its own environment at start, so Chromium and ffmpeg keep the true
 * time — under libfaketime this Chromium spins (a 1-second 160x90 render took 12.6 s of user CPU
 * instead of 1.8), and neither decides any liveness: the page runs on its virtual clock, and every lock
 * and heartbeat is the worker's Node process's.
 */
export function skewed(clock: { offset: string } | { file: string }): Record<string, string> {
  const lib = FAKETIME_LIBS.find((file) => existsSync(file));
  if (!lib) throw new Error(`libfaketime is not installed (looked in ${FAKETIME_LIBS.join(', ')}): run scripts/setup.sh`);
  return {
    LD_PRELOAD: lib,
    ...('offset' in clock ? { FAKETIME: clock.offset } : { FAKETIME_TIMESTAMP_FILE: clock.file, FAKETIME_CACHE_DURATION: '1' }),
    // Only the wall clock is off, as on a machine whose time is wrong; the monotonic clock is not.
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=data:text/javascript,delete%20process.env.LD_PRELOAD`.trim(),
  };
}
