/**
 * Which chunk failures are tried again, decided by the error's code alone (one predicate:
 * `failsForGood`). A chunk that fails for good fails its render at once (queue.ts), which cancels the
 * render's other chunks; any other failure is tried again, on whichever worker takes it, up to the
 * render's tries.
 *
 * - The composition's own faults (`COMPOSITION_FAULTS`): `page_error` — the page threw, or reported an
 *   error, at a frame (`the page reported an error at frame k …`), or its document could not be loaded.
 *   The frozen plan gives every machine the same page, so every try would fail the same way, and every
 *   later chunk would too (a chunk steps through the frames before its own).
 * - The plan cannot be rendered here, or must not be: `plan_mismatch`, `plan_corrupt`, `invalid_option`,
 *   `webgl_unavailable`, `webgpu_unavailable`, `strict` (a warning under strict mode), `cancelled`.
 *
 * Tried again: the infrastructure's — a browser that crashed or exited (`browser_crashed`), a deadline
 * passed (`timeout`: a loaded machine as often as an endless script), a failed request (`request_failed`:
 * the plan's files are served from this machine's copy), ffmpeg, storage and every other code.
 */
import type { ErrorCode } from '../error-codes.js';

/** The codes of a composition's own faults: no other try or worker can render the chunk (see the module comment). */
export const COMPOSITION_FAULTS: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['page_error']);

/** Every code that fails a chunk at its first try: COMPOSITION_FAULTS, and plans this worker cannot or must not render. */
export const PERMANENT_FAULTS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ...COMPOSITION_FAULTS,
  'plan_mismatch',
  'plan_corrupt',
  'invalid_option',
  'webgl_unavailable',
  'webgpu_unavailable',
  'cancelled',
  'strict',
]);

/** Whether a chunk that threw `error` fails for good at once: its `code` is one of PERMANENT_FAULTS. */
export function failsForGood(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && PERMANENT_FAULTS.has(code as ErrorCode);
}
