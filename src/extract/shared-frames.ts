/**
 * Video frames shared by the chunks of planned renders through the render's storage (a shared directory
 * or an S3 bucket, src/storage/): a chunk obtains the frames its range shows window by window
 * (windows.ts), and every window is decoded once for all workers, renders and plans that show it.
 *
 * ```
 * <storage>/frames/<window key>/manifest.json    written last: the window is published
 *                              /000064.jpg …      its frames, named by recipe slot
 * <storage>/frames/.claims/<window key>/<n>      who decodes it (generation n)
 * ```
 *
 * For each window a chunk needs: a published window is used (S3: its frames downloaded into this
 * machine's mirror); else the chunk claims it — creating generation 1 of its claim, atomically (an
 * exclusive create in a directory, a conditional PUT in a bucket), so of two workers wanting it at
 * once exactly one decodes; the other waits for the manifest instead of decoding. Why claims in the
 * storage and not in Redis: the storage is there in every mode (a local planned render has no Redis,
 * `renderChunk` may be called with a storage alone), and it is where the frames are published.
 *
 * The claimant rewrites its claim every `beatMs` while it decodes. A waiter decides that a claim is
 * dead when its content has not changed for `staleMs` by the waiter's own clock — never by comparing
 * another machine's timestamps, so clock skew between machines cannot expire a live claim — and then
 * creates the next generation: again exactly one waiter wins. A worker killed mid-decode thus delays
 * its window by `staleMs`, and loses nothing. Published windows are immutable; the claims go once the
 * window is published (or the decode failed, so a waiter may try).
 *
 * A published frame whose size is not its manifest's (damaged storage) makes the window unpublished:
 * it is removed and decoded again.
 *
 * With a local frame cache (`options.cache`: src/cache/, given when the storage is not a shared
 * directory, whose files are local already), a window is looked up there first, and a window this
 * machine decoded or downloaded is published there too (hardlinks), under the same key: a later chunk
 * here uses it without the storage, after the mirror dropped it.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, link, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CacheWriter, FrameCache } from '../cache/store.js';
import { getTools } from '../media/tools.js';
import type { RenderStorage } from '../storage/storage.js';
import { ExtractError, toExtractError } from './errors.js';
import { framePath } from './pass.js';
import type { ExtractionPlan } from './plan.js';
import { consecutiveRuns, decodeSlots, fileSizes, windowKey, windowRecipe, windowSlots, windowsOf, WINDOW_SLOTS } from './windows.js';

/** One recipe whose frames a chunk needs: the plan of its extraction and where its source comes from. */
export interface SharedRecipe {
  /** Names the video in errors (its element's label). */
  videoId: string;
  /** The extraction, its `source` a local path that `ensureSource` makes present. */
  plan: ExtractionPlan;
  /** The source's content identity (`sha256:<hex>`). */
  sourceId: string;
  /** Brings the source file to `plan.source` (called only before this machine decodes). */
  ensureSource(): Promise<void>;
}

/** How often a claimant rewrites its claim, after how long unchanged a waiter takes it over, how often a waiter looks (ms). */
export interface ClaimTimings {
  beatMs: number;
  staleMs: number;
  pollMs: number;
}

/** Default claim timings: a beat a second, dead after 10 s unchanged, looked at every 150 ms. */
export const CLAIM_TIMINGS: ClaimTimings = Object.freeze({ beatMs: 1000, staleMs: 10_000, pollMs: 150 });

/** Options of `obtainFrames`: the render's storage, a local frame cache, a cancel signal, and the claim timings (default `CLAIM_TIMINGS`). */
export interface SharedFramesOptions {
  storage: RenderStorage;
  /** Looked up first, and given what this machine decoded or downloaded; the caller closes it once the frames are read. */
  cache?: FrameCache | null;
  signal?: AbortSignal;
  timings?: ClaimTimings;
}

