/**
 * Credentials never leave in what framesmith prints: `redactUrl` hides the userinfo password of every
 * URL in a text (`redis://:secret@host` → `redis://:***@host`, `s3://key:secret@bucket` →
 * `s3://key:***@bucket`; a userinfo without a colon, a token on its own, is hidden whole). Worker and
 * render lines, notices, error messages and their fields all go through it, so a `--redis` or
 * `--storage` URL can be echoed back as the user gave it, minus the secret.
 */

/** `scheme://userinfo@`: the userinfo is everything up to the last `@` before the host's end. */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@]*@)+/gi;

/** `text` with the password of every `scheme://user:password@` in it replaced by `***`. */
export function redactUrl(text: string): string {
  return text.replace(USERINFO, (whole: string, scheme: string) => {
    const userinfo = whole.slice(scheme.length, -1);
    const colon = userinfo.indexOf(':');
    return `${scheme}${colon >= 0 ? `${userinfo.slice(0, colon)}:***` : '***'}@`;
  });
}

/** `fields` with `redactUrl` applied to each string value (one level: error fields are flat). */
export function redactFields<T extends object>(fields: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) out[key] = typeof value === 'string' ? redactUrl(value) : value;
  return out as T;
}
