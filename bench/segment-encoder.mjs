#!/usr/bin/env node
/**
 * `node bench/segment-encoder.mjs [variant,…]` (after `npm run build`): the x264 settings a chunk's
 * segment could use (issue 22), side by side. On bench/compositions/chunks-1080p, captured once
 * losslessly (`render --format png`, 180 frames of 1920×1080) and turned into the JPEG frames a chunk
 * sends its encoder (q 2), each variant:
 *
 * - end cost: 30 frames written at a capture's pace (150 ms a frame) into the real encoder arguments
 *   (`encoderArgs`, Matroska frame stream), then stdin closed: ffmpeg's own CPU after the last frame
 *   (/proc, user + sys) and the wall time to its exit — what a chunk waits for after its capture;
 * - quality: the 180 frames as 6 segments of 30, joined by `assembleSegments` (stream copy), against
 *   the lossless capture (BT.709 limited YUV 4:2:0): PSNR (average of Y, U, V) and SSIM (all), bytes,
 *   and the encodes' CPU.
 *
 * Prints one JSON line per variant. Wall times depend on the machine's load (the CPU figures much less).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { assembleSegments } from '../dist/encode/segments.js';
import { matroskaFrame, matroskaHeader } from '../dist/encode/frame-stream.js';
import { encoderArgs } from '../dist/encode/video-args.js';
import { stageComposition } from './lib/compositions.js';
import { BENCH_DIR, ROOT } from './lib/media.js';

const fps = { num: 30, den: 1 };
const ZERO_LATENCY = 'bframes=0:rc-lookahead=0:sync-lookahead=0:sliced-threads=1';
/** Extra x264 arguments after the preset's (`standard`: medium, CRF 18); `segment`: the arguments segments use now. */
const VARIANTS = {
  preset: { extra: [] },
  lookahead10: { extra: ['-x264-params', 'rc-lookahead=10:sync-lookahead=0'] },
  lookahead5: { extra: ['-x264-params', 'rc-lookahead=5:sync-lookahead=0'] },
  lookahead5crf17: { extra: ['-x264-params', 'rc-lookahead=5:sync-lookahead=0', '-crf', '17'] },
  noB: { extra: ['-x264-params', 'bframes=0:rc-lookahead=0:sync-lookahead=0'] },
  noBcrf22: { extra: ['-x264-params', 'bframes=0:rc-lookahead=0:sync-lookahead=0', '-crf', '22'] },
  zeroLatency: { extra: ['-x264-params', ZERO_LATENCY] },
  zeroLatencyCrf22: { extra: ['-x264-params', ZERO_LATENCY, '-crf', '22'] },
  segment: { segment: true },
};

const work = path.join(BENCH_DIR, 'segment-encoder');
const pngDir = path.join(work, 'png');
const jpgDir = path.join(work, 'jpg');

async function frames() {
  if (!existsSync(path.join(jpgDir, 'f-000179.jpg'))) {
    rmSync(work, { recursive: true, force: true });
    mkdirSync(jpgDir, { recursive: true });
    const dir = await stageComposition('chunks-1080p');
    const r = spawnSync(
      process.execPath,
      [path.join(ROOT, 'bin/framesmith.js'), 'render', dir, '-o', pngDir, '--format', 'png', '--no-cache', '-q'],
      {
        stdio: 'inherit',
      },
    );
    if (r.status !== 0) throw new Error('the lossless capture failed');
    spawnSync(
      'ffmpeg',
      [
        '-v',
        'error',
        '-i',
        path.join(pngDir, 'frame-%06d.png'),
        '-q:v',
        '2',
        '-pix_fmt',
        'yuvj420p',
        '-start_number',
        '0',
        path.join(jpgDir, 'f-%06d.jpg'),
      ],
      {
        stdio: 'inherit',
      },
    );
  }
  return readdirSync(jpgDir)
    .sort()
    .map((f) => readFileSync(path.join(jpgDir, f)));
}

function args(variant, output) {
  const v = VARIANTS[variant];
  const a = encoderArgs({ format: 'mp4', output, width: 1920, height: 1080, fps, quality: 'standard', segment: v.segment });
  if (v.extra) {
    a.splice(a.indexOf('-pix_fmt'), 0, ...v.extra);
    const i = a.indexOf('-movflags');
    if (i >= 0) a.splice(i, 2); // segments are never faststart
  }
  return a;
}

function cpuOf(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** Encodes `count` frames from `first` at `paceMs` a frame; CPU and wall after the last one. */
async function encode(images, variant, first, count, output, paceMs) {
  const child = spawn('ffmpeg', ['-hide_banner', '-v', 'error', ...args(variant, output)], { stdio: ['pipe', 'ignore', 'inherit'] });
  const write = (b) => new Promise((r) => (child.stdin.write(b) ? r() : child.stdin.once('drain', r)));
  const t0 = performance.now();
  await write(matroskaHeader({ frameFormat: 'jpeg', width: 1920, height: 1080, fps }));
  for (let i = 0; i < count; i++) {
    const wait = t0 + i * paceMs - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    await write(matroskaFrame(i, fps, images[first + i]));
  }
  const last = performance.now();
  const cpuAtLast = cpuOf(child.pid);
  let cpu = cpuAtLast;
  const poll = setInterval(() => {
    const c = cpuOf(child.pid);
    if (!Number.isNaN(c)) cpu = c;
  }, 5);
  child.stdin.end();
  const code = await new Promise((r) => child.on('exit', r));
  clearInterval(poll);
  if (code !== 0) throw new Error(`${variant}: ffmpeg exited ${code}`);
  return { endMs: Math.round(performance.now() - last), endCpuS: cpu - cpuAtLast, cpuS: cpu };
}

const images = await frames();
for (const variant of (process.argv[2] ?? Object.keys(VARIANTS).join(',')).split(',')) {
  const dir = path.join(work, variant);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const ends = [];
  for (let i = 0; i < 2; i++) ends.push(await encode(images, variant, 0, 30, path.join(dir, 'paced.mp4'), 150));
  const segments = [];
  let cpuS = 0;
  for (let first = 0; first < 180; first += 30) {
    const file = path.join(dir, `seg-${first}.mp4`);
    cpuS += (await encode(images, variant, first, 30, file, 0)).cpuS;
    segments.push({ file, first, count: 30 });
  }
  const out = path.join(dir, 'joined.mp4');
  await assembleSegments(segments, { format: 'mp4', fps, output: out, width: 1920, height: 1080, workDir: dir });
  const q = spawnSync(
    'ffmpeg',
    [
      '-hide_banner',
      '-nostdin',
      '-i',
      out,
      '-framerate',
      '30',
      '-i',
      path.join(pngDir, 'frame-%06d.png'),
      '-lavfi',
      '[1:v]scale=out_color_matrix=bt709:out_range=tv,format=yuv420p,split[r1][r2];[0:v]format=yuv420p,split[a][b];[a][r1]psnr;[b][r2]ssim',
      '-f',
      'null',
      '-',
    ],
    { encoding: 'utf8' },
  );
  process.stdout.write(
    `${JSON.stringify({
      variant,
      endCpuS: ends.map((e) => Math.round(e.endCpuS * 100) / 100),
      endMs: ends.map((e) => e.endMs),
      bytes: statSync(out).size,
      psnr: Number(/PSNR .*average:([\d.]+)/.exec(q.stderr)?.[1]),
      ssim: Number(/SSIM .*All:([\d.]+)/.exec(q.stderr)?.[1]),
      encodeCpuS: Math.round(cpuS * 100) / 100,
    })}\n`,
  );
}
