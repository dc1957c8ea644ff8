/**
 * `abortOnInterrupt` directly (no signal sent: `runInterruptCleanups` is what main's SIGINT/SIGTERM
 * handler calls): the interrupt aborts the signal and waits for every tracked piece of work, not only
 * the last one, and nothing stays registered once all of it settled. (Not a unit-project file: it reads
 * the module's registry, which the unit project's shared threads would share with other files.)
 */
import { describe, expect, it } from 'vitest';
import { abortOnInterrupt, hasInterruptCleanups, runInterruptCleanups } from '../../src/cli/interrupt.js';

describe('abortOnInterrupt', () => {
  it('an interrupt aborts and waits for the work still pending, after earlier work settled', async () => {
    const interrupt = abortOnInterrupt();
    expect(hasInterruptCleanups()).toBe(false);
    const first = interrupt.track(Promise.resolve('first'));
    let finishSecond!: () => void;
    let secondDone = false;
    const second = interrupt.track(
      new Promise<void>((resolve) => {
        finishSecond = resolve;
      }).then(() => {
        secondDone = true;
      }),
    );
    await first;
    await Promise.resolve();
    // The first settled; the second still holds the clean-up.
    expect(hasInterruptCleanups()).toBe(true);
    interrupt.signal.addEventListener('abort', () => setTimeout(finishSecond, 20), { once: true });
    await runInterruptCleanups(5000);
    expect(interrupt.signal.aborted).toBe(true);
    expect(secondDone).toBe(true);
    await second;
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(hasInterruptCleanups()).toBe(false);
  });
});
