/**
 * `framesmith render` takes `hyperframes render` 0.8.170's flags with their meaning: the parsing of
 * each (commander over the real render command, its action replaced), what they resolve to, the
 * encoder arguments the quality names give, and renders from HyperFrames-style command lines checked
 * with ffprobe and the bytes of the file: the first as a real process of the bin, the others in-process
 * (cli-in-process.ts: the browser kept between renders).
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerRender } from '../../src/cli/render-command.js';
import { cacheSetting, hyperframesSettings, MAX_WORKERS, normalizeArgvFor, normalizeRenderArgv } from '../../src/cli/hf-render-flags.js';
import { encoderArgs, gifEncodeArgs, type Quality } from '../../src/encode/video-args.js';
import { resolveCacheDir } from '../../src/cache/config.js';
import { defaultOutputPath } from '../../src/render/options.js';
import { MEDIA_WARNING_CODES, StrictModeError, WarningLog } from '../../src/warnings.js';
import { rational } from '../../src/media/rational.js';
import { makeProject, page, probeVideo } from '../helpers/render-pixels.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { runCli } from '../helpers/render-cli.js';

interface Parsed {
  input: string;
  flags: Record<string, unknown>;
}

/** Parses `args` (after `render`) as the CLI does, without rendering; a bad value rejects with commander's error. */
async function parse(args: string[]): Promise<Parsed> {
  const errors: string[] = [];
  const program = new Command().exitOverride().configureOutput({
    writeErr: (s) => {
      errors.push(s);
    },
    writeOut: () => {},
  });
  registerRender(program, { setExitCode() {}, stdout: { write: () => true }, stderr: { write: () => true } });
  const render = program.commands.find((c) => c.name() === 'render')!;
  let parsed: Parsed | undefined;
  render.action((input: string, flags: Record<string, unknown>) => {
    parsed = { input, flags };
  });
  try {
    await program.parseAsync(['render', ...normalizeArgvFor(render, args)], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) throw new CommanderError(error.exitCode, error.code, errors.join(''));
    throw error;
  }
  return parsed!;
}

