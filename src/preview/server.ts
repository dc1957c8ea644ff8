/**
 * The preview server: the player page, the frames of the current `PreviewSession`, and live reload.
 *
 *   GET /                       the player (page/player.ts), `?t=<seconds>` opens paused there, `?scale=1` at 1:1
 *   GET /__preview/player.js    the player's script
 *   GET /__preview/info         the composition's size, rate, length: `{ version, info }`, or `{ version, error }`
 *   GET /__preview/frame?t=…    the frame at t as PNG (X-Frame / X-Time headers), or 4xx/5xx `{ error }`
 *   GET /__preview/audio        the composition's sound as a render mixes it (Opus in WebM, byte ranges),
 *                               204 when nothing is audible, or 409/500 `{ error }`
 *   GET /__preview/events       server-sent events: `state` with `{ version, info }` or `{ version, error }`
 *                               whenever the project changed and was loaded again
 *
 * Any change under the project directory (HTML, CSS, scripts, sub-compositions, media) loads the
 * composition again (debounced); the new session replaces the old one only once it loaded. A
 * composition that fails to load is reported with the message a render gives, and the server goes on
 * watching until it loads again.
 *
 * Every request must name the server in its `Host` header (host-check.ts: loopback names, the --host
 * it listens on): anything else is refused with 403, so DNS rebinding cannot reach the project.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostAllowed, refusedHostText } from './host-check.js';
import { sendFile } from './serve-file.js';
import type { PreviewState } from './player-api.js';
import { PreviewSession, type PreviewSessionOptions } from './session.js';

/** Re-exported from player-api.ts, shared with the player page. */
export type { PreviewState } from './player-api.js';

/** Where the preview server listens, and how each load of the project is made (`PreviewSessionOptions`). */
export interface PreviewServerOptions extends PreviewSessionOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** The project changed and was loaded again (or failed to): for the CLI's log. */
  onState?(state: PreviewState): void;
}

/**
 * A running preview server. `url` is the player page (`0.0.0.0`/`::` shown as 127.0.0.1); `close()` stops
 * watching, ends event streams and the server, then closes the current session.
 */
export interface PreviewServer {
  url: string;
  /** Resolves with the state once the project has been loaded (or failed to) since the last change. */
  settled(): Promise<PreviewState>;
  close(): Promise<void>;
}

/** Changes within this long of each other load the project once. */
const DEBOUNCE_MS = 150;
/** Directories whose changes are not the composition's: version control, dependencies, outputs. */
const IGNORED = /(^|[\\/])(\.git|node_modules|renders)([\\/]|$)|\.partial-/;

// Both src/preview/ (tests) and dist/preview/ (the CLI) are two levels below the package root.
const PLAYER_SCRIPT = fileURLToPath(new URL('../../dist/page/preview-player.js', import.meta.url));

/**
 * Serves the preview of `input` (an HTML file, or a project directory) and watches its directory; resolves once
 * listening, before the first load finished (see `settled`). Rejects when it cannot listen.
 */
