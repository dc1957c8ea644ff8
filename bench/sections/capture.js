/**
 * Issue 21 items 3, 4, 6: what a frame costs to capture and encode, each lever side by side in one run.
 *
 * - screenshot: browser CPU (the whole process tree, /proc) of one beginFrame of a busy static 1080p
 *   page (bench/lib/busy-page.js) by screenshot format — none (the composite alone), JPEG q95 (the
 *   default), q90, q85, q80, PNG (optimizeForSpeed), WebP q80 — interleaved frame by frame so load
 *   drifts hit every format alike; and the frame drawn after a screenshot (what a probe-driven capture
 *   adds to every moving frame, and the current one skips while frames keep changing);
 * - quality: 30 moving frames of that page captured losslessly (PNG) and as JPEG at each quality,
 *   each sequence encoded through the real encoder (`startVideoEncoder`, mp4) at every quality preset;
 *   PSNR/SSIM of each output against the lossless frames in yuv420p BT.709 (the output's own space):
 *   the loss a JPEG quality adds on top of the encode;
 * - encoder: ffmpeg CPU (x264) for 60 moving frames and for 30 moving + 30 repeated, per preset, with
 *   framesmith's settings (`QUALITY_PRESETS[q].x264`) and HyperFrames' (`hyperframesX264`), which
 *   framesmith's were measured to match in PSNR/SSIM: what a moving frame and a repeated one cost,
 *   and the quality.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { busyPageHtml, setFrame } from '../lib/busy-page.js';
import { framesmith } from '../lib/framesmith.js';
import { BENCH_DIR } from '../lib/media.js';
import { round, run } from '../lib/measure.js';
import { treeCpuMs } from '../lib/proc-cpu.js';

const SHOTS = {
  none: null,
  jpeg95: { format: 'jpeg', quality: 95 },
  jpeg90: { format: 'jpeg', quality: 90 },
  jpeg85: { format: 'jpeg', quality: 85 },
  jpeg80: { format: 'jpeg', quality: 80 },
  png: { format: 'png', optimizeForSpeed: true },
  webp80: { format: 'webp', quality: 80 },
};
/** The JPEG qualities whose encoded output is compared with the lossless capture's. */
const QUALITY_SHOTS = ['jpeg95', 'jpeg90', 'jpeg85', 'jpeg80'];
/** Moving frames compared (`BENCH_CAPTURE_FRAMES` overrides: a quick check of the section). */
const QUALITY_FRAMES = Number(process.env.BENCH_CAPTURE_FRAMES) || 30;
/** The presets whose encoder figures are compared with HyperFrames' settings (draft's are the same). */
const ENCODER_PRESETS = ['draft', 'standard', 'looks', 'high'];

