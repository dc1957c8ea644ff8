/**
 * Build steps a composition's libraries declare: HyperFrames' `window.__hf.buildReady`, an object whose
 * values are promises (its shader-transitions library pre-renders each transition there and shows a
 * "preparing scene transition" overlay until they resolve). HyperFrames holds the first frame until
 * every promise in it has settled, and looks again when they have, so a step registered while others
 * ran is waited for too; a rejected step does not hold the render (it is reported).
 *
 * Here: `ready()` waits the same way — every thenable value of `window.__hf.buildReady` settled, then
 * again for values added meanwhile, until a look finds none new. It has no deadline of its own: the
 * page's readiness deadline (`playerReadyTimeout`) bounds it, as HyperFrames' page-load deadline does.
 * A rejection is a warning through `warn` (naming its key), not an error: HyperFrames goes on too.
 */
import type { FramesmithAdapter } from '../../page-api.js';

type Thenable = PromiseLike<unknown>;

const isThenable = (value: unknown): value is Thenable =>
  value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function';

/** The thenables of `window.__hf.buildReady` now, by key. */
function buildSteps(win: Window): Array<[string, Thenable]> {
  const hf = (win as unknown as { __hf?: { buildReady?: unknown } }).__hf;
  const registry = hf?.buildReady;
  if (!registry || typeof registry !== 'object') return [];
  return Object.entries(registry as Record<string, unknown>).filter((entry): entry is [string, Thenable] => isThenable(entry[1]));
}

/**
 * The `window.__hf.buildReady` adapter (see the module comment): `ready()` resolves once no unsettled
 * step remains and never rejects; each rejected step is one `warn` call. Its seek does nothing.
 */
export function hfBuildReadyAdapter(win: Window, warn: (message: string) => void): FramesmithAdapter {
  return {
    name: 'window.__hf.buildReady',
    async ready() {
      const settled = new Set<Thenable>();
      for (;;) {
        const pending = buildSteps(win).filter(([, step]) => !settled.has(step));
        if (pending.length === 0) return;
        await Promise.all(
          pending.map(async ([key, step]) => {
            try {
              await step;
            } catch (error) {
              warn(
                `window.__hf.buildReady["${key}"] rejected (${error instanceof Error ? error.message : String(error)}): the render went on without that build step`,
              );
            }
            settled.add(step);
          }),
        );
      }
    },
    seek() {},
  };
}
