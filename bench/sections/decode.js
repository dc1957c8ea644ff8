/**
 * Issue 21 item 2: where `<video>` frames are decoded. The 30 s 1080p full-frame video composition
 * (bench/compositions/video-1080p-30s: a 1080p30 H.264 clip, a CSS title, an audio bed) rendered by the
 * CLI as a whole process with `--video-decode ffmpeg` (frames extracted as JPEGs, painted as the
 * element's background) and `--video-decode page` (decoded in the page with WebCodecs, drawn into a
 * canvas), with 1 and 2 capture workers, interleaved run by run. Each figure: wall time, and CPU
 * time (user + sys of the process and every child it waited for: node, Chromium, ffmpeg) from
 * /usr/bin/time, so a loaded machine shows in the wall time but much less in the CPU time.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { outputPath, probeOutput, stageComposition } from '../lib/compositions.js';
import { ROOT } from '../lib/media.js';
import { median, round, run } from '../lib/measure.js';

const TIME = '/usr/bin/time';
/**
 * The composition's frames. BENCH_DECODE_FRAMES=N shortens the staged composition (every 30 s
 * duration becomes N/30 s) rather than rendering a `--frames` range: the extraction engine extracts a
 * clip's whole window whatever range is captured, so a range would charge ffmpeg for frames never shown.
 */
const ALL_FRAMES = 900;

export async function decodeSection(ctx) {
  const out = ctx.section('decode', 'Video decoded in the page vs by ffmpeg (issue 21): 30 s 1920×1080 full-frame clip + title + audio');
  if (!existsSync(TIME)) {
    out.skip('decode', `${TIME} not installed (apt-get install time)`);
    return;
  }
  const dir = await stageComposition('video-1080p-30s');
  const FRAMES = Math.min(ALL_FRAMES, Number(process.env.BENCH_DECODE_FRAMES) || ALL_FRAMES);
  if (FRAMES < ALL_FRAMES) {
    const index = path.join(dir, 'index.html');
    const seconds = String(FRAMES / 30);
    writeFileSync(
      index,
      readFileSync(index, 'utf8').replace(
        /data-duration="(29\.8|30)"/g,
        (_, d) => `data-duration="${d === '30' ? seconds : String(FRAMES / 30 - 0.2)}"`,
      ),
    );
  }
  const bin = path.join(ROOT, 'bin/framesmith.js');
  // BENCH_DECODE_WORKERS=1,2 (default): the worker counts measured. Workers take interleaved frames,
  // so under page decode every worker's page decodes (nearly) every source frame.
  const workerCounts = (process.env.BENCH_DECODE_WORKERS ?? '1,2').split(',').map(Number);
  out.note(
    `${FRAMES} frames; median of ${ctx.repeats} run(s) per case, interleaved; whole CLI processes (\`framesmith render --video-decode X --workers W --quiet\`), frame cache off, \`--player-ready-timeout 900000\` (extracting 900 1080p frames on a loaded 2-core machine can pass the default 45 s). CPU = user + sys of the process tree (/usr/bin/time). Workers take interleaved frames: with page decode each worker's page decodes nearly every source frame.`,
  );
  const cases = workerCounts.flatMap((workers) => ['ffmpeg', 'page'].map((mode) => ({ mode, workers, key: `${mode}-w${workers}` })));
  const runs = Object.fromEntries(cases.map((c) => [c.key, []]));
  for (let i = 0; i < ctx.repeats; i++) {
    // Odd repetitions (and BENCH_DECODE_REVERSE=1) run the cases in reverse, so a machine whose load
    // drifts during the run does not favour one path.
    const reverse = (i % 2 === 1) !== (process.env.BENCH_DECODE_REVERSE === '1');
    for (const { mode, workers, key } of reverse ? [...cases].reverse() : cases) {
      const output = outputPath(`video-1080p-30s-${key}.mp4`);
      const r = await run(
        TIME,
        [
          '-f',
          'TIME %e %U %S',
          process.execPath,
          bin,
          'render',
          dir,
          '-o',
          output,
          '--video-decode',
          mode,
          '--workers',
          String(workers),
          '--quiet',
          '--player-ready-timeout',
          '900000',
        ],
        { timeoutMs: 90 * 60_000 },
      );
      if (r.code !== 0) {
        out.error(`render ${key}`, new Error(r.stderr.trim().split('\n').slice(-3).join(' ')));
        continue;
      }
      const m = /TIME ([\d.]+) ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
      const check = await probeOutput(output);
      if (check.frames !== FRAMES) out.error(`render ${key}`, new Error(`wrote ${check.frames} frames, expected ${FRAMES}`));
      if (m) runs[key].push({ wallMs: Number(m[1]) * 1000, cpuMs: (Number(m[2]) + Number(m[3])) * 1000 });
    }
  }
  const fig = (key, what) => (runs[key].length ? round(median(runs[key].map((r) => r[what]))) : null);
  for (const { key } of cases) out.figure(key, fig(key, 'wallMs'), { runs: runs[key] });
  for (const workers of workerCounts) {
    const f = `ffmpeg-w${workers}`;
    const p = `page-w${workers}`;
    const w = `${workers} worker${workers === 1 ? '' : 's'}`;
    out.row({ case: `ffmpeg decode, ${w}, wall`, ms: fig(f, 'wallMs') });
    out.row({ case: `page decode, ${w}, wall`, ms: fig(p, 'wallMs'), ref: ['ffmpeg', fig(f, 'wallMs')] });
    out.row({ case: `ffmpeg decode, ${w}, CPU (user+sys)`, ms: fig(f, 'cpuMs') });
    out.row({ case: `page decode, ${w}, CPU (user+sys)`, ms: fig(p, 'cpuMs'), ref: ['ffmpeg', fig(f, 'cpuMs')] });
    for (const key of [f, p]) {
      const c = fig(key, 'cpuMs');
      if (c !== null) out.row({ case: `${key}: CPU ms per frame`, ms: round(c / FRAMES, 1) });
    }
  }
}