export async function captureSection(ctx) {
  const out = ctx.section('capture', 'Capture and encode levers (issue 21 items 3, 4): screenshot format, JPEG quality, encoder settings');
  const fs = await framesmith();
  if (fs.missing) return out.skip('capture', fs.missing);
  const page = await import(path.join(BENCH_DIR, '..', 'dist/capture/page.js'));
  // Not under .bench/tmp: another bench run removes that when it ends.
  const work = path.join(BENCH_DIR, 'capture-work');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  out.note(`Default JPEG quality of captured frames now: ${page.JPEG_QUALITY}.`);

  const launched = await fs.launchBrowser({});
  const frames = {};
  try {
    const cp = await page.openCapturePage(launched.browser, launched.captureMode, { width: 1920, height: 1080, transparent: false });
    await cp.pumpWhile(cp.page.setContent(await busyPageHtml(), { waitUntil: 'load' }));
    const pid = launched.browser.process().pid;
    const send = (params) => cp.session.send('HeadlessExperimental.beginFrame', { interval: 33, noDisplayUpdates: false, ...params });

    // Screenshot cost, static page: nothing to raster, so what is left is composite, readback, encode.
    const n = Math.min(10, QUALITY_FRAMES) * ctx.repeats;
    const acc = Object.fromEntries(Object.keys(SHOTS).map((k) => [k, { cpu: 0, node: 0, bytes: 0, after: 0, n: 0 }]));
    for (let i = -2; i < n; i++) {
      for (const [name, shot] of Object.entries(SHOTS)) {
        const c0 = treeCpuMs(pid);
        const n0 = process.cpuUsage();
        const r = await send(shot ? { screenshot: shot } : {});
        const bytes = r.screenshotData ? Buffer.from(r.screenshotData, 'base64').length : 0;
        const nodeCpu = process.cpuUsage(n0);
        const c1 = treeCpuMs(pid);
        await send({});
        const c2 = treeCpuMs(pid);
        if (i < 0) continue;
        const a = acc[name];
        a.cpu += c1 - c0;
        a.node += (nodeCpu.user + nodeCpu.system) / 1000;
        a.bytes += bytes;
        a.after += c2 - c1;
        a.n++;
      }
    }
    const rows = [];
    for (const [name, a] of Object.entries(acc)) {
      const fig = { browserCpuMs: round(a.cpu / a.n), nodeCpuMs: round(a.node / a.n), kB: Math.round(a.bytes / a.n / 1024) };
      out.figure(`screenshot.${name}`, fig.browserCpuMs, fig);
      rows.push(`${name} ${fig.browserCpuMs} ms browser + ${fig.nodeCpuMs} ms node (${fig.kB} kB)`);
    }
    const after = Object.values(acc).reduce((s, a) => s + a.after, 0) / Object.values(acc).reduce((s, a) => s + a.n, 0);
    out.figure('screenshot.frameAfter', round(after));
    out.note(
      `Screenshot of a busy static 1080p page, CPU a frame (${n} interleaved frames each; /proc, 10 ms ticks): ${rows.join('; ')}. A frame drawn with no screenshot after one: ${round(after)} ms.`,
    );

    // Moving frames, lossless and at each JPEG quality, for the quality comparison.
    for (const name of ['png', ...QUALITY_SHOTS]) frames[name] = [];
    for (let i = 0; i < QUALITY_FRAMES; i++) {
      await cp.pumpWhile(setFrame(cp.page, i));
      await send({});
      for (const name of ['png', ...QUALITY_SHOTS]) {
        const r = await send({ screenshot: SHOTS[name] });
        frames[name].push(Buffer.from(r.screenshotData, 'base64'));
      }
    }
    await cp.close();
  } finally {
    await launched.close();
  }

  const reference = path.join(work, 'reference.yuv');
  const refPng = path.join(work, 'ref');
  mkdirSync(refPng, { recursive: true });
  for (const [i, f] of frames.png.entries()) writeFileSync(path.join(refPng, `f${String(i).padStart(4, '0')}.png`), f);
  await ffmpeg([
    '-framerate',
    '30',
    '-i',
    path.join(refPng, 'f%04d.png'),
    '-vf',
    'scale=out_color_matrix=bt709:out_range=tv,format=yuv420p',
    '-f',
    'rawvideo',
    reference,
  ]);

  // `hyperframes`: the quality's x264 settings replaced by HyperFrames' for this encode.
  const encode = async (name, quality, list, hyperframes = false) => {
    const saved = { ...fs.QUALITY_PRESETS[quality] };
    if (hyperframes) fs.QUALITY_PRESETS[quality].x264 = { ...saved.hyperframesX264 };
    const output = path.join(work, `${name}-${quality}-${hyperframes ? 'hyperframes' : 'framesmith'}.mp4`);
    const base = treeCpuMs(process.pid);
    const own = process.cpuUsage();
    try {
      const encoder = await fs.startVideoEncoder({
        format: 'mp4',
        output,
        width: 1920,
        height: 1080,
        fps: { num: 30, den: 1 },
        quality,
        frameFormat: name === 'png' ? 'png' : 'jpeg',
      });
      for (const frame of list) await encoder.write(frame);
      await encoder.finish();
    } finally {
      Object.assign(fs.QUALITY_PRESETS[quality], saved);
    }
    const ownCpu = process.cpuUsage(own);
    return { output, encoderCpuMs: treeCpuMs(process.pid) - base - (ownCpu.user + ownCpu.system) / 1000 };
  };

  // Quality: each JPEG quality's loss against the lossless capture, at each preset.
  const qualityRows = [];
  const losses = {};
  for (const quality of ['draft', 'standard', 'looks', 'high']) {
    const lossless = await metrics((await encode('png', quality, frames.png)).output, reference);
    const cells = [`${quality}: PNG ${lossless.psnr} dB / SSIM ${lossless.ssim}`];
    for (const name of QUALITY_SHOTS) {
      const m = await metrics((await encode(name, quality, frames[name])).output, reference);
      const loss = round(lossless.psnr - m.psnr, 2);
      losses[`${quality}.${name}`] = loss;
      out.figure(`quality.${quality}.${name}`, loss, { psnr: m.psnr, ssim: m.ssim, lossless });
      cells.push(`${name} −${loss} dB (SSIM ${m.ssim})`);
    }
    qualityRows.push(cells.join(', '));
  }
  out.note(
    `Encoded output vs the lossless frames (${QUALITY_FRAMES} moving busy 1080p frames, yuv420p BT.709): ${qualityRows.join('; ')}.`,
  );

  // The colour path: JPEG frames are BT.601 full range; the mp4 chain converts them to BT.709, which
  // mixes the subsampled chroma into luma. Kept in BT.601 (only the range converted), against the
  // lossless frames in BT.601: what a single conversion would give (not what the encoder does today).
  const bt601 = 'scale=out_color_matrix=bt601:out_range=tv,format=yuv420p';
  const reference601 = path.join(work, 'reference601.yuv');
  await ffmpeg(['-framerate', '30', '-i', path.join(refPng, 'f%04d.png'), '-vf', bt601, '-f', 'rawvideo', reference601]);
  const single = [];
  for (const name of ['png', 'jpeg95']) {
    const dir = path.join(work, `601-${name}`);
    mkdirSync(dir, { recursive: true });
    const ext = name === 'png' ? 'png' : 'jpg';
    for (const [i, f] of frames[name].entries()) writeFileSync(path.join(dir, `f${String(i).padStart(4, '0')}.${ext}`), f);
    const output = path.join(work, `601-${name}.mp4`);
    const input = ['-framerate', '30', '-i', path.join(dir, `f%04d.${ext}`)];
    await ffmpeg([...input, '-vf', bt601, '-c:v', 'libx264', '-preset', 'medium', '-crf', '18', output]);
    single.push(await metrics(output, reference601));
  }
  const singleLoss = round(single[0].psnr - single[1].psnr, 2);
  out.figure('quality.standard.jpeg95.bt601', singleLoss, { png: single[0], jpeg95: single[1] });
  out.note(
    `Standard (CRF 18) with the JPEG frames kept in BT.601 (one colour conversion, the browser's): q95 loses ${singleLoss} dB against PNG frames encoded the same way (${single[0].psnr} dB), instead of ${losses['standard.jpeg95']} dB through today's BT.709 conversion.`,
  );

  // Encoder: repeated frames against moving ones, previous settings and current ones.
  const moving = [...frames.png, ...[...frames.png].reverse()];
  const holding = [...frames.png, ...frames.png.slice(-1).flatMap((f) => Array(QUALITY_FRAMES).fill(f))];
  const encoderRows = [];
  for (const quality of ENCODER_PRESETS) {
    const { x264, hyperframesX264 } = fs.QUALITY_PRESETS[quality];
    const same = x264.preset === hyperframesX264.preset && x264.crf === hyperframesX264.crf;
    for (const which of same ? ['framesmith'] : ['framesmith', 'hyperframes']) {
      const m = await encode('png', quality, moving, which === 'hyperframes');
      const h = await encode('png', quality, holding, which === 'hyperframes');
      const movingFrame = m.encoderCpuMs / moving.length;
      const repeat = (h.encoderCpuMs - m.encoderCpuMs / 2) / QUALITY_FRAMES;
      const q = await metrics(m.output, reference, QUALITY_FRAMES);
      out.figure(`encoder.${quality}.${which}`, round(movingFrame), { repeatMs: round(repeat), psnr: q.psnr, ssim: q.ssim });
      encoderRows.push(
        `${quality} ${which}: ${round(movingFrame)} ms a moving frame, ${round(repeat)} ms a repeat (${round((100 * repeat) / movingFrame)} %), ${q.psnr} dB / SSIM ${q.ssim}`,
      );
    }
  }
  out.note(`Encoder CPU (ffmpeg: PNG decode, conversion, x264), 1080p: ${encoderRows.join('; ')}.`);
  rmSync(work, { recursive: true, force: true });
}

