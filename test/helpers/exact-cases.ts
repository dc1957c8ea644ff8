/**
 * The exact-frame cases both decode paths must pass (test/extract/exact.test.ts through the extraction
 * engine, test/stages/page-decode-exact.test.ts through the page's WebCodecs decoder): source media and
 * clips with non-aligned trims, rates 0.5–2, 24/25/60 fps and 30000/1001 sources into other rates, VFR,
 * sparse keyframes (trims on, just before and just after one), a non-zero stream start, VP9 (WebM's
 * millisecond timestamps).
 */
import type { IndexedVideoOptions } from './frame-media.js';

const base = { width: 160, height: 96 } as const;
export const sources: Record<string, IndexedVideoOptions> = {
  c30: { ...base, fps: 30, frames: 90, codec: 'h264' },
  c24: { ...base, fps: 24, frames: 72, codec: 'h264' },
  c25: { ...base, fps: 25, frames: 75, codec: 'h264' },
  c60: { ...base, fps: 60, frames: 180, codec: 'h264' },
  ntsc: { ...base, fps: '30000/1001', frames: 90, codec: 'h264' },
  vfr: { ...base, fps: 30, frames: 90, codec: 'h264', vfr: 'pattern' },
  sparse: { ...base, fps: 30, frames: 300, codec: 'h264', gop: 250 },
  offset: { ...base, fps: 30, frames: 60, codec: 'h264', startTime: 1.4 },
  vp9: { ...base, fps: 30, frames: 60, codec: 'vp9' },
};

/** One clip: its source, trim, seconds on screen, playback rate and the render's rate. */
export interface Case {
  name: string;
  src: string;
  mediaStart: number;
  duration: number;
  rate: number;
  fps: number | string;
}

export const cases: Case[] = [
  { name: '30 in 30 from 0', src: 'c30', mediaStart: 0, duration: 1, rate: 1, fps: 30 },
  { name: '30 in 30, non-aligned trim 0.51', src: 'c30', mediaStart: 0.51, duration: 1, rate: 1, fps: 30 },
  { name: '30 in 30, trim 1.3 ms before a frame', src: 'c30', mediaStart: 1.332, duration: 0.5, rate: 1, fps: 30 },
  { name: 'rate 0.5', src: 'c30', mediaStart: 0.37, duration: 1.2, rate: 0.5, fps: 30 },
  { name: 'rate 1.5', src: 'c30', mediaStart: 0.2, duration: 1.1, rate: 1.5, fps: 30 },
  { name: 'rate 2', src: 'c30', mediaStart: 0.05, duration: 1.2, rate: 2, fps: 30 },
  { name: '24 in 30', src: 'c24', mediaStart: 0.3, duration: 2, rate: 1, fps: 30 },
  { name: '25 in 30, rate 1.5', src: 'c25', mediaStart: 0.11, duration: 1.5, rate: 1.5, fps: 30 },
  { name: '60 in 30', src: 'c60', mediaStart: 0.27, duration: 2, rate: 1, fps: 30 },
  { name: '60 in 30, rate 0.5', src: 'c60', mediaStart: 1.01, duration: 1, rate: 0.5, fps: 30 },
  { name: '30000/1001 in 30000/1001', src: 'ntsc', mediaStart: 0.5, duration: 2, rate: 1, fps: '30000/1001' },
  { name: '30000/1001 in 30', src: 'ntsc', mediaStart: 0, duration: 2.5, rate: 1, fps: 30 },
  { name: '30 in 30000/1001, rate 1.5', src: 'c30', mediaStart: 0.4, duration: 1.5, rate: 1.5, fps: '30000/1001' },
  { name: '30 in 24', src: 'c30', mediaStart: 0.123, duration: 2, rate: 1, fps: 24 },
  { name: 'VFR in 30', src: 'vfr', mediaStart: 0, duration: 2.5, rate: 1, fps: 30 },
  { name: 'VFR in 60, trim 0.41', src: 'vfr', mediaStart: 0.41, duration: 1.5, rate: 1, fps: 60 },
  { name: 'VFR rate 1.5', src: 'vfr', mediaStart: 0.2, duration: 1, rate: 1.5, fps: 30 },
  { name: 'sparse keyframes, trim before keyframe', src: 'sparse', mediaStart: 7.93, duration: 1, rate: 1, fps: 30 },
  { name: 'sparse keyframes, trim after keyframe', src: 'sparse', mediaStart: 8.52, duration: 0.8, rate: 1, fps: 30 },
  // Inexact input seeking lands on the keyframe at or before mediaStart (frame 250 at 8.333 s): a trim
  // exactly on it, a hair before it (frame 249 still on screen) and a hair after.
  { name: 'sparse keyframes, trim exactly on the keyframe', src: 'sparse', mediaStart: 250 / 30, duration: 0.5, rate: 1, fps: 30 },
  { name: 'sparse keyframes, trim 2 ms before the keyframe', src: 'sparse', mediaStart: 250 / 30 - 0.002, duration: 0.5, rate: 1, fps: 30 },
  {
    name: 'sparse keyframes, trim 2 ms after the keyframe, rate 1.5',
    src: 'sparse',
    mediaStart: 250 / 30 + 0.002,
    duration: 0.5,
    rate: 1.5,
    fps: 30,
  },
  { name: 'non-zero stream start', src: 'offset', mediaStart: 0, duration: 1, rate: 1, fps: 30 },
  { name: 'non-zero stream start, trim 0.7 rate 1.5', src: 'offset', mediaStart: 0.7, duration: 0.6, rate: 1.5, fps: 30 },
  { name: 'non-zero stream start with an input seek (trim 1.37)', src: 'offset', mediaStart: 1.37, duration: 0.5, rate: 1, fps: 30 },
  { name: 'VFR, trim 2.05 rate 0.5', src: 'vfr', mediaStart: 2.05, duration: 1, rate: 0.5, fps: 30 },
  { name: 'sparse keyframes, rate 2 from 5.55', src: 'sparse', mediaStart: 5.55, duration: 1, rate: 2, fps: 30 },
  { name: 'vp9 in 30, trim 0.45', src: 'vp9', mediaStart: 0.45, duration: 1, rate: 1, fps: 30 },
  // WebM timestamps are whole milliseconds: a same-rate clip must still show every frame once.
  { name: 'vp9 30 in 30 from 0 shows every frame', src: 'vp9', mediaStart: 0, duration: 1.5, rate: 1, fps: 30 },
  { name: 'vp9 in 60000/1001, rate 0.5', src: 'vp9', mediaStart: 0.3, duration: 1, rate: 0.5, fps: '60000/1001' },
];
