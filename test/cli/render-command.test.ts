/**
 * `framesmith render` as a user runs it. Exit codes (0 / 1 / 2), `--json`, no output on failure, and
 * an interrupt (SIGINT) mid-capture leaves no browser, no ffmpeg and no partial file. The built CLI
 * runs in a child process where the process is the point (the first render, the default output under
 * its working directory, the interrupt); warnings, --strict, variables and usage errors, which need no
 * process of their own, run in-process (cli-in-process.ts: the browser kept between renders).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFrames, leftEdge, makeProject, page, pixel, probeVideo } from '../helpers/render-pixels.js';
import { spawnSync } from 'node:child_process';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { CLI, privateTmpEnv, processesMentioning, runCli, startCli } from '../helpers/render-cli.js';

let project: string;
let broken: string;
let long: string;

beforeAll(async () => {
  const style =
    '#box { position: absolute; left: 0; top: 80px; width: 20px; height: 20px; background: #f00; animation: m 1s linear both; } @keyframes m { to { transform: translateX(300px); } }';
  project = await makeProject({ 'index.html': page({ body: '<div id="box"></div>', style }) });
  broken = await makeProject({ 'index.html': page({ body: '<img src="nope.png">' }) });
  long = await makeProject({ 'index.html': page({ body: '<div id="box"></div>', style, duration: 20 }) });
});

afterAll(async () => {
  for (const dir of [project, broken, long]) await rm(dir, { recursive: true, force: true });
});

describe('framesmith render', () => {
  it('renders with --json: exit 0, one JSON document, the frames are right; a default worker count yields to 10 frames', async () => {
    const output = path.join(project, 'out', 'clip.mp4');
    // Without the suite's FRAMESMITH_WORKERS: the default count, which a render of 10 frames brings to one.
    const run = await runCli(['render', project, '-o', output, '--json', '--fps', '10'], { FRAMESMITH_WORKERS: undefined });
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({
      output,
      frames: 10,
      duration: 1,
      captureMode: 'beginframe',
      width: 320,
      height: 180,
      fps: '10',
      workers: 1,
    });
    expect(result.timings.capture).toBeGreaterThan(0);
    expect(Number((await probeVideo(output)).nb_read_frames)).toBe(10);
    const video = await decodeFrames(output, { width: 320, height: 180 });
    expect(leftEdge(video, 5, 90, [255, 0, 0])).toBeGreaterThanOrEqual(148);
    expect(leftEdge(video, 5, 90, [255, 0, 0])).toBeLessThanOrEqual(152);
  });

  it('defaults the output to renders/<name>_<date>_<time>.mp4 under the working directory, with plain progress lines off a TTY', async () => {
    const cwd = await mkdtemp(path.join(os.tmpdir(), 'fs-cli-cwd-'));
    try {
      const result = spawnSync(process.execPath, [CLI, 'render', project, '--fps', '5', '--quality', 'draft'], { cwd, encoding: 'utf8' });
      expect(result.status).toBe(0);
      const written = await readdir(path.join(cwd, 'renders'));
      expect(written).toEqual([
        expect.stringMatching(new RegExp(`^${path.basename(project)}_\\d{4}-\\d\\d-\\d\\d_\\d\\d-\\d\\d-\\d\\d\\.mp4$`)),
      ]);
      expect(result.stderr).toMatch(/capture \d+\/5 frames/);
      expect(result.stderr).toMatch(/wrote .*\.mp4 \(5 frames/);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });

  it('a missing image is a warning (listed in --json, printed), and under --strict a failure: exit 1, the URL named, nothing written', async () => {
    const outDir = path.join(broken, 'out');
    await mkdir(outDir);
    // 5 fps: the warning is the image's, whatever the number of frames.
    const ok = await runCliInProcess(['render', broken, '-o', path.join(outDir, 'x.mp4'), '--json', '--fps', '5']);
    expect(ok.code).toBe(0);
    const result = JSON.parse(ok.stdout);
    expect(result.warnings).toEqual([
      expect.objectContaining({ code: 'asset_unavailable', element: '<img src="nope.png">', url: expect.stringMatching(/nope\.png$/) }),
    ]);
    const plain = await runCliInProcess(['render', broken, '-o', path.join(outDir, 'y.mp4'), '-q', '--fps', '5']);
    expect(plain.code).toBe(0);
    expect(plain.stderr).toMatch(/warning: <img src="nope.png">: the image nope\.png is missing from the project/);
    await rm(outDir, { recursive: true });
    await mkdir(outDir);
    const run = await runCliInProcess(['render', broken, '-o', path.join(outDir, 'x.mp4'), '--json', '--strict', '--fps', '5']);
    expect(run.code).toBe(1);
    const doc = JSON.parse(run.stdout);
    expect(doc.error.code).toBe('strict');
    expect(doc.error.url).toMatch(/nope\.png$/);
    expect(run.stderr).toMatch(/nope\.png/);
    expect(await readdir(outDir)).toEqual([]);
  });

  it('--variables and --variables-file override declared variables; with --strict-variables a wrong name or type is a usage error (exit 2) naming it, nothing written', async () => {
    const dir = await makeProject({
      'index.html': `<!doctype html><html data-composition-variables='[{"id":"color","type":"color","default":"#ff0000"}]'><head><style>html,body{margin:0}</style></head>
<body><div id="root" data-composition-id="main" data-width="160" data-height="90" data-duration="0.2"></div>
<script>document.getElementById('root').style.background = window.__hyperframes.getVariables().color;</script></body></html>`,
      'vars.json': '{"color":"#0000ff"}',
    });
    try {
      const colorOf = async (file: string) => {
        const video = await decodeFrames(file, { width: 160, height: 90 });
        return pixel(video, 0, 80, 45);
      };
      const a = path.join(dir, 'out', 'a.mp4');
      expect((await runCliInProcess(['render', dir, '-o', a, '-q', '--variables', '{"color":"#00ff00"}'])).code).toBe(0);
      expect((await colorOf(a))[1]).toBeGreaterThan(200);
      const b = path.join(dir, 'out', 'b.mp4');
      expect((await runCliInProcess(['render', dir, '-o', b, '-q', '--variables-file', path.join(dir, 'vars.json')])).code).toBe(0);
      expect((await colorOf(b))[2]).toBeGreaterThan(200);
      const wrong = await runCliInProcess([
        'render',
        dir,
        '-o',
        path.join(dir, 'out', 'c.mp4'),
        '--strict-variables',
        '--variables',
        '{"colour":"#fff","color":7}',
      ]);
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toMatch(
        /variable "colour" \(given "#fff" \(a string\)\) is not declared in data-composition-variables of .*index\.html \(declared: color\)/,
      );
      expect(wrong.stderr).toMatch(
        /variable "color" is declared in .*index\.html as color and expects a string, got 7 \(a number\) \(--strict-variables\)/,
      );
      const badJson = await runCliInProcess(['render', dir, '-o', path.join(dir, 'out', 'c.mp4'), '--variables', '{color}']);
      expect(badJson.code).toBe(2);
      expect(badJson.stderr).toMatch(/--variables is not valid JSON/);
      expect(existsSync(path.join(dir, 'out', 'c.mp4'))).toBe(false);
      expect((await readdir(path.join(dir, 'out'))).sort()).toEqual(['a.mp4', 'b.mp4']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('usage errors exit 2, naming the flag, and write nothing', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--quality', 'ultra'], /--quality.*'ultra' is invalid/],
      [['--workers', '0'], /--workers.*'0' is invalid/],
      [['--format', 'avi'], /--format.*'avi' is invalid/],
      [['--crf', '20', '--video-bitrate', '2M'], /crf.*video-?bitrate.*cannot be combined/i],
      [['--format', 'mov', '--crf', '20'], /crf.* applies to mp4 and webm only/],
      [['--frames', '5-2'], /--frames.*'5-2' is invalid/],
      [['--frames', '0-30'], /frames 0-30 reaches past the composition's last frame, 29/],
      [['--variables', '{"x":1}', '--variables-file', 'v.json'], /--variables and --variables-file cannot be combined/],
      [['--fps', '-3'], /--fps.*'-3' is invalid/],
    ];
    const before = await readdir(project);
    for (const [flags, message] of cases) {
      const run = await runCliInProcess(['render', project, '-o', path.join(project, 'refused.mp4'), ...flags]);
      expect(run.code, flags.join(' ')).toBe(2);
      expect(run.stderr, flags.join(' ')).toMatch(message);
    }
    expect(await readdir(project)).toEqual(before);
  });

  it('SIGINT during capture ends the browser and ffmpeg and leaves no partial output', async () => {
    // A unique TMPDIR marks this run's browser profile, so its processes can be found in /proc.
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'fs-sigint-'));
    const outDir = path.join(long, 'out');
    await mkdir(outDir, { recursive: true });
    let sent = false;
    let browserSeen = false;
    const { done } = startCli(['render', long, '-o', path.join(outDir, 'long.mp4'), '--workers', '1'], {
      env: await privateTmpEnv(tmp),
      onStderr: (text, child) => {
        if (!sent && /capture [1-9]\d*\/600/.test(text)) {
          browserSeen = processesMentioning(tmp).length > 0;
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    const run = await done;
    expect(sent).toBe(true);
    expect(browserSeen).toBe(true);
    expect(run.code).toBe(130);
    // The browser gets SIGTERM; give it a moment to go.
    for (let i = 0; i < 50 && processesMentioning(tmp).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(processesMentioning(tmp)).toEqual([]);
    expect(processesMentioning(path.join(outDir, '.long.mp4'))).toEqual([]);
    const left = await readdir(outDir);
    await rm(tmp, { recursive: true, force: true });
    expect(left).toEqual([]);
  }, 60_000);
});
