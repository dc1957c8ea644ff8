/**
 * Sane maxima of a composition. A render refuses, before it starts, work it could never finish (10^10
 * frames) or input that would crash the parser (markup nested so deep that walking it overflows the
 * stack): each a `CompositionError` with code `limit_exceeded` whose message names the attribute, the
 * element, the file and the limit.
 *
 * - Length: at most MAX_DURATION_S seconds (24 h, the cap HyperFrames puts on a distributed render) and at most
 *   MAX_FRAMES frames (24 h at 60 fps): checked whenever the length is settled (duration.ts), so a
 *   declared `data-duration`, the latest end of the timed elements and a page's timeline alike.
 * - Size: `data-width` / `data-height` of the root at most MAX_SIZE_PX (7680, 8K UHD, HyperFrames'
 *   cap on a distributed render's size).
 * - Markup: elements nested at most MAX_MARKUP_DEPTH deep in any HTML file (the entry, each
 *   sub-composition file, and the assembled document). Chromium's HTML parser stops nesting at 512
 *   levels (deeper elements become siblings), so deeper markup would not even be the page the
 *   timeline was read from; the limit leaves room for the levels sub-compositions add.
 * - Sub-compositions: `data-composition-src` nested at most MAX_SUB_COMPOSITION_DEPTH files deep.
 */
import type { HTMLElement } from 'node-html-parser';
import type { Rational } from '../media/rational.js';
import { CompositionError } from './errors.js';

/** Seconds: 24 h. */
export const MAX_DURATION_S = 86_400;
/** Frames: 24 h at 60 fps. */
export const MAX_FRAMES = 5_184_000;
/** Pixels, each of width and height. */
export const MAX_SIZE_PX = 7680;
/** Levels of element nesting in one HTML document (`<html>` is level 1). */
export const MAX_MARKUP_DEPTH = 256;
/** Files mounted inside files through `data-composition-src` (the entry's own hosts are level 1). */
export const MAX_SUB_COMPOSITION_DEPTH = 64;

/** `86400 s (24 h)` */
function hours(seconds: number): string {
  return `${seconds} s (${seconds / 3600} h)`;
}

/**
 * Throws `limit_exceeded` when an element of `document` sits deeper than MAX_MARKUP_DEPTH. Walks
 * iteratively (an explicit stack), so any depth the parser produced is measured without recursion.
 */
export function checkMarkupDepth(document: HTMLElement, file: string): void {
  const stack: Array<{ node: HTMLElement; depth: number }> = [{ node: document, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    for (const child of node.childNodes) {
      if (child.nodeType !== 1) continue;
      if (depth + 1 > MAX_MARKUP_DEPTH) {
        const tag = (child as HTMLElement).tagName?.toLowerCase() ?? 'element';
        throw new CompositionError(
          'limit_exceeded',
          `${file}: elements are nested more than ${MAX_MARKUP_DEPTH} levels deep (a <${tag}> at level ${depth + 1}), beyond the limit of ${MAX_MARKUP_DEPTH}: flatten the markup (Chromium itself stops nesting at 512)`,
          { file, element: tag },
        );
      }
      stack.push({ node: child as HTMLElement, depth: depth + 1 });
    }
  }
}

/** Throws `limit_exceeded` when `value` (pixels, from `attr` of `label`) exceeds MAX_SIZE_PX. */
export function checkSize(value: number, attr: string, label: string, file: string): void {
  if (value <= MAX_SIZE_PX) return;
  throw new CompositionError(
    'limit_exceeded',
    `${label} in ${file}: ${attr}="${value}" is larger than the limit of ${MAX_SIZE_PX} pixels: use at most ${attr}="${MAX_SIZE_PX}" (8K UHD is 7680x4320)`,
    { file, element: label },
  );
}

/**
 * Throws `limit_exceeded` when a composition without `data-width`/`data-height`, sized by its CSS,
 * measured larger than MAX_SIZE_PX a side in the page.
 */
export function checkMeasuredSize(width: number, height: number, file: string): void {
  if (width <= MAX_SIZE_PX && height <= MAX_SIZE_PX) return;
  throw new CompositionError(
    'limit_exceeded',
    `${file}: the composition measures ${width}x${height} in the page (sized by its CSS: the root has no data-width and data-height), larger than the limit of ${MAX_SIZE_PX} pixels a side: set data-width and data-height on the root, at most ${MAX_SIZE_PX}`,
    { file },
  );
}

/** What `checkLength` needs of a composition (a subset of Composition, so tests can pass less). */
export interface LengthFacts {
  id: string;
  entryFile: string;
  fps: Rational;
  duration: number;
  frameCount: number;
  durationRule: { declared?: number };
  timed: ReadonlyArray<{ label: string; start: number; duration?: number }>;
}

/**
 * Throws `limit_exceeded` when the settled length exceeds MAX_DURATION_S or MAX_FRAMES, naming where
 * the length came from: the root's `data-duration`, the timed element that ends last, or the page's
 * timeline (`fromPage`).
 */
export function checkLength(composition: LengthFacts, fromPage: boolean): void {
  const { entryFile: file, duration, frameCount, fps } = composition;
  const root = `#${composition.id}`;
  if (duration > MAX_DURATION_S) {
    if (composition.durationRule.declared !== undefined) {
      throw new CompositionError(
        'limit_exceeded',
        `${root} in ${file}: data-duration="${duration}" is longer than the limit of ${hours(MAX_DURATION_S)}: give the root a shorter data-duration`,
        { file, element: root },
      );
    }
    const last = [...composition.timed]
      .filter((t) => t.duration !== undefined)
      .sort((a, b) => b.start + b.duration! - (a.start + a.duration!))[0];
    if (last && last.start + last.duration! >= duration) {
      throw new CompositionError(
        'limit_exceeded',
        `${last.label} in ${file} ends at ${last.start + last.duration!} s (its data-start and data-duration or data-end), so the composition would be longer than the limit of ${hours(MAX_DURATION_S)}: shorten it, or give the root a data-duration`,
        { file, element: last.label },
      );
    }
    const source = fromPage ? "the page's timeline (window.__timelines) lasts" : 'the composition lasts';
    throw new CompositionError(
      'limit_exceeded',
      `${root} in ${file}: ${source} ${duration} s, longer than the limit of ${hours(MAX_DURATION_S)} (an endless repeat: -1?): give the root a data-duration`,
      { file, element: root },
    );
  }
  if (frameCount > MAX_FRAMES) {
    const rate = fps.den === 1 ? `${fps.num}` : `${fps.num}/${fps.den}`;
    throw new CompositionError(
      'limit_exceeded',
      `${root} in ${file}: ${duration} s at ${rate} fps is ${frameCount} frames, more than the limit of ${MAX_FRAMES} (24 h at 60 fps): lower the frame rate (data-fps or \`fps\`) or the duration`,
      { file, element: root },
    );
  }
}