async function ffmpeg(args) {
  const r = await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
  if (r.code !== 0) throw new Error(`ffmpeg ${args.join(' ')}: ${r.stderr}`);
  return r;
}

/** PSNR (average, dB) and SSIM (All) of `file`'s first `frames` frames against the raw yuv420p reference. */
async function metrics(file, reference, frames = QUALITY_FRAMES) {
  const refInput = ['-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', '1920x1080', '-framerate', '30', '-i', reference];
  // Frame by frame: both streams in one time base, numbered from 0 (framesync matches by timestamp).
  const graph = (filter) => `[0:v]settb=1/30,setpts=N[a];[1:v]settb=1/30,setpts=N[b];[a][b]${filter}`;
  const psnr = await run('ffmpeg', [
    '-hide_banner',
    '-i',
    file,
    ...refInput,
    '-frames:v',
    String(frames),
    '-lavfi',
    graph('psnr'),
    '-f',
    'null',
    '-',
  ]);
  const ssim = await run('ffmpeg', [
    '-hide_banner',
    '-i',
    file,
    ...refInput,
    '-frames:v',
    String(frames),
    '-lavfi',
    graph('ssim'),
    '-f',
    'null',
    '-',
  ]);
  return {
    psnr: Number(/average:([0-9.]+)/.exec(psnr.stderr)?.[1] ?? Number.NaN),
    ssim: Number(/All:([0-9.]+)/.exec(ssim.stderr)?.[1] ?? Number.NaN),
  };
}
