/**
 * The page's errors, collected in order: uncaught exceptions (with file:line:column) and unhandled
 * promise rejections, plus errors the runtime itself catches (a rAF callback or a timeline that
 * threw). The capture worker reads them after every seek and fails the frame naming the first.
 */

/** A readable one-line-or-stack description of a thrown value. */
export function describe(value: unknown): string {
  if (value && typeof value === 'object' && 'message' in value) {
    const error = value as { stack?: unknown; message?: unknown };
    return String(error.stack || error.message);
  }
  try {
    return typeof value === 'string' ? value : JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/**
 * A window's error list: `errors` (the same array `collectErrors` was given) and `report`, which appends
 * `prefix` + the thrown value's description.
 */
export interface ErrorLog {
  readonly errors: string[];
  report(prefix: string, value: unknown): void;
}

/**
 * Collects `win`'s uncaught errors and unhandled rejections into `errors` (a fresh list by default;
 * an iframe's runtime passes the top page's, so one list holds them all).
 */
export function collectErrors(win: Window & typeof globalThis, errors: string[] = []): ErrorLog {
  win.addEventListener(
    'error',
    (event) => {
      // Resource load failures also arrive here (capture phase) but are not ErrorEvents: the
      // capture worker and the project server report those as failed requests.
      if (!(event instanceof win.ErrorEvent)) return;
      const where = event.filename ? ` (${event.filename}:${event.lineno}:${event.colno})` : '';
      errors.push(`Uncaught ${event.error ? describe(event.error) : event.message}${where}`);
    },
    true,
  );
  win.addEventListener('unhandledrejection', (event) => {
    errors.push(`Unhandled promise rejection: ${describe(event.reason)}`);
  });
  return {
    errors,
    report(prefix, value) {
      errors.push(prefix + describe(value));
    },
  };
}
