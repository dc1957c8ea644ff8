/**
 * Locating ffmpeg/ffprobe, checking their version, and running them through a bounded pool.
 *
 * `FRAMESMITH_FFMPEG` / `FRAMESMITH_FFPROBE` override the binaries; otherwise they are found on PATH.
 * The version check runs once per process (memoized) and fails with a `ToolUnavailableError` that
 * says what to install.
 */
import { FramesmithError } from '../errors.js';
import os from 'node:os';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { fileKey, readStoredProbe, writeStoredProbe } from './probe-store.js';
import pLimit, { type LimitFunction } from 'p-limit';
import { ProcessError, runProcess, startProcess, type ProcessResult, type RunOptions, type RunningProcess } from './process.js';

/** The oldest ffmpeg release supported (5.1); an older ffmpeg gives `ToolUnavailableError`. */
export const MIN_FFMPEG_VERSION = { major: 5, minor: 1 } as const;

/** ffmpeg or ffprobe is missing or older than we support. */
export class ToolUnavailableError extends FramesmithError<'tool_unavailable', { tool: 'ffmpeg' | 'ffprobe' }> {
  override readonly name = 'ToolUnavailableError';
}

/**
 * What `getTools()` found: the commands run (FRAMESMITH_FFMPEG / FRAMESMITH_FFPROBE, else the bare names
 * resolved on PATH) and ffmpeg's version (ffprobe is assumed to match). A build that prints no release
 * number (git snapshot) reports version "snapshot", major 99.
 */
export interface ToolInfo {
  ffmpegPath: string;
  ffprobePath: string;
  /** e.g. "5.1.9-0+deb12u1" */
  version: string;
  major: number;
  minor: number;
}

const INSTALL_HINT =
  'install ffmpeg >= 5.1 (Debian/Ubuntu: `sudo apt-get install ffmpeg`, or run scripts/setup.sh) or set FRAMESMITH_FFMPEG/FRAMESMITH_FFPROBE';

let toolInfo: Promise<ToolInfo> | undefined;

/** Parses the version out of `ffmpeg -version`'s first line; `null` for builds that print none (git snapshots). */
export function parseFfmpegVersion(firstLine: string): { version: string; major: number; minor: number } | null {
  const match = /version\s+n?(\d+)\.(\d+)(\S*)/.exec(firstLine);
  if (!match) return null;
  return { version: `${match[1]}.${match[2]}${match[3]}`, major: Number(match[1]), minor: Number(match[2]) };
}

