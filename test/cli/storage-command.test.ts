/**
 * `framesmith storage prune` on a storage directory filled by real planned renders: plans unused for
 * longer than --older-than go, recent ones stay, the plan of a render running at that moment stays
 * whatever the age given, and a freeze left incomplete goes only after a day.
 */
import { mkdir, readdir, readFile, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePlannedProject, setBackground } from '../helpers/planned.js';
import { processesMentioning, runCli, startCli } from '../helpers/render-cli.js';
import { makeProject } from '../helpers/render-pixels.js';

let project: string;
let storage: string;

async function planOf(background: string): Promise<string> {
  await setBackground(project, background);
  const run = await runCli(['render', project, '-o', path.join(project, 'out.mp4'), '--chunk-frames', '45', '--storage', storage, '--json']);
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

beforeAll(async () => {
  project = await makePlannedProject('fs-prune-');
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

    const dry = await runCli(['storage', 'prune', '--storage', storage, '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    const listed = JSON.parse(dry.stdout) as { removed: Array<{ name: string }>; kept: Array<{ name: string; why: string }>; freedBytes: number };
    expect(listed.removed.map((p) => p.name)).toEqual([old]);
    expect(listed.kept).toEqual([expect.objectContaining({ name: recent, why: 'recent' })]);
    expect(listed.freedBytes).toBe(await bytesIn(path.join(storage, 'plans', old)));
    expect(await plans()).toEqual([old, recent].sort());

    const pruned = await runCli(['storage', 'prune', '--storage', storage, '--older-than', '7d']);
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toMatch(new RegExp(`^removed plan ${old.slice(0, 12)}: [\\d.]+ (KiB|MiB), last used 10 days ago\\n1 plan removed .* kept 1 used within 7d, 0 in use by a render\\n$`));
    expect(await plans()).toEqual([recent]);

    // A render of the same content as the old plan makes it again, and uses it fresh.
    expect(await planOf('#203040')).toBe(old);
  }, 120_000);

  it('never removes the plan of a render that is running, whatever the age; an incomplete plan goes after a day', async () => {
    await setBackground(project, '#605040');
    const running = startCli(['render', project, '-o', path.join(project, 'running.mp4'), '--chunk-frames', '5', '--workers', '1', '--storage', storage, '--json']);
    const renders = path.join(storage, 'renders');
    for (let i = 0; i < 600 && !(await readdir(renders).catch(() => [])).length; i++) await new Promise((r) => setTimeout(r, 50));
    const during = await runCli(['storage', 'prune', '--storage', storage, '--older-than', '0s', '--json']);
    expect(during.code).toBe(0);
    const { kept } = JSON.parse(during.stdout) as { kept: Array<{ name: string; why: string }> };
    const run = await running.done;
    expect(run.code).toBe(0);
    const hash = (JSON.parse(run.stdout) as { plan: { hash: string } }).plan.hash;
    expect(kept).toEqual([expect.objectContaining({ name: hash, why: 'in use' })]);

    // A freeze killed midway left a directory without plan.json: kept for a day, then removed.
    const killed = path.join(storage, 'plans', '.building-4242-deadbeef');
    await mkdir(path.join(killed, 'frames'), { recursive: true });
    const fresh = await runCli(['storage', 'prune', '--storage', storage, '--older-than', '0s']);
    expect(fresh.code).toBe(0);
    expect(await plans()).toEqual(['.building-4242-deadbeef']);
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
    await utimes(killed, twoDaysAgo, twoDaysAgo);
    const stale = await runCli(['storage', 'prune', '--storage', storage, '--older-than', '0s']);
    expect(stale.stdout).toMatch(/^removed plan \.building-42 \(incomplete\)/);
    expect(await plans()).toEqual([]);
  }, 120_000);

  it('a render killed midway (SIGKILL) holds its plan only until its marker is stale; prune then removes both', async () => {
    await setBackground(project, '#304050');
    const tmp = await makeProject({}, 'fs-prune-tmp-');
    const renders = path.join(storage, 'renders');
    const killed = startCli(['render', project, '-o', path.join(project, 'killed.mp4'), '--chunk-frames', '5', '--workers', '1', '--storage', storage], { env: { TMPDIR: tmp } });
    for (let i = 0; i < 600 && !(await readdir(renders).catch(() => [])).length; i++) await new Promise((r) => setTimeout(r, 50));
    const [id] = await readdir(renders);
    killed.child.kill('SIGKILL');
    await killed.done;
    for (const pid of [...processesMentioning(tmp), ...processesMentioning(storage)]) process.kill(pid, 'SIGKILL');
    await rm(tmp, { recursive: true, force: true });
    const marker = path.join(renders, id!, '.active');
    const hash = (await readFile(marker, 'utf8')).split('\n')[0]!;

    // Still fresh: as far as anyone can tell, the render may be running.
    const fresh = await runCli(['storage', 'prune', '--storage', storage, '--older-than', '0s', '--json']);
    expect(JSON.parse(fresh.stdout)).toMatchObject({ removed: [], kept: [{ name: hash, why: 'in use' }], deadRenders: [] });
    // Ten refreshes missed (5 min): dead.
    const sixMinutesAgo = new Date(Date.now() - 6 * 60_000);
    await utimes(marker, sixMinutesAgo, sixMinutesAgo);
    const stale = await runCli(['storage', 'prune', '--storage', storage, '--older-than', '0s']);
    expect(stale.code).toBe(0);
    expect(stale.stdout).toContain(`removed plan ${hash.slice(0, 12)}`);
    expect(stale.stdout).toContain(`removed the leftovers of render ${id}, which stopped without closing 6 min ago`);
    expect(await readdir(renders)).toEqual([]);
    expect(await plans()).toEqual([]);
  }, 120_000);

  it('a malformed age or storage URL is a usage error (exit 2)', async () => {
    const age = await runCli(['storage', 'prune', '--storage', storage, '--older-than', 'soon']);
    expect(age.code).toBe(2);
    expect(age.stderr).toMatch(/--older-than "soon" is not an age/);
    const url = await runCli(['storage', 'prune', '--storage', 'ftp://host/x']);
    expect(url.code).toBe(2);
    expect(url.stderr).toMatch(/neither a directory nor an s3:\/\/ URL/);
  }, 60_000);
});
