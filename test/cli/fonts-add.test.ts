/**
 * `framesmith fonts add`: families vendored into a project from @fontsource packages (src/fonts/vendor.ts),
 * through the built CLI.
 */
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeProject } from '../helpers/render-pixels.js';
import { runCli } from '../helpers/render-cli.js';

let project: string;

beforeAll(async () => {
  project = await makeProject({ 'index.html': '<!doctype html><p>x</p>' }, 'fs-fonts-add-');
});

afterAll(async () => {
  if (project) await rm(project, { recursive: true, force: true });
});

/** The `url(files/…)` of a stylesheet. */
const urls = (css: string) => [...css.matchAll(/url\(([^)]+)\)/g)].map((m) => m[1]!);

describe('framesmith fonts add', () => {
  it('copies every weight and style of each family, WOFF2 only, with a stylesheet whose every url exists', async () => {
    const run = await runCli(['fonts', 'add', 'Bebas Neue', 'Figtree', '--project', project]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /added Bebas Neue \(@fontsource\/bebas-neue [\d.]+, 2 files\): fonts\/bebas-neue\/bebas-neue\.css — link it with <link rel="stylesheet" href="fonts\/bebas-neue\/bebas-neue\.css">/,
    );
    const css = await readFile(path.join(project, 'fonts/figtree/figtree.css'), 'utf8');
    const faces = new Set([...css.matchAll(/font-style: (\w+);[^}]*font-weight: (\d+);/g)].map((m) => `${m[2]} ${m[1]}`));
    // Figtree ships 300–900, upright and italic.
    expect(faces.size).toBe(14);
    expect(css).not.toMatch(/\.woff\)/);
    expect(css).toMatch(/font-display: block/);
    for (const url of urls(css)) expect((await stat(path.join(project, 'fonts/figtree', url))).size).toBeGreaterThan(1000);
    expect(urls(css).length).toBe((await readdir(path.join(project, 'fonts/figtree/files'))).length);
  });

  it('a family no package provides exits 2 naming it and the fix; what was added stays, nothing half-written is left', async () => {
    const before = await readFile(path.join(project, 'fonts/bebas-neue/bebas-neue.css'), 'utf8');
    const run = await runCli(['fonts', 'add', 'Bebas Neue', 'Nope Sans', '--project', project]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /no @fontsource package for the font family "Nope Sans": install it in the project \(npm install @fontsource\/nope-sans\), then run framesmith fonts add again/,
    );
    expect(await readFile(path.join(project, 'fonts/bebas-neue/bebas-neue.css'), 'utf8')).toBe(before);
    expect((await readdir(path.join(project, 'fonts'))).sort()).toEqual(['bebas-neue', 'figtree']);
    expect(await readFile(path.join(project, 'index.html'), 'utf8')).toBe('<!doctype html><p>x</p>');
  });
});
