/**
 * `snapshot`: PNG stills of a composition at chosen times, captured exactly as a render captures
 * them (the preview's session: src/preview/session.ts), named as `hyperframes snapshot` names them —
 * `frame-<NN>-at-<t>s.png` (NN from 00 in capture order, t in seconds with at most 3 decimals and no
 * trailing zeros) — plus `contact-sheet.jpg`: the stills in a grid, 3 per row, 9 per sheet
 * (`contact-sheet-2.jpg`, … beyond 9).
 *
 * A still shows the frame on screen at its time: the frame `floor(t × fps)`, as a render would show
 * it. Stills are written under a temporary name and renamed into place; stills and sheets a previous
 * snapshot left in the directory are replaced, nothing else in it is touched.
 */
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FramesmithError } from '../errors.js';
import { runFfmpeg } from '../media/tools.js';
import { PreviewSession, type PreviewSessionOptions } from '../preview/session.js';

/** `invalid_range`: a snapshot's `range` ends after the composition (`fields.option` is `range`). */
export class SnapshotError extends FramesmithError<'invalid_range'> {
  override readonly name = 'SnapshotError';
}

/** Which times `snapshotTimes()` picks: exact times, or a number of stills over the composition or a range of it. */
export interface SnapshotTimesOptions {
  /** Evenly spaced stills (default 5). */
  frames?: number;
  /** Exact times in seconds; overrides `frames`. */
  at?: number[];
  /** Sample `frames` evenly within [start, end] instead of the whole composition (no end still added). */
  range?: [number, number];
  /** Include a readable end-of-timeline still (default true). */
  end?: boolean;
}

/** The moment shown as "the end": 3% of the duration (at least 50 ms) before it, so the last state is on screen. */
export function tailTime(duration: number): number {
  return Math.max(0, duration - Math.max(0.05, duration * 0.03));
}

const ms = (t: number) => Math.round(t * 1000) / 1000;

/**
 * The times to capture, in seconds, as HyperFrames picks them: `at` as given (plus the end still when
 * none of them is within 50 ms of it); a `range` sampled evenly from its start to its end (the end
 * pulled 1 ms in when it is the composition's end; one still: the middle); else `frames` evenly over
 * [0, duration] with the last one at `tailTime` (one still: the middle).
 */
export function snapshotTimes(duration: number, options: SnapshotTimesOptions): number[] {
  const frames = options.frames ?? 5;
  const end = options.end !== false;
  if (options.at?.length) {
    const tail = tailTime(duration);
    const hasTail = options.at.some((t) => Math.abs(t - tail) < 0.05 || t >= duration);
    return end && duration > 0 && !hasTail ? [...options.at, ms(tail)] : [...options.at];
  }
  if (options.range) {
    const [start, stop] = options.range;
    // The CLI's parser checks the order too; an API caller's range is checked here, once for both.
    if (!(start >= 0 && start < stop && stop <= duration)) {
      const problem = stop > duration ? `ends after the composition (${duration} s)` : 'is not a span from START to a later END';
      throw new SnapshotError(
        'invalid_range',
        `\`range\` ${start},${stop} ${problem}: give START,END with 0 <= START < END <= ${duration}`,
        { option: 'range' },
      );
    }
    if (frames === 1) return [(start + stop) / 2];
    const last = stop === duration ? stop - Math.min(1e-3, (stop - start) / (frames * 2)) : stop;
    return Array.from({ length: frames }, (_, i) => start + ((last - start) * i) / (frames - 1));
  }
  if (frames <= 1) return [ms(duration / 2)];
  const times = Array.from({ length: frames }, (_, i) => (i / (frames - 1)) * duration);
  if (end) times[times.length - 1] = tailTime(duration);
  return times.map(ms);
}

/** `frame-03-at-1.5s.png`. */
export function snapshotName(index: number, time: number): string {
  return `frame-${String(index).padStart(2, '0')}-at-${Number(time.toFixed(3))}s.png`;
}

/** How `captureSnapshots()` picks its times, opens the preview session, and where it writes. */
export interface SnapshotOptions extends SnapshotTimesOptions, PreviewSessionOptions {
  /** The directory the stills go into (created). */
  outDir: string;
}

/** What `captureSnapshots()` wrote: the stills, the time in seconds of each (same order), and the contact sheets. */
export interface SnapshotResult {
  /** Absolute paths of the stills, in capture order. */
  files: string[];
  times: number[];
  /** The contact sheets written. */
  sheets: string[];
}

/** Captures the stills of `input` into `options.outDir`, then the contact sheet(s). */
export async function captureSnapshots(input: string, options: SnapshotOptions): Promise<SnapshotResult> {
  const session = await PreviewSession.open(input, options);
  const files: string[] = [];
  let times: number[];
  try {
    times = snapshotTimes(session.info.duration, options);
    await mkdir(options.outDir, { recursive: true });
    for (const old of await readdir(options.outDir)) {
      if (/^frame-\d+-at-.*\.png$|^contact-sheet(?:-\d+)?\.jpg$/.test(old)) await rm(path.join(options.outDir, old), { force: true });
    }
    for (const [i, time] of times.entries()) {
      const { png } = await session.frame(time);
      const file = path.join(options.outDir, snapshotName(i, time));
      await writeFile(`${file}.partial`, png);
      await rename(`${file}.partial`, file);
      files.push(file);
    }
  } finally {
    await session.close();
  }
  const sheets: string[] = [];
  for (let page = 0; page * SHEET_PAGE < files.length; page++) {
    const sheet = path.join(options.outDir, page === 0 ? 'contact-sheet.jpg' : `contact-sheet-${page + 1}.jpg`);
    await contactSheet(files.slice(page * SHEET_PAGE, (page + 1) * SHEET_PAGE), sheet, session.info.width, session.info.height);
    sheets.push(sheet);
  }
  return { files, times, sheets };
}

/** Stills per contact sheet, cells per row, cell width, label band height and gaps, as HyperFrames lays them out. */
const SHEET_PAGE = 9;
const SHEET_COLS = 3;
const CELL_W = 600;
const LABEL_H = 26;
const GAP = 4;
const SHEET_BG = '0x1a1a1a';

/** One sheet of `stills` (all `width`×`height`): each scaled to CELL_W wide under an empty label band, tiled. */
async function contactSheet(stills: string[], out: string, width: number, height: number): Promise<void> {
  const cellH = Math.max(2, Math.round((height * CELL_W) / width / 2) * 2);
  const rows = Math.ceil(stills.length / SHEET_COLS);
  const cols = Math.min(SHEET_COLS, stills.length);
  const cells = stills.map(
    (_, i) => `[${i}:v]scale=${CELL_W}:${cellH},format=rgb24,pad=${CELL_W}:${cellH + LABEL_H}:0:${LABEL_H}:${SHEET_BG}[c${i}]`,
  );
  const graph = `${cells.join(';')};${stills.map((_, i) => `[c${i}]`).join('')}concat=n=${stills.length}:v=1,tile=${cols}x${rows}:padding=${GAP}:margin=${GAP}:color=${SHEET_BG}`;
  const partial = `${out}.partial.jpg`;
  await runFfmpeg(
    ['-v', 'error', '-y', ...stills.flatMap((s) => ['-i', s]), '-filter_complex', graph, '-frames:v', '1', '-q:v', '3', partial],
    { timeoutMs: 60_000 },
  );
  await rename(partial, out);
}
