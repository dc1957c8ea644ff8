/**
 * `framesmith storage prune` on a storage directory filled by real planned renders: plans unused for
 * longer than --older-than go, recent ones stay, the plan of a render running at that moment stays
 * whatever the age given, and a freeze left incomplete goes only after a day. The renders are real
 * processes where a process is the point (one running while prune looks, one killed) and in-process
 * (cli-in-process.ts) where a plan is only wanted, of a small composition with no media (pruning reads
 * plans, not what is in them); `storage prune` runs in-process except once, as the built bin.
 */
import { mkdir, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skewed } from '../helpers/faketime.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { privateTmpEnv, processesMentioning, runCli, startCli } from '../helpers/render-cli.js';
import { makeProject, page } from '../helpers/render-pixels.js';

let project: string;
let storage: string;

async function planOf(background: string): Promise<string> {
  await setBackground(background);
  // In-process: the running and the killed renders below are the file's real render processes.
  const run = await runCliInProcess([
    'render',
    project,
    '-o',
    path.join(project, 'out.mp4'),
    '--chunk-frames',
    String(FRAMES),
    '--storage',
    storage,
    '--json',
  ]);
  expect(run.code).toBe(0);
  return (JSON.parse(run.stdout) as { plan: { hash: string } }).plan.hash;
}

/** Bytes of the files below `dir`. */
async function bytesIn(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const sizes = await Promise.all(entries.filter((e) => e.isFile()).map(async (e) => (await stat(path.join(e.parentPath, e.name))).size));
  return sizes.reduce((a, b) => a + b, 0);
}

const plans = async () => (await readdir(path.join(storage, 'plans'))).sort();

/** Frames of the composition: 0.5 s at 30 fps, 160x90, a box moving over `background`. */
const FRAMES = 15;

/** A new background: another content, so another plan. */
async function setBackground(background: string): Promise<void> {
  const style = `#box{position:absolute;left:0;top:35px;width:20px;height:20px;background:#f00;animation:m .5s linear both}@keyframes m{to{left:140px}}`;
  await writeFile(
    path.join(project, 'index.html'),
    page({ width: 160, height: 90, duration: 0.5, rootBackground: background, style, body: '<div id="box"></div>' }),
  );
}

/**
 * The id of the first render under `renders` whose open marker is whole (its plan's hash, then its
 * pid): the render directory appears before its marker is written. Polls for up to a minute.
 */