describe('HyperFrames render flags: parsing', () => {
  it("takes -f, -q, -w with HyperFrames' meaning; --quiet stays, and the old -q alone still means quiet", async () => {
    const { input, flags } = await parse(['-f', '24', '-q', 'high', '-w', 'auto']);
    expect(input).toBe('.'); // DIR is optional, as there
    expect(flags).toMatchObject({ fps: '24', quality: 'high', workers: 'auto' });
    expect(flags.quiet).toBeUndefined();
    expect((await parse(['proj', '--fps=30000/1001', '--quality=delivery', '--workers=3'])).flags).toMatchObject({
      fps: '30000/1001',
      quality: 'delivery',
      workers: 3,
    });
    for (const name of ['draft', 'standard', 'looks', 'high', 'delivery']) expect((await parse(['-q', name])).flags.quality).toBe(name);
    expect((await parse([])).flags.quality).toBe('standard'); // our default stays
    expect((await parse(['proj', '--quiet'])).flags.quiet).toBe(true);
    expect((await parse(['proj', '-q'])).flags).toMatchObject({ quiet: true, quality: 'standard' });
    expect((await parse(['proj', '-q', '--json'])).flags).toMatchObject({ quiet: true, json: true });
  });

  it('accepts every flag of hyperframes render 0.8.170 that this part owns, spelled as its help spells them', async () => {
    const line = [
      'proj',
      '-c',
      'index.html',
      '-o',
      'out.mp4',
      '-f',
      '25',
      '-q',
      'looks',
      '--skill',
      'product-launch-video',
      '--format',
      'mp4',
      '--gif-loop',
      '2',
      '-w',
      '4',
      '--docker',
      '--crf',
      '20',
      '--vp9-cpu-used',
      '-3',
      '--gpu',
      '--browser-gpu',
      '--quiet',
      '--lint-verbose',
      '--debug',
      '--best-effort',
      '--strict',
      '--strict-all',
      '--max-concurrent-renders',
      '3',
      '--json',
      '--page-side-compositing',
      '--browser-timeout',
      '90',
      '--protocol-timeout',
      '300000',
      '--player-ready-timeout',
      '45000',
      '--resume',
      '--keep-segments',
      '--low-memory-mode',
      '--experimental-fast-capture',
      '--frames-cache-dir',
      'cache-here',
    ];
    const { flags } = await parse(line);
    expect(flags).toMatchObject({
      fps: '25',
      quality: 'looks',
      gifLoop: 2,
      workers: 4,
      vp9CpuUsed: -3,
      debug: true,
      bestEffort: true,
      strict: true,
      strictAll: true,
      framesCacheDir: path.resolve('cache-here'),
      docker: true,
      gpu: true,
      browserGpu: true,
      maxConcurrentRenders: 3,
      skill: 'product-launch-video',
      resume: true,
      keepSegments: true,
      lowMemoryMode: true,
      experimentalFastCapture: true,
      pageSideCompositing: true,
      lintVerbose: true,
      browserTimeout: 90,
      protocolTimeout: 300000,
      playerReadyTimeout: 45000,
    });
    const negated = await parse([
      '--no-browser-gpu',
      '--no-page-side-compositing',
      '--no-low-memory-mode',
      '--no-best-effort',
      '--experimental-fast-capture=false',
      '--docker=false',
      '--debug=true',
    ]);
    expect(negated.flags).toMatchObject({
      browserGpu: false,
      pageSideCompositing: false,
      lowMemoryMode: false,
      bestEffort: false,
      experimentalFastCapture: false,
      debug: true,
    });
    expect(negated.flags.docker).toBeUndefined();
    for (const off of ['off', 'none', 'false', '0', 'OFF'])
      expect((await parse(['--frames-cache-dir', off])).flags.framesCacheDir).toBe(false);
  });

  it('refuses what HyperFrames refuses, naming the flag and the range (the CLI exits 2)', async () => {
    const refused: Array<[string[], RegExp]> = [
      [['-f', '0'], /--fps.*1 to 240/],
      [['-f', '241'], /--fps.*1 to 240/],
      [['-f', 'fast'], /--fps.*1 to 240/],
      [['-q', 'ultra'], /--quality.*draft.*delivery/],
      [['-w', '0'], /--workers.*auto/],
      [['-w', 'many'], /--workers.*auto/],
      [['--gif-loop', '65536'], /--gif-loop.*0 to 65535/],
      [['--gif-loop', '-1'], /--gif-loop/],
      [['--vp9-cpu-used', '9'], /--vp9-cpu-used.*-8 to 8/],
      [['--max-concurrent-renders', '11'], /--max-concurrent-renders.*1 to 10/],
    ];
    for (const [args, message] of refused) {
      const error = await parse(args).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error, args.join(' ')).toBeInstanceOf(CommanderError);
      expect((error as CommanderError).exitCode).not.toBe(0);
      expect((error as CommanderError).message).toMatch(message);
    }
  });

  it('reads PRODUCER_VP9_CPU_USED when --vp9-cpu-used is absent; the flag wins', async () => {
    const before = process.env.PRODUCER_VP9_CPU_USED;
    process.env.PRODUCER_VP9_CPU_USED = '6';
    try {
      expect((await parse([])).flags.vp9CpuUsed).toBe(6);
      expect((await parse(['--vp9-cpu-used', '1'])).flags.vp9CpuUsed).toBe(1);
    } finally {
      if (before === undefined) delete process.env.PRODUCER_VP9_CPU_USED;
      else process.env.PRODUCER_VP9_CPU_USED = before;
    }
  });
});