/** What one chunk's frame fetching did, window by window; every field a count. */
export interface SharedFramesStats {
  /** Windows needed. */
  windows: number;
  /** Found in this machine's frame cache. */
  cached: number;
  /** Found published (by another worker, an earlier chunk or an earlier render). */
  found: number;
  /** Decoded here. */
  decoded: number;
  /** Decoded by another worker while this one waited. */
  waited: number;
  /** Claims of a worker gone silent taken over (then decoded here). */
  takenOver: number;
  /** ffmpeg processes run here. */
  passes: number;
  /** Frames they wrote. */
  framesExtracted: number;
}

/** Fresh zero counters. */
export function sharedFramesStats(): SharedFramesStats {
  return { windows: 0, cached: 0, found: 0, decoded: 0, waited: 0, takenOver: 0, passes: 0, framesExtracted: 0 };
}

/** A published window's manifest. */
interface Manifest {
  schema: 1;
  /** Recipe slot of the first frame. */
  first: number;
  /** Frames in slot order (fewer than the window's slots when the media ends sooner; none past it). */
  frames: Array<{ name: string; size: number }>;
}

interface Claim {
  gen: number;
  text: string | null;
}

const claimDir = (key: string) => `frames/.claims/${key}`;

/**
 * The local file of each of `slots` (frame indices of the recipe, 0 … frameCount − 1), obtained as the
 * module comment says; `stats` is added to. A slot past the frames a truncated source gave shows the
 * last frame before it. Throws an `ExtractError` naming the video.
 */
export async function obtainFrames(
  recipe: SharedRecipe,
  slots: Iterable<number>,
  options: SharedFramesOptions,
  stats: SharedFramesStats,
): Promise<Map<number, string>> {
  const fetcher = new WindowFetcher(recipe, options, stats, (await getTools()).major);
  const wanted = [...new Set(slots)];
  const result = new Map<number, string>();
  let need = windowsOf(wanted);
  while (need.length > 0) {
    await fetcher.resolve(need);
    need = [];
    for (const slot of wanted) {
      if (result.has(slot)) continue;
      // A window with fewer frames than slots (the media ended): the last frame before the slot.
      let index = Math.floor(slot / WINDOW_SLOTS);
      let frames = fetcher.frames(index);
      while (frames && frames.length === 0 && index > 0) frames = fetcher.frames(--index);
      if (!frames) {
        need.push(index);
        continue;
      }
      if (frames.length === 0)
        throw new ExtractError('zero_output', `ffmpeg wrote no frames for ${recipe.plan.source}; check that the file is not damaged`, {
          videoId: recipe.videoId,
          file: recipe.plan.source,
        });
      const first = index * WINDOW_SLOTS;
      result.set(slot, frames[Math.min(slot - first, frames.length - 1)]!);
    }
    need = [...new Set(need)];
  }
  return result;
}

/** The windows of one recipe a chunk fetched, claimed, decoded or waited for. */
class WindowFetcher {
  private readonly done = new Map<number, string[]>();
  private readonly token = `${os.hostname()} ${process.pid} ${randomBytes(4).toString('hex')}`;
  private readonly timings: ClaimTimings;

  constructor(
    private readonly recipe: SharedRecipe,
    private readonly options: SharedFramesOptions,
    private readonly stats: SharedFramesStats,
    private readonly ffmpegMajor: number,
  ) {
    this.timings = options.timings ?? CLAIM_TIMINGS;
  }

  /** The local frames of window `index` once resolved (undefined before). */
  frames(index: number): string[] | undefined {
    return this.done.get(index);
  }

