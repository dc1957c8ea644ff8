/**
 * FRAMESMITH_WORKER_STOP_MS (src/distributed/timings.ts `workerStopGraceMs`): how long `framesmith worker`
 * stopping on a signal waits to close before it exits anyway — the default, a value, and a malformed one
 * refused with `invalid_config` naming the variable (the worker exits 2 with that message).
 */
import { describe, expect, it } from 'vitest';
import { DistributedError } from '../../src/distributed/errors.js';
import { DEFAULT_WORKER_STOP_MS, workerStopGraceMs } from '../../src/distributed/timings.js';

describe('workerStopGraceMs', () => {
  it('is 15 s unless FRAMESMITH_WORKER_STOP_MS gives whole milliseconds from 100 to 3600000', () => {
    expect(DEFAULT_WORKER_STOP_MS).toBe(15_000);
    expect(workerStopGraceMs({})).toBe(15_000);
    expect(workerStopGraceMs({ FRAMESMITH_WORKER_STOP_MS: ' ' })).toBe(15_000);
    expect(workerStopGraceMs({ FRAMESMITH_WORKER_STOP_MS: '2000' })).toBe(2000);
    for (const value of ['2s', '99', '3600001', '1.5']) {
      const error = (() => {
        try {
          workerStopGraceMs({ FRAMESMITH_WORKER_STOP_MS: value });
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error, value).toBeInstanceOf(DistributedError);
      expect((error as DistributedError).code).toBe('invalid_config');
      expect((error as DistributedError).message).toBe(
        `FRAMESMITH_WORKER_STOP_MS="${value}" is not a duration: give whole milliseconds from 100 to 3600000, or unset it for the default 15000`,
      );
    }
  });
});
