/** A planned render's frame range cut into chunks, and what a chunk reports back: plain data. */
import { randomBytes } from 'node:crypto';
import type { SharedFramesStats } from '../extract/shared-frames.js';
import type { RenderWarning } from '../warnings.js';

/** One chunk of a planned render: `count` frames from composition frame `first`. */
export interface ChunkJob {
  planHash: string;
  /** The render this chunk belongs to: its segments go to `<storage>/renders/<renderId>/`. */
  renderId: string;
  index: number;
  first: number;
  count: number;
}

/** What a rendered chunk reports back: the segment it wrote, its frame count, its warnings and timings. */
export interface ChunkResult {
  /** The segment's file (or directory) name inside the render's directory. */
  segment: string;
  frames: number;
  warnings: RenderWarning[];
  /** ms: load (plan checked, pages ready), frames (from the start until the video frames were had), capture, flush (encoder end), total. */
  timings: Record<string, number>;
  /** Whether the chunk's pages drew with WebGL (a page refused it mid-capture captured again with it). */
  webgl?: boolean;
  /** Frames by a screenshot and reused unchanged (RenderResult.capture). */
  capture?: { captured: number; reused: number };
  /** True when the chunk ran in a capture session (browsers, loaded pages) kept from an earlier chunk of its plan (src/render/chunk-session.ts). */
  sessionReused?: boolean;
  /**
   * How the chunk obtained its video frames, in windows (src/extract/shared-frames.ts): needed, found
   * published, decoded here, waited for, taken over; ffmpeg processes run and frames they wrote.
   */
  videoFrames?: SharedFramesStats;
  /** An incremental chunk (src/render/incremental.ts): its key, and whether its segment came from the cache. */
  incremental?: ChunkIncrementalReport;
}

/** What a chunk reports of its incremental work (src/render/incremental.ts), summed into `RenderResult.incremental`. */
export interface ChunkIncrementalReport {
  /** The chunk's key, null when a frame could not be fingerprinted (see `dirty`). */
  key: string | null;
  /** True when its segment came from the cache (nothing captured or encoded). */
  reused: boolean;
  /** Frames seeked and fingerprinted without a screenshot before deciding (0: the range had no record, or the whole render hit). */
  checked: number;
  /** Why a frame could not be fingerprinted, when one could not. */
  dirty?: string;
  /** Milliseconds the pages spent fingerprinting, summed (real time, measured in the page). */
  pageMs: number;
}

/** Default frames per chunk: 8 s at 30 fps, so a chunk's fixed cost (browser, page, encoder) stays small beside its capture. */
export const DEFAULT_CHUNK_FRAMES = 240;

/**
 * A new name for chunk `index`'s segment in a render's segment directory: `chunk-00003-<8 hex>` plus
 * `.ext` (none for a segment that is a directory of images). Each try gets its own name, so the
 * assembler takes exactly the names the finished chunks reported.
 */
export function segmentFileName(index: number, ext: string): string {
  return `chunk-${String(index).padStart(5, '0')}-${randomBytes(4).toString('hex')}${ext ? `.${ext}` : ''}`;
}

/** `count` frames from `first` in chunks of `size` (the last one shorter). */
export function splitChunks(planHash: string, renderId: string, range: { first: number; count: number }, size: number): ChunkJob[] {
  const jobs: ChunkJob[] = [];
  for (let offset = 0; offset < range.count; offset += size) {
    jobs.push({ planHash, renderId, index: jobs.length, first: range.first + offset, count: Math.min(size, range.count - offset) });
  }
  return jobs;
}
