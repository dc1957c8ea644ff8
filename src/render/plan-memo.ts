/**
 * A whole-render hit without a browser: when nothing the last render read has changed, its segments
 * are assembled again without planning (incremental renders, src/render/incremental.ts).
 *
 * After an incremental planned render in this process, its record (`<cache>/segments/memos/<key>.json`)
 * keeps what it read and what it made:
 * - every file of the project directory as freezing lists them (src/plan/freeze.ts: `.git`,
 *   `node_modules`, media files, the output and the storage left out) and every other file the render
 *   read (the entry, sub-compositions, media, each file the page loaded), each with its SHA-256;
 * - the plan, the chunk keys of its segments in order, the audio mix (kept in the segment store as
 *   `audio-<sha256>.<ext>`), and what the render reported (warnings included).
 *
 * The record's key (`planMemoKey`) hashes the entry's path, every option that can change a frame or
 * the file (all but the output path, callbacks, workers and deadlines), the `FRAMESMITH_*` and
 * `PRODUCER_*` variables that can, every quality preset's encoder settings (`encoderSettingsPrint`),
 * and the identity (path, size, mtime) of ffmpeg, ffprobe and the browser. The next render with that key lists the project again and hashes every file: the same
 * files with the same content (none added, none removed) is a hit, and its segments are assembled
 * as they are — a page is deterministic in its inputs (the premise of every incremental render).
 *
 * Not recorded (the render plans as always): a render that fetched anything from the network (a
 * remote media file, a Google Fonts family). A file added outside the project that the page asked
 * for and did not find last time (an unknown path under a mounted package) is not noticed; nor are
 * the machine's own fonts (as for any incremental render).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { bundledPackage } from '../browser/bundled.js';
import { SYSTEM_BROWSERS } from '../browser/launch.js';
import { sourceIdentity } from '../cache/identity.js';
import type { SegmentStore } from '../cache/segments.js';
import { locate } from '../media/tools.js';
import { listProject } from '../plan/freeze.js';
import type { RenderPlan } from '../plan/types.js';
import { encoderSettingsPrint } from '../encode/video-args.js';
import { FRAMESMITH_VERSION } from '../version.js';
import { INCREMENTAL_VERSION } from './incremental.js';
import type { ResolvedRenderOptions } from './options.js';
import type { PlannedRender } from './plan.js';
import type { RenderWarning } from '../warnings.js';

/** A render's record (see the module comment). */
export interface PlanMemo {
  v: typeof INCREMENTAL_VERSION;
  planHash: string;
  plan: RenderPlan;
  /** One segment key per chunk, in frame order. */
  chunkKeys: string[];
  /** The audio mix in the segment store (`audio-<sha256>.<ext>`), or null without audio. */
  audio: { key: string; ext: string } | null;
  /** The project directory listed, and the absolute path and SHA-256 of every file read or listed. */
  rootDir: string;
  files: Array<[file: string, sha256: string]>;
  /** What the plan phase reported, and every warning of the render (plan and chunks). */
  result: PlannedRender['result'];
  warnings: RenderWarning[];
  /** The local files the render read (the output must not be one of them). */
  inputs: string[];
}

/** Options that decide nothing about the output's content (or are a per-run channel). */
const NOT_KEYED = new Set([
  'output',
  'signal',
  'onProgress',
  'onWarning',
  'onNotice',
  'workers',
  'workersChosen',
  'keepBrowsers',
  'deadlines',
  'cacheDir',
  'storage',
]);
/** Variables that decide nothing about the output's content. */
const ENV_NOT_KEYED = new Set(['FRAMESMITH_WORKERS', 'FRAMESMITH_KEEP_BROWSERS', 'FRAMESMITH_CACHE_DIR', 'FRAMESMITH_CACHE_MAX']);

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Path, size and mtime of `file`, or null when it is not there. */
async function identity(file: string | undefined): Promise<unknown> {
  if (!file) return null;
  const info = await stat(file).catch(() => null);
  return info ? [file, info.size, info.mtimeMs] : [file, null];
}

/**
 * What identifies the ffmpeg, ffprobe and browser a render would run, without running them: path,
 * size and mtime of each executable; the bundled browser by its package's version and digest.
 */
async function toolIdentities(options: ResolvedRenderOptions, env: NodeJS.ProcessEnv): Promise<unknown[]> {
  const ffmpeg = await locate(env.FRAMESMITH_FFMPEG || 'ffmpeg');
  const ffprobe = await locate(env.FRAMESMITH_FFPROBE || 'ffprobe');
  const explicit = options.browser ?? env.FRAMESMITH_BROWSER;
  let browser: unknown;
  if (explicit) browser = await identity(path.resolve(explicit));
  else {
    const bundled = await bundledPackage();
    if (bundled) browser = ['bundled', bundled.version, bundled.digest];
    else
      for (const candidate of SYSTEM_BROWSERS) {
        const info = await stat(candidate).catch(() => null);
        if (info) {
          browser = [candidate, info.size, info.mtimeMs];
          break;
        }
      }
  }
  return [await identity(ffmpeg ?? undefined), await identity(ffprobe ?? undefined), browser];
}

