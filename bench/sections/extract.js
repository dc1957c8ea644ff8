/**
 * Issue 2: the extraction engine (`extractVideos`, `cache: false`) against the decode-only floor and
 * against HyperFrames' `extractAllVideoFrames` on the same spec files.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { decodeFloor, decodeFloorSet } from '../lib/floor.js';
import { extractSpec, feature } from '../lib/framesmith.js';
import { hfExtract } from '../lib/hyperframes.js';
import { BENCH_DIR, ROOT, media } from '../lib/media.js';
import { lastJsonLine, median, round, run } from '../lib/measure.js';
import { slots, writeSpec } from '../lib/specs.js';

const FPS = 30;

export async function extractSection(ctx) {
  const out = ctx.section('extract', 'Extraction (issue 2): `extractVideos`, cache off, vs the decode floor and HyperFrames');
  const clip = Number(process.env.BENCH_CLIP_SECONDS) || 5;
  const win = { mediaStart: 2, duration: clip };
  const n = slots(clip, FPS);
  const a = await media('a-1080p-10s.mp4');
  const b = await media('b-1080p-10s.mp4');
  const c = await media('c-1080p-10s.mp4');
  const vfr = await media('vfr-1080p-10s.mp4');
  out.note(
    `Window: ${clip} s from media time 2 s of 10 s 1080p30 H.264 (testsrc2, GOP 60) = ${n} frames at ${FPS} fps; median of ${ctx.repeats} runs; floor, ours and HyperFrames interleaved run by run.`,
  );

  const specs = {
    one: writeSpec('one', { videos: [{ id: 'a', src: a, ...win }] }),
    dup3: writeSpec('dup3', { videos: ['a1', 'a2', 'a3'].map((id) => ({ id, src: a, ...win })) }),
    display: writeSpec('display', { videos: [{ id: 'a', src: a, ...win, width: 640, height: 360 }] }),
    png: writeSpec('png', { format: 'png', videos: [{ id: 'a', src: a, ...win }] }),
    vfr: writeSpec('vfr', { videos: [{ id: 'v', src: vfr, ...win }] }),
    layout: writeSpec('layout', {
      videos: [
        { id: 'main', src: a, ...win, width: 1920, height: 1080 },
        { id: 'pip1', src: b, ...win, width: 480, height: 270 },
        { id: 'pip2', src: c, ...win, width: 480, height: 270 },
      ],
    }),
    // The same layout on a 1280×720 stage (the size of bench/compositions/video-3clip): the full-frame
    // clip is drawn at 1280×720, the PiPs at a third of the width.
    layout720: writeSpec('layout720', {
      videos: [
        { id: 'main', src: a, ...win, width: 1280, height: 720 },
        { id: 'pip1', src: b, ...win, width: 428, height: 240 },
        { id: 'pip2', src: c, ...win, width: 428, height: 240 },
      ],
    }),
  };

  const ours = await feature('extractVideos');
  const hf = ctx.hf;
  if (ours.missing) out.skip('framesmith extraction', ours.missing);
  if (hf.missing) out.skip('HyperFrames extraction', hf.missing);

  const tmpRoot = path.join(BENCH_DIR, 'tmp');
  let seq = 0;
  const oursOnce = async (name) => {
    const dir = path.join(tmpRoot, `fs-${name}-${process.pid}-${seq++}`);
    const start = performance.now();
    const result = await extractSpec(ours.fn, specs[name], dir);
    const ms = performance.now() - start;
    rmSync(dir, { recursive: true, force: true });
    return { ms, result };
  };
  const hfOnce = async (name) => {
    const r = await hfExtract(hf, specs[name]);
    return { ms: r.wallMs, result: r };
  };

  // Each repeat runs every case: its floor (when it has one), ours, HyperFrames (when it runs the case), one
  // after the other, so the figures compared with each other see the same machine load.
  const floorOf = {
    one: ['native', () => decodeFloor({ src: a, mediaStart: 2, frames: n })],
    display: ['scaled', () => decodeFloor({ src: a, mediaStart: 2, frames: n, width: 640, height: 360 })],
    vfr: ['vfr', () => decodeFloor({ src: vfr, mediaStart: 2, frames: n })],
    layout: [
      'layout',
      () =>
        decodeFloorSet([
          { src: a, mediaStart: 2, frames: n },
          { src: b, mediaStart: 2, frames: n, width: 480, height: 270 },
          { src: c, mediaStart: 2, frames: n, width: 480, height: 270 },
        ]),
    ],
    // Counted under the layout case: decode + JPEG encode at our default quality, three at once.
    jpegLayout: [
      'jpegLayout',
      () =>
        decodeFloorSet([
          { src: a, mediaStart: 2, frames: n, jpeg: 3 },
          { src: b, mediaStart: 2, frames: n, width: 480, height: 270, jpeg: 3 },
          { src: c, mediaStart: 2, frames: n, width: 480, height: 270, jpeg: 3 },
        ]),
    ],
    layout720: [
      'layout720',
      () =>
        decodeFloorSet([
          { src: a, mediaStart: 2, frames: n, width: 1280, height: 720 },
          { src: b, mediaStart: 2, frames: n, width: 428, height: 240 },
          { src: c, mediaStart: 2, frames: n, width: 428, height: 240 },
        ]),
    ],
  };
  const cases = ['one', 'dup3', 'display', 'png', 'vfr', 'layout', 'layout720'];
  const hfCases = new Set(['one', 'dup3', 'layout', 'layout720']);
  const runs = { floor: {}, ours: {}, hf: {} };
  const push = (group, name, value) => {
    group[name] = [...(group[name] ?? []), value];
  };
  const failed = new Set();
  for (let i = 0; i < ctx.repeats; i++) {
    for (const name of cases) {
      if (floorOf[name]) push(runs.floor, floorOf[name][0], await floorOf[name][1]());
      if (name === 'layout') push(runs.floor, 'jpegLayout', await floorOf.jpegLayout[1]());
      if (!ours.missing && !failed.has(`ours.${name}`)) {
        try {
          const r = await oursOnce(name);
          push(runs.ours, name, r.ms);
          if (i === 0) out.figure(`ours.${name}.metrics`, r.result.metrics);
        } catch (error) {
          out.error(`framesmith ${name}`, error);
          failed.add(`ours.${name}`);
        }
      }
      if (!hf.missing && hfCases.has(name) && !failed.has(`hf.${name}`)) {
        try {
          const r = await hfOnce(name);
          push(runs.hf, name, r.ms);
          if (i === 0) out.figure(`hf.${name}.phaseBreakdown`, r.result.phaseBreakdown);
        } catch (error) {
          out.error(`HyperFrames ${name}`, error);
          failed.add(`hf.${name}`);
        }
      }
    }
  }
  const medians = (group) =>
    Object.fromEntries(
      Object.entries(runs[group]).map(([name, list]) => {
        const value = round(median(list));
        out.figure(`${group}.${name}`, value, { runs: list.map((r) => round(r)) });
        return [name, value];
      }),
    );
  const floor = medians('floor');
  const res = { ours: medians('ours'), hf: medians('hf') };

  const o = res.ours;
  const h = res.hf;
  out.row({ case: `decode floor, 1080p native, ${n} frames`, ms: floor.native });
  out.row({ case: 'decode floor, scaled to 640×360', ms: floor.scaled });
  out.row({ case: 'decode floor, VFR source', ms: floor.vfr });
  out.row({ case: 'decode floor, layout (3 decodes at once, PiPs scaled)', ms: floor.layout });
  out.row({ case: 'framesmith, one 1080p video (JPEG)', ms: o.one, ref: ['floor', floor.native] });
  out.row({ case: 'framesmith, three duplicate videos', ms: o.dup3, ref: ['one video', o.one], goal: 1.15 });
  out.row({ case: 'framesmith, display size 640×360', ms: o.display, ref: ['floor scaled', floor.scaled], goal: 1.7 });
  out.row({ case: 'framesmith, display size vs native', ms: o.display, ref: ['native', o.one] });
  out.row({ case: 'framesmith, PNG level 1 vs JPEG', ms: o.png, ref: ['JPEG', o.one] });
  out.row({ case: 'framesmith, VFR source', ms: o.vfr, ref: ['floor VFR', floor.vfr] });
  out.row({ case: 'framesmith, layout: 1 full frame + 2 PiP 480×270', ms: o.layout, ref: ['floor layout', floor.layout] });
  out.row({ case: 'HyperFrames, one 1080p video', ms: h.one, ref: ['floor', floor.native] });
  out.row({ case: 'HyperFrames, three duplicate videos', ms: h.dup3, ref: ['its one video', h.one] });
  out.row({ case: 'HyperFrames, layout (decodes all at 1080p)', ms: h.layout, ref: ['floor layout', floor.layout] });
  out.row({ case: 'framesmith vs HyperFrames, one video', ms: o.one, ref: ['HyperFrames', h.one] });
  out.row({ case: 'framesmith vs HyperFrames, layout', ms: o.layout, ref: ['HyperFrames', h.layout], goal: 0.5 });
  // What bounds the layout goal: no extractor that writes these JPEGs can be faster than decoding and
  // encoding them. This row is that bound against HyperFrames (no files, no colour conversion, no exact
  // timing, no probe), so a ratio near 0.5 here says the goal sits at the floor itself.
  out.row({
    case: 'JPEG floor, layout (decode + JPEG encode q3, 3 at once, no files)',
    ms: floor.jpegLayout,
    ref: ['floor layout', floor.layout],
  });
  out.row({ case: 'JPEG floor vs HyperFrames, layout', ms: floor.jpegLayout, ref: ['HyperFrames', h.layout] });
  out.row({ case: 'framesmith vs JPEG floor, layout', ms: o.layout, ref: ['JPEG floor', floor.jpegLayout] });
  out.row({ case: 'decode floor, layout on a 1280×720 stage', ms: floor.layout720 });
  out.row({
    case: 'framesmith, layout on a 1280×720 stage (main 1280×720, PiPs 428×240)',
    ms: o.layout720,
    ref: ['floor', floor.layout720],
  });
  out.row({ case: 'HyperFrames, layout on a 1280×720 stage (decodes all at 1080p)', ms: h.layout720, ref: ['floor', floor.layout720] });
  out.row({ case: 'framesmith vs HyperFrames, layout on a 1280×720 stage', ms: o.layout720, ref: ['HyperFrames', h.layout720], goal: 0.5 });

  if (!ours.missing) await memoryCases(ctx, out);
}

/** Peak memory of one native-size extraction as the clip grows: flat means frames are streamed to disk. */
async function memoryCases(_ctx, out) {
  const src = await media('a-1080p-30s.mp4');
  for (const seconds of [2, 10, 30]) {
    const spec = writeSpec(`memory-${seconds}s`, { videos: [{ id: 'a', src, mediaStart: 0, duration: seconds }] });
    const dir = path.join(BENCH_DIR, 'tmp', `fs-memory-${seconds}-${process.pid}`);
    const r = await run(process.execPath, [path.join(ROOT, 'bench/lib/extract-child.js'), spec, dir]);
    const json = lastJsonLine(r.stdout);
    if (r.code !== 0 || !json) {
      out.error(`memory ${seconds} s`, new Error(r.stderr.trim() || `exit ${r.code}`));
      continue;
    }
    out.figure(`memory.${seconds}s`, json);
    const ff = json.memory.childMaxRssMiB.ffmpeg ?? null;
    out.row({
      case: `peak memory, ${seconds} s clip (${slots(seconds, FPS)} frames, ${round(json.ms / 1000)} s)`,
      text: `node ${json.memory.selfMaxRssMiB} MiB, ffmpeg ${ff ?? '?'} MiB, ffprobe ${json.memory.childMaxRssMiB.ffprobe ?? '?'} MiB`,
    });
  }
}