  /** Resolves `indices` (published, decoded here, or decoded by another worker meanwhile). */
  async resolve(indices: readonly number[]): Promise<void> {
    const todo = indices.filter((i) => !this.done.has(i));
    this.stats.windows += todo.length;
    const keys = new Map(todo.map((i) => [i, windowKey(this.recipe.plan, this.recipe.sourceId, i, this.ffmpegMajor)]));
    const others = new Map<number, Claim & { since: number }>();
    const mine: Array<{ index: number; gen: number }> = [];
    for (const index of todo) {
      const key = keys.get(index)!;
      if (await this.cached(index, key)) {
        this.stats.cached++;
        continue;
      }
      if (await this.published(index, key)) {
        this.stats.found++;
        continue;
      }
      const claim = await this.claim(key, 1);
      if (claim === null) mine.push({ index, gen: 1 });
      else others.set(index, { ...claim, since: performance.now() });
    }
    await this.decode(mine, keys);
    while (others.size > 0) {
      await sleep(this.timings.pollMs, undefined, { signal: this.options.signal }).catch(() => this.cancelled());
      for (const [index, seen] of others) {
        const key = keys.get(index)!;
        if (await this.published(index, key)) {
          this.stats.waited++;
          others.delete(index);
          continue;
        }
        const now = await this.current(key);
        if (now === null || (now.gen === seen.gen && now.text === seen.text && performance.now() - seen.since > this.timings.staleMs)) {
          // No claim (its decode failed) or a silent one: the next generation, if no other waiter takes it first.
          const gen = now === null ? 1 : now.gen + 1;
          const lost = await this.claim(key, gen);
          if (lost === null) {
            if (now !== null) this.stats.takenOver++;
            others.delete(index);
            await this.decode([{ index, gen }], keys);
          } else others.set(index, { ...lost, since: performance.now() });
        } else if (now.gen !== seen.gen || now.text !== seen.text) {
          others.set(index, { ...now, since: performance.now() });
        }
      }
    }
  }

  private cancelled(): never {
    throw new ExtractError('cancelled', `extraction of ${this.recipe.plan.source} was cancelled`, {
      videoId: this.recipe.videoId,
      file: this.recipe.plan.source,
    });
  }

  /**
   * Takes generation `gen` of `key`'s claim: null when this worker now holds it, else the claim that
   * is there (its highest generation and text).
   */
  private async claim(key: string, gen: number): Promise<Claim | null> {
    if (await this.options.storage.createShared(`${claimDir(key)}/${gen}`, `${this.token} 0\n`)) return null;
    return (await this.current(key)) ?? { gen, text: null };
  }

  /** The highest generation of `key`'s claim and its text, or null when there is none. */
  private async current(key: string): Promise<Claim | null> {
    const gens = (await this.options.storage.listShared(claimDir(key))).map(Number).filter((n) => Number.isInteger(n) && n > 0);
    if (gens.length === 0) return null;
    const gen = Math.max(...gens);
    return { gen, text: await this.options.storage.readShared(`${claimDir(key)}/${gen}`).catch(() => null) };
  }

  /** Whether window `index` is published; if so its frames are here and recorded. A damaged one is removed. */
  private async published(index: number, key: string): Promise<boolean> {
    const { storage } = this.options;
    const text = await storage.readShared(`frames/${key}/manifest.json`);
    if (text === null) return false;
    let manifest: Manifest;
    try {
      manifest = JSON.parse(text) as Manifest;
      if (!Array.isArray(manifest.frames)) throw new SyntaxError('no frames');
    } catch {
      // Damaged: unpublished, as a frame of the wrong size is (below).
      await storage.removeShared([`frames/${key}/manifest.json`]);
      return false;
    }
    const rels = manifest.frames.map((f) => `frames/${key}/${f.name}`);
    await storage.fetchShared(rels);
    const files = rels.map((rel) => path.join(storage.root, ...rel.split('/')));
    const sizes = await fileSizes(files);
    if (sizes.some((size, i) => size !== manifest.frames[i]!.size)) {
      await storage.removeShared([`frames/${key}/manifest.json`]);
      await storage.removeShared([`frames/${key}`]);
      return false;
    }
    this.done.set(index, files);
    await this.remember(index, key, files);
    return true;
  }

  /** Whether this machine's frame cache has window `index` (then leased and recorded). */
  private async cached(index: number, key: string): Promise<boolean> {
    const entry = await this.options.cache?.lookup(key).catch(() => null);
    if (!entry) return false;
    this.done.set(index, entry.frames);
    return true;
  }