/** The record key of a render of `options` (see the module comment). */
export async function planMemoKey(options: ResolvedRenderOptions, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const keyed = Object.entries(options)
    .filter(([k, v]) => !NOT_KEYED.has(k) && typeof v !== 'function')
    .sort(([a], [b]) => (a < b ? -1 : 1));
  const vars = Object.entries(env)
    .filter(([k]) => (k.startsWith('FRAMESMITH_') || k.startsWith('PRODUCER_')) && !ENV_NOT_KEYED.has(k))
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return sha256(
    JSON.stringify({
      memo: INCREMENTAL_VERSION,
      framesmith: FRAMESMITH_VERSION,
      encoder: encoderSettingsPrint(),
      input: path.resolve(options.input),
      options: keyed,
      env: vars,
      tools: await toolIdentities(options, env),
    }),
  );
}

/** Files from this size on are hashed through the source identity memo (src/cache/identity.ts). */
const MEMOIZED_HASH_BYTES = 4 * 1024 * 1024;

/**
 * SHA-256 of a file's content (hex), or null when it cannot be read. A large file (a video) is hashed
 * as the extraction cache hashes sources: remembered in `memoDir` by its (device, inode, size, mtime),
 * read again only when those change — an unchanged render does not read its media again.
 */
async function hashFile(file: string, memoDir: string): Promise<string | null> {
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) return null;
  if (info.size >= MEMOIZED_HASH_BYTES)
    return sourceIdentity(file, { memoDir }).then(
      (id) => id.replace(/^sha256:/, ''),
      () => null,
    );
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  } catch {
    return null;
  }
  return hash.digest('hex');
}

/** Every file of the project as freezing lists it (see the module comment), absolute, sorted. */
async function projectFiles(rootDir: string, exclude: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  await listProject({ rootDir, exclude }, (file) => found.push(file));
  return found.sort();
}

/**
 * What a render read, as the record keeps it: the project's files and `inputs`, each with its
 * SHA-256; null when one cannot be read (no record then).
 */
export async function readFiles(
  rootDir: string,
  inputs: readonly string[],
  exclude: readonly string[],
  memoDir: string,
): Promise<Array<[string, string]> | null> {
  const listed = await projectFiles(rootDir, exclude);
  const all = [...new Set([...listed, ...inputs.map((f) => path.resolve(f))])].sort();
  const out: Array<[string, string]> = [];
  for (const file of all) {
    const hash = await hashFile(file, memoDir);
    if (hash === null) return null;
    out.push([file, hash]);
  }
  return out;
}

/**
 * The record `key` when every file it lists has the same content and the project holds no other file
 * (see the module comment), else null. `exclude`: the output and the storage, left out of the listing.
 */
export async function validPlanMemo(
  store: SegmentStore,
  key: string,
  exclude: readonly string[],
  memoDir: string,
): Promise<PlanMemo | null> {
  const memo = await store.readRecord<PlanMemo>('memos', key);
  if (!memo || memo.v !== INCREMENTAL_VERSION || !Array.isArray(memo.files) || !Array.isArray(memo.chunkKeys)) return null;
  const recorded = new Map(memo.files);
  const listed = await projectFiles(memo.rootDir, exclude).catch(() => null);
  if (!listed || listed.some((file) => !recorded.has(file))) return null;
  for (const [file, hash] of memo.files) if ((await hashFile(file, memoDir)) !== hash) return null;
  return memo;
}

/**
 * Records render `key` (see the module comment) when it can be assembled again: it used no network,
 * every chunk has a key, and every file it read can be read. The audio mix is kept in the store.
 * Resolves whether it was recorded; a failure is the caller's to report (a record is only a shortcut).
 */
export async function recordPlanMemo(
  store: SegmentStore,
  key: string,
  render: {
    planned: PlannedRender;
    chunkKeys: ReadonlyArray<string | null | undefined>;
    warnings: readonly RenderWarning[];
    exclude: readonly string[];
    /** The cache directory: where large files' hashes are remembered. */
    memoDir: string;
  },
): Promise<boolean> {
  const { planned, chunkKeys } = render;
  if (planned.network || !chunkKeys.every((k): k is string => typeof k === 'string')) return false;
  const files = await readFiles(planned.rootDir, planned.inputs, render.exclude, render.memoDir);
  if (!files) return false;
  const { plan, hash, dir } = planned.frozen;
  let audio: PlanMemo['audio'] = null;
  if (plan.audio) {
    const sha = plan.files.find((f) => f.path === plan.audio!.file)?.sha256;
    if (!sha) return false;
    audio = { key: `audio-${sha}`, ext: path.extname(plan.audio.file).slice(1) || 'audio' };
    if (!(await store.has(audio.key, audio.ext))) await store.put(audio.key, audio.ext, path.join(dir, ...plan.audio.file.split('/')));
  }
  const memo: PlanMemo = {
    v: INCREMENTAL_VERSION,
    planHash: hash,
    plan,
    chunkKeys: [...chunkKeys],
    audio,
    rootDir: planned.rootDir,
    files,
    result: planned.result,
    warnings: [...render.warnings],
    inputs: planned.inputs,
  };
  await store.writeRecord('memos', key, memo);
  return true;
}
