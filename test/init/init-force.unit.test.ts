/**
 * `initProject(dir, template, { force: true })` into a directory with files of its own: the user's
 * other files stay, the starter's files replace theirs, and no staging directory is left beside it.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { initProject } from '../../src/init/init.js';

const parents: string[] = [];
afterAll(async () => {
  for (const p of parents) await rm(p, { recursive: true, force: true });
});

describe('init --force', () => {
  it("keeps the user's other files, writes the starter's over theirs, leaves no staging directory", async () => {
    const parent = await mkdtemp(path.join(os.tmpdir(), 'fs-init-force-'));
    parents.push(parent);
    const dir = path.join(parent, 'project');
    await initProject(dir, 'title-card');
    await writeFile(path.join(dir, 'notes.txt'), 'mine');
    await writeFile(path.join(dir, 'index.html'), 'old');
    const written = await initProject(dir, 'title-card', { force: true });
    expect(written).toContain('index.html');
    expect(await readFile(path.join(dir, 'notes.txt'), 'utf8')).toBe('mine');
    expect(await readFile(path.join(dir, 'index.html'), 'utf8')).toMatch(/data-composition-id/);
    expect(await readdir(parent)).toEqual(['project']);
  });
});