  /** Publishes `files` (window `index`'s frames) into the frame cache, if there is one; a failure only skips it. */
  private async remember(index: number, key: string, files: readonly string[]): Promise<void> {
    const { cache } = this.options;
    if (!cache || files.length === 0) return;
    let writer: CacheWriter | undefined;
    try {
      writer = await cache.beginWrite(key);
      for (const file of files)
        await link(file, path.join(writer.dir, path.basename(file))).catch(() =>
          copyFile(file, path.join(writer!.dir, path.basename(file))),
        );
      await cache.publish(writer, {
        frames: files.map((f) => path.basename(f)),
        sourceId: this.recipe.sourceId,
        recipe: windowRecipe(this.recipe.plan, index, this.ffmpegMajor),
        meta: { source: path.basename(this.recipe.plan.source) },
      });
    } catch {
      if (writer) await cache.abort(writer).catch(() => undefined);
    }
  }

  /** Decodes the windows claimed here (runs of consecutive ones in one process each) and publishes them. */
  private async decode(claimed: ReadonlyArray<{ index: number; gen: number }>, keys: Map<number, string>): Promise<void> {
    if (claimed.length === 0) return;
    const { storage, signal } = this.options;
    const { plan } = this.recipe;
    let beat = 0;
    const heartbeat = setInterval(() => {
      beat++;
      for (const c of claimed)
        void storage.writeShared(`${claimDir(keys.get(c.index)!)}/${c.gen}`, `${this.token} ${beat}\n`).catch(() => {});
    }, this.timings.beatMs);
    const scratch = path.join(storage.root, 'frames', `.building-${randomBytes(6).toString('hex')}`);
    try {
      // Another worker may have published between the look and the claim.
      const todo: number[] = [];
      for (const c of claimed) if (!(await this.published(c.index, keys.get(c.index)!))) todo.push(c.index);
      this.stats.found += claimed.length - todo.length;
      if (todo.length === 0) return;
      await this.recipe.ensureSource();
      await mkdir(scratch, { recursive: true });
      for (const run of consecutiveRuns(todo)) {
        const first = windowSlots(run[0]!, plan.frameCount).first;
        const count = run.reduce((sum, i) => sum + windowSlots(i, plan.frameCount).count, 0);
        const written = await decodeSlots(plan, first, count, scratch, { signal, videoId: this.recipe.videoId }).catch((error: unknown) => {
          throw toExtractError(error, this.recipe.videoId, plan.source);
        });
        this.stats.passes++;
        this.stats.framesExtracted += written;
        for (const index of run) await this.publish(index, keys.get(index)!, scratch, first + written);
        this.stats.decoded += run.length;
      }
    } finally {
      clearInterval(heartbeat);
      await rm(scratch, { recursive: true, force: true }).catch(() => {});
      await storage.removeShared(claimed.map((c) => `${claimDir(keys.get(c.index)!)}/${c.gen}`));
    }
  }

  /** Moves window `index`'s frames (slots before `end`) out of `scratch` into its folder and publishes it, manifest last. */
  private async publish(index: number, key: string, scratch: string, end: number): Promise<void> {
    const { storage } = this.options;
    const { plan } = this.recipe;
    const { first, count } = windowSlots(index, plan.frameCount);
    const dir = path.join(storage.root, 'frames', key);
    await mkdir(dir, { recursive: true });
    const names: string[] = [];
    for (let slot = first; slot < Math.min(first + count, end); slot++) {
      const name = path.basename(framePath(scratch, slot, plan.format));
      await rename(path.join(scratch, name), path.join(dir, name));
      names.push(name);
    }
    const files = names.map((n) => path.join(dir, n));
    const sizes = await fileSizes(files);
    await storage.publishShared(names.map((n) => `frames/${key}/${n}`));
    const manifest: Manifest = { schema: 1, first, frames: names.map((name, i) => ({ name, size: sizes[i]! })) };
    const temp = path.join(dir, `.manifest-${randomBytes(4).toString('hex')}.tmp`);
    await writeFile(temp, `${JSON.stringify(manifest)}\n`);
    await rename(temp, path.join(dir, 'manifest.json'));
    await storage.publishShared([`frames/${key}/manifest.json`]);
    this.done.set(index, files);
    await this.remember(index, key, files);
  }
}
