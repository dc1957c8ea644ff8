/**
 * The browser framesmith ships is the browser it runs: the bundled headless shell is unpacked into a
 * versioned directory of framesmith's own, verified before each use, and unpacked again when anything
 * in it changed — whatever another copy of @sparticuz/chromium left at the shared path.
 *
 * Every test works in a private base directory (`baseDir`, or TMPDIR for a child process): other
 * tests on this machine use the real shared path concurrently, and it is never touched here.
 */
import { spawn } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, readdir, rm, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserError } from '../../src/browser/browser-error.js';
import {
  binaryVersion,
  bundledBrowser,
  bundledDir,
  bundledPackage,
  MANIFEST_NAME,
  type BundledPackage,
} from '../../src/browser/bundled.js';
import { runCli } from '../helpers/render-cli.js';
import { decodeFrames, page, pixel } from '../helpers/render-pixels.js';

/** A "browser" that only prints another version: what another tool's unpacking leaves behind. */
const OTHER_BROWSER = '#!/bin/sh\necho "Chromium 153.0.7778.0"\nexit 0\n';

let pkg: BundledPackage;
let major: string;
const dirs: string[] = [];
async function privateDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

beforeAll(async () => {
  pkg = (await bundledPackage())!;
  expect(pkg).not.toBeNull();
  major = pkg.version.split('.')[0]!;
});
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** Puts another version's binary and libraries where @sparticuz/chromium itself unpacks (`<tmp>/chromium`). */
async function occupySharedPath(tmp: string): Promise<void> {
  await writeFile(path.join(tmp, 'chromium'), OTHER_BROWSER, { mode: 0o755 });
  for (const lib of ['libGLESv2.so', 'libEGL.so', 'libvk_swiftshader.so'])
    await writeFile(path.join(tmp, lib), "another version's library");
}

