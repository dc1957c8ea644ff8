/**
 * Which `Host` headers the preview server answers: a defence against DNS rebinding. A page on
 * `evil.example` whose name is re-pointed at 127.0.0.1 reaches a loopback server with the browser's
 * blessing (same origin, as far as it knows), but its requests still carry `Host: evil.example:4321`:
 * the server refuses them (403) before they see the project.
 *
 * Allowed, each with exactly the port the server listens on (no port: 80): `localhost`, `127.0.0.1`,
 * `[::1]`, the `--host` the server was started with, and — when it listens on every address (`0.0.0.0`,
 * `::`) — any IP address literal, since a rebinding attack needs a name to re-point. Names compare
 * case-insensitively; anything else, a missing header included, is refused.
 */
import net from 'node:net';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1']);
const WILDCARDS = new Set(['0.0.0.0', '::', '']);

/** `header` split into a host (brackets of an IPv6 literal removed, lower case) and a port; null when malformed. */
function splitHost(header: string): { host: string; port: number | null } | null {
  const m = /^(?:\[([0-9a-f:.]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/i.exec(header.trim());
  if (!m) return null;
  return { host: (m[1] ?? m[2]!).toLowerCase(), port: m[3] !== undefined ? Number(m[3]) : null };
}

/** Whether a request with `Host: header` is addressed to a server listening on `listenHost`:`port`. */
export function hostAllowed(header: string | undefined, listenHost: string, port: number): boolean {
  if (header === undefined) return false;
  const parsed = splitHost(header);
  if (!parsed || (parsed.port ?? 80) !== port) return false;
  const listen = listenHost.replace(/^\[|\]$/g, '').toLowerCase();
  if (LOOPBACK_NAMES.has(parsed.host) || parsed.host === listen) return true;
  return WILDCARDS.has(listen) && net.isIP(parsed.host) !== 0;
}

/** The 403 text for a refused request, saying where the preview is. */
export function refusedHostText(header: string | undefined, port: number): string {
  return `framesmith preview: refused a request for host "${header ?? ''}", which is not an address this server listens on (a DNS rebinding attempt?); open http://127.0.0.1:${port}/ instead\n`;
}