export async function startPreviewServer(input: string, options: PreviewServerOptions = {}): Promise<PreviewServer> {
  const resolved = path.resolve(input);
  const projectDir = /\.html?$/i.test(resolved) ? path.dirname(resolved) : resolved;
  let version = 0;
  let session: PreviewSession | null = null;
  let state: PreviewState = { version, error: { code: 'loading', message: 'loading the composition…' } };
  const listeners = new Set<http.ServerResponse>();
  let loading: Promise<PreviewState> = Promise.resolve(state);
  let again = false;
  let closed = false;

  const publish = (next: PreviewState) => {
    state = next;
    options.onState?.(next);
    for (const res of listeners) res.write(`event: state\ndata: ${JSON.stringify(next)}\n\n`);
  };
  /** Loads the project; a change during a load loads it once more afterwards. */
  const load = (): Promise<PreviewState> => {
    const run = async (): Promise<PreviewState> => {
      do {
        again = false;
        version++;
        try {
          const next = await PreviewSession.open(input, options);
          if (closed) {
            await next.close();
            break;
          }
          const old = session;
          session = next;
          await old?.close();
          publish({ version, info: next.info });
        } catch (error) {
          // Stopping ends the browsers under a load in progress: that is no error of the project.
          if (closed) break;
          const e = error as { code?: string; message?: string };
          publish({ version, error: { code: e.code ?? 'stage', message: e.message ?? String(error) } });
        }
      } while (again && !closed);
      return state;
    };
    loading = loading.then(run, run);
    return loading;
  };

  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  let pending = false;
  const changed = (file: string | null) => {
    if (file && IGNORED.test(file)) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (pending) {
        again = true;
        return;
      }
      pending = true;
      void load().finally(() => {
        pending = false;
      });
    }, DEBOUNCE_MS);
  };
  watcher = watch(projectDir, { recursive: true }, (_event, file) => changed(file ? String(file) : null));
  watcher.on('error', () => {});

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'stage', message: error instanceof Error ? error.message : String(error) } }));
    });
  });
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const { port } = server.address() as import('node:net').AddressInfo;
    if (!hostAllowed(req.headers.host, options.host ?? '127.0.0.1', port)) {
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      res.end(refusedHostText(req.headers.host, port));
      return;
    }
    const url = new URL(req.url ?? '/', 'http://preview');
    if (url.pathname === '/' || url.pathname === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(playerHtml());
    } else if (url.pathname === '/__preview/player.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' });
      res.end(await readFile(PLAYER_SCRIPT));
    } else if (url.pathname === '/__preview/info') {
      json(res, 200, await loading);
    } else if (url.pathname === '/__preview/frame') {
      const current = await loading.then(() => session);
      if ('error' in state || !current) return json(res, 409, state);
      const t = Number(url.searchParams.get('t') ?? 0);
      try {
        const frame = await current.frame(Number.isFinite(t) ? t : 0);
        res.writeHead(200, {
          'content-type': 'image/png',
          'cache-control': 'no-store',
          'x-frame': String(frame.frame),
          'x-time': String(frame.time),
          'x-version': String(state.version),
        });
        res.end(frame.png);
      } catch (error) {
        const e = error as { code?: string; message?: string };
        json(res, 500, { version: state.version, error: { code: e.code ?? 'stage', message: e.message ?? String(error) } });
      }
    } else if (url.pathname === '/__preview/audio') {
      const current = await loading.then(() => session);
      if ('error' in state || !current) return json(res, 409, state);
      const at = state.version;
      try {
        const file = await current.audio;
        if (!file) {
          res.writeHead(204, { 'cache-control': 'no-store', 'x-version': String(at) });
          return void res.end();
        }
        await sendFile(req, res, file, 'audio/webm', { 'x-version': String(at) });
      } catch (error) {
        const e = error as { code?: string; message?: string };
        // The file went with a session replaced meanwhile (or the response was cut): nothing more to say.
        if (res.headersSent) return void res.destroy();
        json(res, 500, { version: at, error: { code: e.code ?? 'stage', message: e.message ?? String(error) } });
      }
    } else if (url.pathname === '/__preview/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(`event: state\ndata: ${JSON.stringify(state)}\n\n`);
      listeners.add(res);
      req.on('close', () => listeners.delete(res));
    } else {
      json(res, 404, { error: { code: 'not_found', message: `${url.pathname} is not part of the preview` } });
    }
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as import('node:net').AddressInfo;
  const host = options.host && options.host !== '0.0.0.0' && options.host !== '::' ? options.host : '127.0.0.1';
  void load();
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}/`,
    settled: () => new Promise((resolve) => setTimeout(() => resolve(loading), DEBOUNCE_MS + 10)),
    async close() {
      closed = true;
      clearTimeout(timer);
      watcher?.close();
      watcher = undefined;
      for (const res of listeners) res.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections?.();
      await loading.catch(() => {});
      await session?.close();
      session = null;
    },
  };
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** The player page: a stage marked `data-preview-stage`, the controls, and the player script. */
function playerHtml(): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>framesmith preview</title><style>
html,body{margin:0;height:100%;background:#1b1d21;color:#ddd;font:13px/1.4 system-ui,sans-serif}
#app{display:flex;flex-direction:column;height:100%}
#view{flex:1;position:relative;overflow:auto;display:flex;align-items:center;justify-content:center}
[data-preview-stage]{position:relative;transform-origin:center center;flex:none;background:#000;box-shadow:0 0 0 1px #333}
[data-preview-stage] img{display:block;width:100%;height:100%;image-rendering:auto}
#error{display:none;position:absolute;inset:0;background:rgba(20,0,0,.86);color:#ffd7d7;padding:24px;white-space:pre-wrap;font:13px/1.5 ui-monospace,monospace;overflow:auto}
#error.shown{display:block}
#bar{display:flex;gap:10px;align-items:center;padding:8px 12px;background:#25282d;border-top:1px solid #333}
#bar input[type=range]{flex:1}
button{background:#3a3f47;color:#eee;border:0;border-radius:4px;padding:4px 10px;cursor:pointer}
#clock{font-variant-numeric:tabular-nums;min-width:13em}
#meta{color:#999}
</style></head><body><div id="app">
<div id="view"><div data-preview-stage><img alt="frame"><div id="error" role="alert"></div></div></div>
<div id="bar"><button id="play" title="play / pause (space)">▶</button>
<button id="prev" title="previous frame (←)">◀︎|</button><button id="next" title="next frame (→)">|▶︎</button>
<input id="scrub" type="range" min="0" max="0" step="1" value="0" aria-label="time">
<button id="sound" title="sound on / off (m); off until you start playback">🔇</button>
<span id="clock">0.000 s · frame 0</span><span id="meta"></span></div>
</div><audio id="audio" preload="auto" muted></audio><script src="/__preview/player.js"></script></body></html>`;
}
