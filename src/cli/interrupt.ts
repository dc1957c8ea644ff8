/**
 * What an interrupted command still has to do before the process exits, where it cannot be done
 * synchronously from an `exit` listener: a distributed render tells its workers to stop its chunks and
 * removes its segments from the storage — network round trips. The CLI's SIGINT/SIGTERM handler
 * (main.ts) ends the child processes, then awaits every registered clean-up for at most
 * INTERRUPT_CLEANUP_MS, then exits; with none registered it exits at once, as before.
 */

/** The longest an interrupt waits for clean-ups (Redis or the storage may be what is failing). */
export const INTERRUPT_CLEANUP_MS = 5000;

const cleanups = new Set<() => Promise<void>>();

/** Registers `cleanup` to run on SIGINT/SIGTERM; the returned function unregisters it. */
export function onInterrupt(cleanup: () => Promise<void>): () => void {
  cleanups.add(cleanup);
  return () => {
    cleanups.delete(cleanup);
  };
}

/** Whether any clean-up is registered (the handler exits at once when none is). */
export function hasInterruptCleanups(): boolean {
  return cleanups.size > 0;
}

/** Runs every registered clean-up at once; resolves when all settled or after `timeoutMs`. Never rejects. */
export async function runInterruptCleanups(timeoutMs = INTERRUPT_CLEANUP_MS): Promise<void> {
  const all = Promise.allSettled([...cleanups].map(async (cleanup) => cleanup()));
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    all,
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    }),
  ]);
  clearTimeout(timer);
}

/** An abort signal tied to SIGINT/SIGTERM, and the work the interrupt must wait for (from abortOnInterrupt). */
export interface InterruptAbort {
  /** Aborted on SIGINT/SIGTERM. */
  readonly signal: AbortSignal;
  /**
   * `work` (begun with `signal`), which the interrupt then awaits — bounded — before the process
   * exits, so that its own clean-up runs. Unregisters once it settled.
   */
  track<T>(work: Promise<T>): Promise<T>;
}

/**
 * An abort signal for SIGINT/SIGTERM and the work it must wait for (see InterruptAbort): the clean-up
 * is registered while any tracked work is pending — each call to `track` adds to it — and unregistered
 * once all of it settled.
 */
export function abortOnInterrupt(): InterruptAbort {
  const controller = new AbortController();
  const pending = new Set<Promise<void>>();
  let unregister: (() => void) | undefined;
  return {
    signal: controller.signal,
    track(work) {
      const settled = work.then(
        () => {},
        () => {},
      );
      pending.add(settled);
      unregister ??= onInterrupt(async () => {
        controller.abort();
        await Promise.allSettled([...pending]);
      });
      void settled.then(() => {
        pending.delete(settled);
        if (pending.size > 0) return;
        unregister?.();
        unregister = undefined;
      });
      return work;
    },
  };
}
