/**
 * `framesmith preview` and a page that gets stuck (src/capture/deadlines.ts): a frame request that
 * passes its deadline answers the timeout error (the player shows it over the stage), the browser is
 * replaced, and a later frame is served; SIGTERM while a page is stuck stops the preview at once,
 * exit 0, with no browser left. The CLI runs for real (bin/framesmith.js → dist/: `npm run build`).
 *
 * The composition (64x36, 1 s at 30 fps) loops forever in an animation frame callback once it reaches
 * 0.5 s (virtual time): frames before 15 are drawn, any later frame never returns.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type startCli, startPreviewCli } from '../helpers/render-cli.js';
import { makeProject, page } from '../helpers/render-pixels.js';

const HTML = page({
  body: '<div style="width:10px;height:10px;background:#fff"></div>',
  width: 64,
  height: 36,
  script: 'requestAnimationFrame(function tick(t) { if (t >= 499) { while (true) {} } requestAnimationFrame(tick); });',
});

let project: string;
const running: Array<ReturnType<typeof startCli>> = [];

/** Starts a preview of the project with `flags`; resolves with it and its URL once it listens. */
async function startPreview(flags: string[]): Promise<{ preview: ReturnType<typeof startCli>; url: string }> {
  const { preview, url } = await startPreviewCli(project, flags);
  running.push(preview);
  // Loaded (or failed to): info waits for the load in progress.
  const info = (await (await fetch(`${url}__preview/info`)).json()) as { info?: { frameCount: number } };
  expect(info.info?.frameCount).toBe(30);
  return { preview, url };
}

/** Pids of the running (not zombie) direct children of `pid`: the preview's browsers. */
function childrenOf(pid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid …: comm may hold spaces and parentheses, so parse after the last ')'.
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) === pid && state !== 'Z') found.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

beforeAll(async () => {
  project = await makeProject({ 'index.html': HTML }, 'fs-preview-deadlines-');
});

afterAll(async () => {
  for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await rm(project, { recursive: true, force: true });
});

describe('preview and a stuck page', () => {
  it('a frame past its deadline answers the timeout error; the browser is replaced and the next frame is served', async () => {
    const { preview, url } = await startPreview(['--protocol-timeout', '1500']);
    const stuck = await fetch(`${url}__preview/frame?t=0.7`);
    expect(stuck.status).toBe(500);
    const { error } = (await stuck.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('timeout');
    expect(error.message).toMatch(/^frame 21 \(0\.700 s\) of http:\/\/127\.0\.0\.1:\d+\/index\.html did not seek .* within 1500 ms/);
    expect(error.message).toContain('raise `protocolTimeout`');

    const later = await fetch(`${url}__preview/frame?t=0.1`);
    expect(later.status).toBe(200);
    expect(later.headers.get('content-type')).toBe('image/png');
    expect(later.headers.get('x-frame')).toBe('3');
    expect((await later.arrayBuffer()).byteLength).toBeGreaterThan(0);

    preview.child.kill('SIGINT');
    const run = await preview.done;
    expect(run.code).toBe(0);
    expect(await readFile(path.join(project, 'index.html'), 'utf8')).toBe(HTML);
  }, 60_000);

  it('SIGTERM while a page is stuck (a deadline of minutes) stops the preview: exit 0, no browser left', async () => {
    const { preview, url } = await startPreview([]);
    const browsers = childrenOf(preview.child.pid!);
    expect(browsers.length).toBeGreaterThan(0);
    const stuck = fetch(`${url}__preview/frame?t=0.7`).then(
      () => 'answered',
      () => 'connection closed',
    );
    // The request reaches the page and the page loops; nothing here waits for the deadline (5 min).
    await new Promise((r) => setTimeout(r, 1000));
    preview.child.kill('SIGTERM');
    const run = await preview.done;
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/stopping/);
    expect(await stuck).toMatch(/answered|connection closed/);
    expect(browsers.filter(alive)).toEqual([]);
    expect(await readFile(path.join(project, 'index.html'), 'utf8')).toBe(HTML);
  }, 30_000);
});