describe('bundledBrowser', () => {
  it('unpacks its own version into its own directory, reuses it, and unpacks again over a changed binary or library', async () => {
    const base = await privateDir('fs-bundled-');
    await occupySharedPath(base);
    const first = await bundledBrowser({ baseDir: base });
    expect(first!.dir).toBe(bundledDir(pkg, base));
    expect(first!.dir).toMatch(/framesmith-chromium-\d+\.\d+\.\d+-[0-9a-f]{12}$/);
    expect(first!.executablePath).toBe(path.join(first!.dir, 'chromium'));
    expect(first!.unpacked).toBe('missing');
    expect(first!.version.split('.')[0]).toBe(major);
    expect(await binaryVersion(first!.executablePath)).toBe(first!.version);
    // SwiftShader is unpacked beside our binary, where Chromium loads it from.
    for (const lib of ['libGLESv2.so', 'libEGL.so']) expect((await stat(path.join(first!.dir, lib))).size).toBeGreaterThan(100_000);
    // The shared path is not ours: left as it was.
    expect(await readFile(path.join(base, 'chromium'), 'utf8')).toBe(OTHER_BROWSER);

    // Intact: used as it is (no unpacking), by concurrent callers alike.
    const again = await Promise.all([bundledBrowser({ baseDir: base }), bundledBrowser({ baseDir: base })]);
    for (const b of again) expect(b).toEqual({ ...first, unpacked: undefined });

    // Another binary copied over ours with its size and times kept (`cp -p` of a same-size file) still shows.
    const ours = await stat(first!.executablePath);
    const impostor = path.join(base, 'impostor');
    await writeFile(impostor, OTHER_BROWSER, { mode: 0o755 });
    await truncate(impostor, ours.size);
    await copyFile(impostor, first!.executablePath);
    await utimes(first!.executablePath, ours.atime, ours.mtime);
    expect(await binaryVersion(first!.executablePath)).toBe('153.0.7778.0');
    // And another version's SwiftShader beside it.
    await writeFile(path.join(first!.dir, 'libGLESv2.so'), "another version's library");
    const repaired = await bundledBrowser({ baseDir: base });
    expect(repaired!.unpacked).toMatch(/^(chromium|libGLESv2\.so) changed after it was unpacked$/);
    expect(await binaryVersion(repaired!.executablePath)).toBe(first!.version);
    expect((await stat(path.join(first!.dir, 'libGLESv2.so'))).size).toBeGreaterThan(100_000);
    // A changed library alone is seen too.
    await writeFile(path.join(first!.dir, 'libEGL.so'), "another version's library");
    await expect(bundledBrowser({ baseDir: base })).resolves.toMatchObject({ unpacked: 'libEGL.so changed after it was unpacked' });
    // Nothing left behind: no staging or set-aside directory.
    expect((await readdir(base)).filter((n) => n.startsWith('framesmith-chromium-'))).toEqual([path.basename(first!.dir)]);
  });

  it('refuses a directory others may write into, and a place it cannot unpack to, naming the path and the fix', async () => {
    const base = await privateDir('fs-bundled-refuse-');
    const dir = bundledDir(pkg, base);
    await mkdir(dir, { mode: 0o700 });
    await writeFile(path.join(dir, 'chromium'), OTHER_BROWSER, { mode: 0o755 });
    await chmod(dir, 0o777);
    const refused = await bundledBrowser({ baseDir: base }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BrowserError);
    expect((refused as BrowserError).code).toBe('browser');
    expect((refused as BrowserError).message).toContain(`refusing to run the bundled browser from ${dir}: others may write into it`);
    expect((refused as BrowserError).fields.fix).toMatch(/TMPDIR/);
    // Not ours, so not removed.
    expect(await readFile(path.join(dir, 'chromium'), 'utf8')).toBe(OTHER_BROWSER);

    const file = path.join(base, 'a-file');
    await writeFile(file, 'not a directory');
    const failed = await bundledBrowser({ baseDir: path.join(file, 'tmp') }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(BrowserError);
    expect((failed as BrowserError).message).toContain(
      `could not unpack the bundled headless shell (@sparticuz/chromium ${pkg.version}) into ${path.join(file, 'tmp')}`,
    );
    expect((failed as BrowserError).fields.fix).toMatch(/set TMPDIR to a writable directory/);
    expect(await readFile(file, 'utf8')).toBe('not a directory');
  });

  it('two processes unpacking at once: both get the same whole directory, nothing else is left', async () => {
    const base = await privateDir('fs-bundled-race-');
    const script = `import(${JSON.stringify(path.resolve('dist/browser/bundled.js'))}).then(async (m) => process.stdout.write(JSON.stringify(await m.bundledBrowser())))`;
    const run = () =>
      new Promise<{ code: number | null; stdout: string }>((resolve) => {
        const child = spawn(process.execPath, ['-e', script], {
          env: { ...process.env, TMPDIR: base },
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let stdout = '';
        child.stdout.on('data', (c: Buffer) => {
          stdout += c.toString();
        });
        child.once('close', (code) => resolve({ code, stdout }));
      });
    const [a, b] = await Promise.all([run(), run()]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const [ba, bb] = [JSON.parse(a.stdout) as { dir: string; version: string }, JSON.parse(b.stdout) as { dir: string; version: string }];
    expect(ba.dir).toBe(bundledDir(pkg, base));
    expect(bb.dir).toBe(ba.dir);
    expect(ba.version.split('.')[0]).toBe(major);
    expect(await readdir(base)).toEqual([path.basename(ba.dir)]);
    expect(JSON.parse(await readFile(path.join(ba.dir, MANIFEST_NAME), 'utf8')).version).toBe(ba.version);
  });
});

describe('framesmith render and doctor with another version at the shared path and at ours', () => {
  it('renders a WebGL page with its own browser and SwiftShader, reports the version in --json and doctor', async () => {
    const tmp = await privateDir('fs-bundled-cli-');
    await occupySharedPath(tmp);
    // Another binary at our own versioned path too, as if written there by something else.
    const ours = bundledDir(pkg, tmp);
    await mkdir(ours, { mode: 0o700 });
    await writeFile(path.join(ours, 'chromium'), OTHER_BROWSER, { mode: 0o755 });
    const project = path.join(tmp, 'project');
    await mkdir(project);
    await writeFile(
      path.join(project, 'index.html'),
      page({
        duration: 2 / 30,
        rootBackground: '#0000ff',
        body: '<canvas id="c" width="320" height="180" style="position:absolute;left:0;top:0"></canvas>',
        script: "var gl = document.getElementById('c').getContext('webgl'); gl.clearColor(0, 1, 0, 1); gl.clear(gl.COLOR_BUFFER_BIT);",
      }),
    );
    const output = path.join(tmp, 'out.mp4');
    const env = { TMPDIR: tmp, FRAMESMITH_BROWSER: undefined };
    const run = await runCli(['render', project, '-o', output, '--json', '--webgl', 'on', '--workers', '1'], env);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { browser: { version: string; path: string; source: string }; webgl: boolean };
    const manifest = JSON.parse(await readFile(path.join(ours, MANIFEST_NAME), 'utf8')) as { version: string };
    expect(manifest.version.split('.')[0]).toBe(major);
    expect(result.browser).toEqual({ version: `HeadlessChrome/${manifest.version}`, path: path.join(ours, 'chromium'), source: 'bundled' });
    expect(result.webgl).toBe(true);
    // The canvas is green: WebGL ran on our SwiftShader, not the libraries at the shared path.
    const video = await decodeFrames(output, { width: 320, height: 180 });
    const [r, g, b] = pixel(video, 0, 160, 90);
    expect(r! < 30 && g! > 220 && b! < 30, `${r},${g},${b}`).toBe(true);
    expect(await readFile(path.join(tmp, 'chromium'), 'utf8')).toBe(OTHER_BROWSER);
    expect(await readFile(path.join(project, 'index.html'), 'utf8')).toContain('getContext');

    const doctor = await runCli(['doctor', '--json'], { ...env, FRAMESMITH_CACHE_DIR: path.join(tmp, 'cache') });
    expect(doctor.code, doctor.stdout).toBe(0);
    const checks = (JSON.parse(doctor.stdout) as { checks: Array<{ name: string; ok: boolean; detail: string }> }).checks;
    const bundled = checks.find((c) => c.name === 'bundled browser')!;
    expect(bundled.ok).toBe(true);
    expect(bundled.detail).toBe(`@sparticuz/chromium ${pkg.version}: Chromium ${manifest.version} verified in ${ours}`);
    expect(checks.find((c) => c.name === 'browser')!.detail).toContain(
      `HeadlessChrome/${manifest.version} at ${path.join(ours, 'chromium')} (bundled)`,
    );
  });
});