/** `name` as the shell would find it on PATH (an absolute or relative path is taken as it is). */
export async function locate(name: string): Promise<string | null> {
  if (name.includes('/')) return name;
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** Throws `ToolUnavailableError` unless `path` names an executable (on PATH, or as given). */
async function requireExecutable(tool: 'ffmpeg' | 'ffprobe', path: string): Promise<void> {
  const located = await locate(path);
  const ok =
    located !== null &&
    (await access(located, constants.X_OK).then(
      () => true,
      () => false,
    ));
  if (!ok) throw new ToolUnavailableError('tool_unavailable', `${tool} was not found (${path}): ${INSTALL_HINT}`, { tool });
}

/**
 * The tool's version: from the probe store when this very binary (path, inode, size, mtime) was
 * asked before, so a warm run in a new process spawns no `-version`; else from `-version`.
 */
async function probeTool(tool: 'ffmpeg' | 'ffprobe', path: string): Promise<{ version: string; major: number; minor: number }> {
  const located = await locate(path);
  const key = located ? await fileKey(located).catch(() => null) : null;
  const stored = key ? await readStoredProbe<{ version: string; major: number; minor: number }>('tool-version', key) : undefined;
  if (stored) return stored;
  const info = await runVersion(tool, path);
  if (key) await writeStoredProbe('tool-version', key, info);
  return info;
}

async function runVersion(tool: 'ffmpeg' | 'ffprobe', path: string): Promise<{ version: string; major: number; minor: number }> {
  let result: ProcessResult;
  try {
    result = await runProcess(path, ['-hide_banner', '-version'], { timeoutMs: 15_000 });
  } catch (error) {
    const why = error instanceof ProcessError && error.code === 'spawn' ? `${tool} was not found (${path})` : `${tool} -version failed`;
    throw new ToolUnavailableError('tool_unavailable', `${why}: ${INSTALL_HINT}`, { tool }, { cause: error });
  }
  const parsed = parseFfmpegVersion(result.stdout.split('\n')[0] ?? '');
  // Snapshot builds ("version N-12345-g...") carry no release number; assume they are recent.
  const info = parsed ?? { version: 'snapshot', major: 99, minor: 0 };
  const tooOld =
    info.major < MIN_FFMPEG_VERSION.major || (info.major === MIN_FFMPEG_VERSION.major && info.minor < MIN_FFMPEG_VERSION.minor);
  if (tooOld)
    throw new ToolUnavailableError('tool_unavailable', `${tool} ${info.version} is too old (need >= 5.1): ${INSTALL_HINT}`, { tool });
  return info;
}

/** Finds ffmpeg and ffprobe and checks their versions, once per process. */
export function getTools(): Promise<ToolInfo> {
  toolInfo ??= (async () => {
    const ffmpegPath = process.env.FRAMESMITH_FFMPEG || 'ffmpeg';
    const ffprobePath = process.env.FRAMESMITH_FFPROBE || 'ffprobe';
    // ffprobe ships with ffmpeg (one version): found is enough, no second `-version` to wait for.
    const [ffmpeg] = await Promise.all([probeTool('ffmpeg', ffmpegPath), requireExecutable('ffprobe', ffprobePath)]);
    return { ffmpegPath, ffprobePath, ...ffmpeg };
  })();
  // A failed lookup is not cached: the user may install ffmpeg and retry in the same process (the API).
  toolInfo.catch(() => {
    toolInfo = undefined;
  });
  return toolInfo;
}

/**
 * Default process concurrency: the machine's cores plus one. An ffmpeg pass filters and encodes in one
 * serial loop, so a pass running alone keeps about 1.2 cores busy; with one process per core, the last
 * pass of a batch leaves cores idle. One more process fills them: on 2 cores, the bench's 3-clip layout
 * (one 1080p clip and two PiPs) measured 5% faster with 3 at once than with 2 (medians of 8, interleaved).
 */
export function defaultConcurrency(): number {
  return Math.max(1, os.availableParallelism()) + 1;
}

let sharedPool: LimitFunction | undefined;

/** The process-wide pool that bounds how many ffmpeg processes run at once. */
export function ffmpegPool(concurrency?: number): LimitFunction {
  if (concurrency !== undefined) return pLimit(Math.max(1, concurrency));
  sharedPool ??= pLimit(defaultConcurrency());
  return sharedPool;
}

/** Runs ffmpeg with `-nostdin -hide_banner` prepended. */
export async function runFfmpeg(args: readonly string[], options: RunOptions = {}): Promise<ProcessResult> {
  const { ffmpegPath } = await getTools();
  return runProcess(ffmpegPath, ['-nostdin', '-hide_banner', ...args], options);
}

/** Starts ffmpeg for streaming (e.g. frames piped into an encoder). `-nostdin` is added unless stdin is piped. */
export async function startFfmpeg(args: readonly string[], options: RunOptions = {}): Promise<RunningProcess> {
  const { ffmpegPath } = await getTools();
  const prefix = options.stdin === 'pipe' ? ['-hide_banner'] : ['-nostdin', '-hide_banner'];
  return startProcess(ffmpegPath, [...prefix, ...args], options);
}

/** Process-wide counters (metrics, tests): ffprobe runs started. */
export const toolStats = { ffprobeRuns: 0 };

/** Runs ffprobe with `-hide_banner` prepended. */
export async function runFfprobe(args: readonly string[], options: RunOptions = {}): Promise<ProcessResult> {
  const { ffprobePath } = await getTools();
  toolStats.ffprobeRuns++;
  return runProcess(ffprobePath, ['-hide_banner', ...args], options);
}

let filterList: Promise<Set<string>> | undefined;

/**
 * Whether this ffmpeg build has the filter `name` (builds differ: `rubberband` needs librubberband).
 * The list is read once per process (`ffmpeg -filters`); a failure to read it counts as "absent".
 */
export async function ffmpegHasFilter(name: string): Promise<boolean> {
  filterList ??= runFfmpeg(['-filters'], { timeoutMs: 15_000 }).then(
    (result) => listedNames(result.stdout),
    () => new Set<string>(),
  );
  return (await filterList).has(name);
}

/** Names listed by `ffmpeg -encoders` / `-filters` (the second column of each entry line). */
export function listedNames(output: string): Set<string> {
  const names = new Set<string>();
  for (const line of output.split('\n')) {
    const match = /^\s*[A-Z.|]{2,8}\s+(\S+)\s/.exec(line);
    if (match?.[1]) names.add(match[1]);
  }
  return names;
}
