/**
 * Whether two renders show the same frames: ffmpeg's PSNR between them, frame by frame (both decoded
 * to the same size; the second is compared against the first). "Same frames" in the bench means every
 * frame at 30 dB or more, the bar the compatibility corpus used.
 */
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { BENCH_DIR } from './media.js';
import { run } from './measure.js';

/**
 * `{ frames, average, min, minFrame, values }` (dB; Infinity for identical frames; `values` is each
 * frame's PSNR in order), or `{ error }`.
 */
export async function psnr(a, b) {
  const stats = path.join(BENCH_DIR, `psnr-${process.pid}-${Date.now()}.log`);
  const r = await run('ffmpeg', [
    '-v',
    'error',
    '-i',
    a,
    '-i',
    b,
    '-lavfi',
    `[0:v]setpts=N/TB[x];[1:v]setpts=N/TB[y];[x][y]psnr=stats_file=${stats}`,
    '-f',
    'null',
    '-',
  ]);
  if (r.code !== 0) return { error: r.stderr.trim().slice(-500) };
  const values = readFileSync(stats, 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const m = /psnr_avg:(inf|[\d.]+)/.exec(line);
      return m ? (m[1] === 'inf' ? Infinity : Number(m[1])) : NaN;
    });
  rmSync(stats, { force: true });
  const finite = values.filter((v) => Number.isFinite(v));
  const min = Math.min(...values);
  return {
    frames: values.length,
    average: finite.length ? Math.round((finite.reduce((s, v) => s + v, 0) / finite.length) * 10) / 10 : Infinity,
    min: Number.isFinite(min) ? Math.round(min * 10) / 10 : min,
    minFrame: values.indexOf(min),
    values,
  };
}