describe('HyperFrames render flags: what they resolve to', () => {
  it('-w auto leaves workers to the renderer; more than 64 is lowered with a notice; machinery flags each give one notice', () => {
    expect(hyperframesSettings({ workers: 'auto' })).toEqual({ workers: undefined, strict: false, notices: [] });
    const many = hyperframesSettings({ workers: 100 });
    expect(many.workers).toBe(MAX_WORKERS);
    expect(many.notices).toEqual([expect.stringMatching(/--workers 100: .* at most 64/)]);
    const machinery = hyperframesSettings({ docker: true, gpu: true, experimentalFastCapture: false, maxConcurrentRenders: 3 } as never);
    expect(machinery.notices).toEqual([
      expect.stringMatching(/^--docker is a HyperFrames flag .*deterministic/),
      expect.stringMatching(/^--gpu .*software/),
      expect.stringMatching(/^--no-experimental-fast-capture .*capture mode/),
      expect.stringMatching(/^--max-concurrent-renders 3 .*render server/),
    ]);
  });

  it('--strict and --strict-all fail on every warning; --no-best-effort only on missing or unready media', () => {
    expect(hyperframesSettings({ strict: true }).strict).toBe(true);
    expect(hyperframesSettings({ strictAll: true }).strict).toBe(true);
    expect(hyperframesSettings({ bestEffort: false }).strict).toEqual(MEDIA_WARNING_CODES);
    const log = new WarningLog(MEDIA_WARNING_CODES);
    log.add({ code: 'font_fallback', message: 'font X replaced' });
    expect(log.warnings).toHaveLength(1);
    let error: unknown;
    try {
      log.add({ code: 'asset_unavailable', message: 'the image a.png is missing from the project', url: 'a.png' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StrictModeError);
    expect((error as StrictModeError).code).toBe('strict');
    expect((error as StrictModeError).message).toBe(
      'the image a.png is missing from the project (`strict`: missing or unready media is an error)',
    );
  });

  it('--frames-cache-dir is a cache directory or none; with --cache-dir or --no-cache it is a usage error; HYPERFRAMES_EXTRACT_CACHE_DIR is read', () => {
    expect(cacheSetting({ framesCacheDir: '/tmp/c', cache: true })).toBe('/tmp/c');
    expect(cacheSetting({ framesCacheDir: false, cache: true })).toBe(false);
    expect(cacheSetting({ cache: true })).toBeUndefined();
    expect(() => cacheSetting({ framesCacheDir: false, cache: false })).toThrow(
      '--frames-cache-dir and --no-cache cannot be combined; pick one',
    );
    expect(() => cacheSetting({ framesCacheDir: '/a', cacheDir: '/b', cache: true })).toThrow(
      '--frames-cache-dir and --cache-dir cannot be combined',
    );
    expect(resolveCacheDir({ env: { HYPERFRAMES_EXTRACT_CACHE_DIR: '/srv/hf-cache', HOME: '/home/u' } })).toBe('/srv/hf-cache');
    for (const off of ['off', 'none', 'false', '0'])
      expect(resolveCacheDir({ env: { HYPERFRAMES_EXTRACT_CACHE_DIR: off, HOME: '/home/u' } })).toBeNull();
    // framesmith's own variable comes first.
    expect(resolveCacheDir({ env: { FRAMESMITH_CACHE_DIR: '/ours', HYPERFRAMES_EXTRACT_CACHE_DIR: 'off' } })).toBe('/ours');
  });

  it('rewrites --flag=true/false only for boolean flags, and keeps -q <quality>', () => {
    const booleans = new Set(['docker', 'experimental-fast-capture']);
    const negatable = new Set(['experimental-fast-capture']);
    expect(
      normalizeRenderArgv(
        ['--docker=true', '--docker=false', '--experimental-fast-capture=false', '--crf=20', '-q', 'draft', '-q', '--json', '-q'],
        booleans,
        negatable,
      ),
    ).toEqual(['--docker', '--no-experimental-fast-capture', '--crf=20', '-q', 'draft', '--quiet', '--json', '--quiet']);
    expect(normalizeRenderArgv(['--', '-q'], booleans, negatable)).toEqual(['--', '-q']);
  });

  it('names the default output as HyperFrames: renders/<project>_<YYYY-MM-DD_HH-MM-SS>.<ext>, local time', () => {
    const now = new Date(2026, 11, 6, 9, 5, 7);
    expect(defaultOutputPath('/p/promo', 'mp4', '/work', now)).toBe('/work/renders/promo_2026-12-06_09-05-07.mp4');
    expect(defaultOutputPath('/p/promo/index.html', 'gif', '/work', now)).toBe('/work/renders/promo_2026-12-06_09-05-07.gif');
    expect(defaultOutputPath('/p/promo', 'png', '/work', now)).toBe('/work/renders/promo_2026-12-06_09-05-07');
  });
});

describe('HyperFrames quality names: encoder arguments', () => {
  const base = { output: 'o', width: 320, height: 180, fps: rational(30) };
  const valueAfter = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

  it("each name encodes x264 with the settings measured to keep HyperFrames' quality, and with HyperFrames' own under --crf, --video-bitrate or HDR; webm HyperFrames' CRF, -cpu-used 4 unless --vp9-cpu-used", () => {
    // framesmith's x264 'CRF preset', then HyperFrames'.
    const expected = {
      draft: ['28 ultrafast', '28 ultrafast'],
      standard: ['17 faster', '18 medium'],
      looks: ['15 faster', '16 medium'],
      high: ['14 medium', '15 slow'],
      delivery: ['14 medium', '15 slow'],
    } as const;
    const x264 = (args: string[]) => `${valueAfter(args, '-crf')} ${valueAfter(args, '-preset')}`;
    for (const [quality, [ours, theirs]] of Object.entries(expected)) {
      const q = quality as Quality;
      const theirPreset = theirs.split(' ')[1];
      expect(x264(encoderArgs({ ...base, format: 'mp4', quality: q })), quality).toBe(ours);
      // A HyperFrames rate control comes with HyperFrames' preset, so the command line encodes as there.
      expect(x264(encoderArgs({ ...base, format: 'mp4', quality: q, crf: 22 })), quality).toBe(`22 ${theirPreset}`);
      const bitrate = encoderArgs({ ...base, format: 'mp4', quality: q, videoBitrate: '5M' });
      expect(`${valueAfter(bitrate, '-b:v')} ${valueAfter(bitrate, '-preset')} ${bitrate.includes('-crf')}`, quality).toBe(
        `5M ${theirPreset} false`,
      );
      expect(x264(encoderArgs({ ...base, format: 'mp4', quality: q, hdr: 'pq', frameFormat: 'png' })), quality).toBe(theirs);
      const webm = encoderArgs({ ...base, format: 'webm', quality: q });
      const vp9 = `${valueAfter(webm, '-crf')} ${valueAfter(webm, '-cpu-used')} ${valueAfter(webm, '-deadline')}`;
      expect(vp9, quality).toBe(`${theirs.split(' ')[0]} 4 ${quality === 'draft' ? 'realtime' : 'good'}`);
    }
    expect(valueAfter(encoderArgs({ ...base, format: 'webm', vp9CpuUsed: -2 }), '-cpu-used')).toBe('-2');
  });

  it("--gif-loop is the gif muxer's loop count, 0 (forever) by default", () => {
    expect(valueAfter(gifEncodeArgs({ ...base, format: 'gif' }, 'f.mkv', 'p.png'), '-loop')).toBe('0');
    expect(valueAfter(gifEncodeArgs({ ...base, format: 'gif', gifLoop: 5 }, 'f.mkv', 'p.png'), '-loop')).toBe('5');
  });
});

/** The loop count in a GIF's NETSCAPE2.0 application extension (null: none, plays once). */
function gifLoopCount(bytes: Buffer): number | null {
  const at = bytes.indexOf('NETSCAPE2.0');
  if (at < 0) return null;
  // "NETSCAPE2.0", sub-block size 3, sub-block id 1, then the count (little-endian).
  return bytes.readUInt16LE(at + 11 + 2);
}

describe('HyperFrames command lines, rendered', () => {
  let project: string;

  beforeAll(async () => {
    const style =
      '#box { position: absolute; left: 0; top: 60px; width: 40px; height: 40px; background: #0f0; animation: m 1s linear both; } @keyframes m { to { transform: translateX(280px); } }';
    project = await makeProject({ 'index.html': page({ body: '<div id="box"></div>', style }) });
  });

  afterAll(async () => {
    await rm(project, { recursive: true, force: true });
  });

  it('render -f 24 -q draft -w auto with machinery flags: exit 0, 24 fps, x264 at CRF 28 ultrafast, one notice per machinery flag', async () => {
    const output = path.join(project, 'out', 'draft.mp4');
    const run = await runCli([
      'render',
      project,
      '-o',
      output,
      '-f',
      '24',
      '-q',
      'draft',
      '-w',
      'auto',
      '--docker',
      '--experimental-fast-capture=false',
      '--frames-cache-dir',
      'off',
      '--browser-timeout',
      '30',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/framesmith: --docker is a HyperFrames flag for machinery framesmith does not have: /);
    expect(run.stderr).toMatch(/framesmith: --no-experimental-fast-capture is a HyperFrames flag /);
    const info = await probeVideo(output);
    expect(info).toMatchObject({ codec_name: 'h264', r_frame_rate: '24/1', nb_read_frames: '24' });
    // x264 writes its settings into the stream (an SEI message).
    const settings = (await readFile(output)).toString('latin1');
    expect(settings).toMatch(/ crf=28\.0 /);
    expect(settings).toMatch(/ subme=0 /); // ultrafast's
  });

  it('render --format gif --gif-loop 3 -q looks --quiet --debug: the GIF repeats 3 times; --debug prints the stages; a bad flag value exits 2 and writes nothing', async () => {
    const output = path.join(project, 'out', 'loop.gif');
    const run = await runCliInProcess([
      'render',
      project,
      '--format',
      'gif',
      '--gif-loop',
      '3',
      '-f',
      '10',
      '-q',
      'looks',
      '-o',
      output,
      '--quiet',
      '--debug',
      '--skill',
      'demo',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(gifLoopCount(await readFile(output))).toBe(3);
    expect(run.stderr).toMatch(/framesmith: debug: settings \{.*"quality":"looks"/);
    expect(run.stderr).toMatch(/framesmith: debug: \+\d+\.\d\d s stage capture/);
    expect(run.stderr).toMatch(/framesmith: debug: timings \(ms\) \{/);
    expect(run.stderr).not.toMatch(/--skill is a HyperFrames flag/); // --quiet: no notices
    const before = await readdir(path.join(project, 'out'));
    const bad = await runCliInProcess([
      'render',
      project,
      '--format',
      'gif',
      '--gif-loop',
      '70000',
      '-o',
      path.join(project, 'out', 'bad.gif'),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--gif-loop.*0 to 65535/);
    expect(existsSync(path.join(project, 'out', 'bad.gif'))).toBe(false);
    expect(await readdir(path.join(project, 'out'))).toEqual(before);
  });

  it('a planned render (--chunk-frames) keeps --gif-loop; --no-best-effort fails on a missing image: exit 1, the file named, nothing written', async () => {
    const output = path.join(project, 'out', 'chunked.gif');
    const run = await runCliInProcess([
      'render',
      project,
      '--format=gif',
      '--gif-loop=7',
      '-f',
      '10',
      '--chunk-frames',
      '5',
      '-o',
      output,
      '--quiet',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(gifLoopCount(await readFile(output))).toBe(7);
    const broken = await makeProject({ 'index.html': page({ body: '<img src="nope.png">' }) });
    try {
      const target = path.join(broken, 'out.mp4');
      const failed = await runCliInProcess(['render', broken, '-o', target, '-q', 'draft', '--no-best-effort', '--json']);
      expect(failed.code).toBe(1);
      expect(JSON.parse(failed.stdout).error).toMatchObject({
        code: 'strict',
        message: expect.stringMatching(/nope\.png.*--no-best-effort: missing or unready media is an error/),
      });
      expect(existsSync(target)).toBe(false);
      // Best effort (the default) renders it with a warning.
      expect((await runCliInProcess(['render', broken, '-o', target, '--best-effort', '--quiet'])).code).toBe(0);
    } finally {
      await rm(broken, { recursive: true, force: true });
    }
  });
});