async function openedRender(renders: string): Promise<string> {
  for (let i = 0; i < 1200; i++) {
    for (const id of await readdir(renders).catch(() => [])) {
      const marker = await readFile(path.join(renders, id, '.active'), 'utf8').catch(() => '');
      if (/^[0-9a-f]{64}\n\d+\n$/.test(marker)) return id;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no render opened in ${renders}`);
}

beforeAll(async () => {
  project = await makeProject({}, 'fs-prune-');
  storage = await makeProject({}, 'fs-prune-storage-');
}, 60_000);

afterAll(async () => {
  for (const dir of [project, storage]) if (dir) await rm(dir, { recursive: true, force: true });
});

describe('framesmith storage prune', () => {
  it('removes the plans unused for longer than --older-than, keeps the rest; --dry-run removes nothing', async () => {
    const old = await planOf('#203040');
    const recent = await planOf('#405060');
    expect(await plans()).toEqual([old, recent].sort());
    const tenDaysAgo = new Date(Date.now() - 10 * 86_400_000);
    await utimes(path.join(storage, 'plans', old), tenDaysAgo, tenDaysAgo);

    const dry = await runCliInProcess(['storage', 'prune', '--storage', storage, '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    const listed = JSON.parse(dry.stdout) as {
      removed: Array<{ name: string }>;
      kept: Array<{ name: string; why: string }>;
      freedBytes: number;
    };
    expect(listed.removed.map((p) => p.name)).toEqual([old]);
    expect(listed.kept).toEqual([expect.objectContaining({ name: recent, why: 'recent' })]);
    expect(listed.freedBytes).toBe(await bytesIn(path.join(storage, 'plans', old)));
    expect(await plans()).toEqual([old, recent].sort());

    // The one real `framesmith storage prune` process of this file, on a machine whose clock is 8 days
    // ahead: ages are judged by the storage's clock, so the recent plan stays (8 days > 7d by its own).
    const pruned = await runCli(['storage', 'prune', '--storage', storage, '--older-than', '7d'], {
      ...process.env,
      ...skewed({ offset: '+8d' }),
    });
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toMatch(
      new RegExp(
        `^removed plan ${old.slice(0, 12)}: [\\d.]+ (KiB|MiB), last used 10 days ago\\n1 plan removed .* kept 1 used within 7d, 0 in use by a render\\n$`,
      ),
    );
    expect(await plans()).toEqual([recent]);

    // A render of the same content as the old plan makes it again, and uses it fresh.
    expect(await planOf('#203040')).toBe(old);
  }, 120_000);

  it('never removes the plan of a render that is running, whatever the age; an incomplete plan goes after a day', async () => {
    await setBackground('#605040');
    const running = startCli([
      'render',
      project,
      '-o',
      path.join(project, 'running.mp4'),
      '--chunk-frames',
      '5',
      '--workers',
      '1',
      '--storage',
      storage,
      '--json',
    ]);
    const renders = path.join(storage, 'renders');
    await openedRender(renders);
    const during = await runCliInProcess(['storage', 'prune', '--storage', storage, '--older-than', '0s', '--json']);
    expect(during.code).toBe(0);
    const { kept } = JSON.parse(during.stdout) as { kept: Array<{ name: string; why: string }> };
    const run = await running.done;
    expect(run.code).toBe(0);
    const hash = (JSON.parse(run.stdout) as { plan: { hash: string } }).plan.hash;
    expect(kept).toEqual([expect.objectContaining({ name: hash, why: 'in use' })]);

    // A freeze killed midway left a directory without plan.json: kept for a day, then removed.
    const killed = path.join(storage, 'plans', '.building-4242-deadbeef');
    await mkdir(path.join(killed, 'frames'), { recursive: true });
    const fresh = await runCliInProcess(['storage', 'prune', '--storage', storage, '--older-than', '0s']);
    expect(fresh.code).toBe(0);
    expect(await plans()).toEqual(['.building-4242-deadbeef']);
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
    await utimes(killed, twoDaysAgo, twoDaysAgo);
    const stale = await runCliInProcess(['storage', 'prune', '--storage', storage, '--older-than', '0s']);
    expect(stale.stdout).toMatch(/^removed plan \.building-42 \(incomplete\)/);
    expect(await plans()).toEqual([]);
  }, 120_000);

  it('a render killed midway (SIGKILL) holds its plan only until its marker is stale; prune then removes both', async () => {
    await setBackground('#304050');
    const tmp = await makeProject({}, 'fs-prune-tmp-');
    const renders = path.join(storage, 'renders');
    const killed = startCli(
      ['render', project, '-o', path.join(project, 'killed.mp4'), '--chunk-frames', '5', '--workers', '1', '--storage', storage],
      { env: await privateTmpEnv(tmp) },
    );
    const id = await openedRender(renders);
    killed.child.kill('SIGKILL');
    await killed.done;
    for (const pid of [...processesMentioning(tmp), ...processesMentioning(storage)]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch (error) {
        // Gone between the listing and the kill (its parent was just killed): what this loop wants.
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    }
    await rm(tmp, { recursive: true, force: true });
    const marker = path.join(renders, id, '.active');
    const hash = (await readFile(marker, 'utf8')).split('\n')[0]!;

    // Still fresh: as far as anyone can tell, the render may be running.
    const fresh = await runCliInProcess(['storage', 'prune', '--storage', storage, '--older-than', '0s', '--json']);
    expect(JSON.parse(fresh.stdout)).toMatchObject({ removed: [], kept: [{ name: hash, why: 'in use' }], deadRenders: [] });
    // Ten refreshes missed (5 min): dead.
    const sixMinutesAgo = new Date(Date.now() - 6 * 60_000);
    await utimes(marker, sixMinutesAgo, sixMinutesAgo);
    const stale = await runCliInProcess(['storage', 'prune', '--storage', storage, '--older-than', '0s']);
    expect(stale.code).toBe(0);
    expect(stale.stdout).toContain(`removed plan ${hash.slice(0, 12)}`);
    expect(stale.stdout).toContain(`removed the leftovers of render ${id}, which stopped without closing 6 min ago`);
    expect(await readdir(renders)).toEqual([]);
    expect(await plans()).toEqual([]);
  }, 120_000);

  it('a malformed age or storage URL is a usage error (exit 2)', async () => {
    const age = await runCliInProcess(['storage', 'prune', '--storage', storage, '--older-than', 'soon']);
    expect(age.code).toBe(2);
    expect(age.stderr).toMatch(/--older-than "soon" is not an age/);
    const url = await runCliInProcess(['storage', 'prune', '--storage', 'ftp://host/x']);
    expect(url.code).toBe(2);
    expect(url.stderr).toMatch(/neither a directory nor an s3:\/\/ URL/);
  }, 60_000);
});
