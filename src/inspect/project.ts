/**
 * What `framesmith info`, `compositions` and `timeline` print: a project read by framesmith's own
 * parser (src/load, src/composition) — sub-compositions mounted, times resolved, media lengths probed
 * where a duration needs them — in the fields `hyperframes info|compositions|timeline --json` 0.8.170
 * print. No browser: a length only the page's timeline knows is not known here (the composition's
 * duration is then its floor: the latest end of its media and clips).
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { elementsInOrder, enclosingComposition, isTimed, parseHtml } from '../composition/dom.js';
import type { Composition, MediaElement, TimedElement } from '../composition/model.js';
import { parseComposition } from '../load/index.js';
import { mediaDuration } from '../load/media.js';
import { GSAP_URL_PREFIX, gsapDir } from '../render/load.js';

/** Without `data-width`/`data-height`, HyperFrames assumes 1920×1080 (landscape). */
const DEFAULT_SIZE = { width: 1920, height: 1080 };

/** Reads the project at `input` (a directory holding index.html, or an .html file). */
export async function readProject(input: string): Promise<Composition> {
  const gsap = gsapDir();
  return parseComposition(input, {
    mediaDuration: (src) => mediaDuration(src),
    gsap: gsap ? { ...gsap, urlPrefix: GSAP_URL_PREFIX } : null,
  });
}

/**
 * A project's summary for `info`: its directory's name, size in pixels (1920×1080 when undeclared) and
 * orientation, duration in seconds, and counts of its timed elements.
 */
export interface ProjectInfo {
  name: string;
  resolution: 'landscape' | 'portrait' | 'square';
  width: number;
  height: number;
  duration: number;
  /** Timed elements (media included). */
  elements: number;
  /** Distinct `data-track-index` values (an element without one is on track 0). */
  tracks: number;
  /** Timed elements by kind: video, audio, image, composition, text (everything else). */
  types: Record<string, number>;
  /** Bytes of every file under the project directory. */
  size: number;
}

/** The kind HyperFrames gives an element in `info`'s types and the timeline's tracks. */
export function elementKind(t: TimedElement, isComposition: boolean): string {
  if (t.tagName === 'video' || t.tagName === 'audio') return t.tagName;
  if (t.tagName === 'img') return 'image';
  return isComposition ? 'composition' : 'text';
}

function compositionIndices(c: Composition): Set<number> {
  return new Set(c.nested.flatMap((n) => (n.index !== undefined ? [n.index] : [])));
}

async function directorySize(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await directorySize(file);
    else if (entry.isFile()) total += (await stat(file)).size;
  }
  return total;
}

/** The ProjectInfo of `c`; reads the size of every file under its project directory (rejects when one cannot be read). */
export async function projectInfo(c: Composition): Promise<ProjectInfo> {
  const width = c.width ?? DEFAULT_SIZE.width;
  const height = c.height ?? DEFAULT_SIZE.height;
  const hosts = compositionIndices(c);
  const types: Record<string, number> = {};
  for (const t of c.timed) {
    const kind = elementKind(t, hosts.has(t.index));
    types[kind] = (types[kind] ?? 0) + 1;
  }
  return {
    name: path.basename(c.rootDir),
    resolution: width > height ? 'landscape' : height > width ? 'portrait' : 'square',
    width,
    height,
    duration: c.duration,
    elements: c.timed.length,
    tracks: new Set(c.timed.map((t) => t.trackIndex ?? 0)).size,
    types,
    size: await directorySize(c.rootDir),
  };
}

/**
 * One composition of a project as `compositions` lists it: id, duration in seconds, size in pixels (when
 * undeclared: the root's, whose own default is 1920×1080).
 */
export interface CompositionSummary {
  id: string;
  duration: number;
  width: number;
  height: number;
  /** Its own timed elements: a sub-composition's host counts, the sub-composition's content not. */
  elementCount: number;
  /** Project-relative file it is mounted from (`data-composition-src`). */
  source?: string;
}

/** The root composition, then every nested one in document order. */
export function listCompositions(c: Composition): CompositionSummary[] {
  const document = parseHtml(c.html, c.entryFile);
  const all = elementsInOrder(document);
  const width = c.width ?? DEFAULT_SIZE.width;
  const height = c.height ?? DEFAULT_SIZE.height;
  const find = (id: string) => all.find((el) => el.getAttribute('data-composition-id') === id);
  /** Timed elements whose nearest composition is `id`'s (a sub-composition's host counts, its content not). */
  const count = (id: string) => {
    const el = find(id);
    return el ? elementsInOrder(el).filter((t) => isTimed(t) && enclosingComposition(t) === el).length : 0;
  };
  const size = (id: string, attr: string, fallback: number) => {
    const value = Number(find(id)?.getAttribute(attr));
    return Number.isInteger(value) && value > 0 ? value : fallback;
  };
  return [
    { id: c.id, duration: c.duration, width, height, elementCount: count(c.id) },
    ...c.nested.map((n) => {
      const mount = c.mounts.find((m) => m.id === n.id);
      return {
        id: n.id,
        duration: n.duration ?? Math.max(0, c.duration - n.start),
        width: size(n.id, 'data-width', width),
        height: size(n.id, 'data-height', height),
        elementCount: count(n.id),
        ...(mount ? { source: mount.file } : {}),
      };
    }),
  ];
}

/**
 * One timed element on the timeline: `kind` its tag name, `trackKind` its track (video, audio, graphics),
 * times in seconds (`abs*` from the root's start; `duration`/`end` null when open-ended), media fields null for
 * other elements, `ref` how to name it (`#id`, else its label).
 */
export interface TimelineRow {
  id: string | null;
  kind: string;
  trackKind: string;
  /** Seconds from the start of its host composition (the root's for a top-level element). */
  start: number;
  duration: number | null;
  end: number | null;
  absStart: number;
  absEnd: number | null;
  /** The project-relative file the element is written in. */
  file: string;
  trackIndex: number;
  src: string | null;
  volume: number | null;
  playbackRate: number | null;
  mediaStart: number | null;
  /** Position among the rows of its track. */
  index: number;
  /** Inside a sub-composition. */
  nested: boolean;
  /** The id of the composition it is inside, when nested. */
  host: string | null;
  ref: string;
}

/** A composition's timeline: its duration in seconds and its non-empty tracks, video then audio then graphics. */
export interface Timeline {
  duration: number;
  tracks: { kind: string; rows: TimelineRow[] }[];
}

/** The composition's timed elements grouped into tracks by kind (video, audio, then graphics), in document order. */
export function timelineOf(c: Composition): Timeline {
  const document = parseHtml(c.html, c.entryFile);
  const timedEls = elementsInOrder(document).filter((el) => isTimed(el) && el.getAttribute('data-composition-id') !== c.id);
  const tracks = new Map<string, TimelineRow[]>([
    ['video', []],
    ['audio', []],
    ['graphics', []],
  ]);
  for (const t of c.timed) {
    const el = timedEls[t.index];
    let host: { id: string; start: number } | null = null;
    for (let node = el?.parentNode; node && node.nodeType === 1; node = node.parentNode) {
      const id = node.getAttribute?.('data-composition-id');
      if (id && id !== c.id) {
        const nested = c.nested.find((n) => n.id === id);
        host = { id, start: nested?.start ?? 0 };
        break;
      }
    }
    const media = c.media.includes(t as MediaElement) ? (t as MediaElement) : null;
    const trackKind = media ? media.kind : 'graphics';
    const rows = tracks.get(trackKind)!;
    const sub = el?.closest('[data-composition-file]')?.getAttribute('data-composition-file');
    const end = t.duration !== undefined ? t.start + t.duration : null;
    rows.push({
      id: t.id ?? null,
      kind: t.tagName,
      trackKind,
      start: t.start - (host?.start ?? 0),
      duration: t.duration ?? null,
      end: end === null ? null : end - (host?.start ?? 0),
      absStart: t.start,
      absEnd: end,
      file: sub ?? path.relative(c.rootDir, c.entryFile),
      trackIndex: t.trackIndex ?? 0,
      src: media ? (media.remoteUrl ?? (/^(?:https?|data):/i.test(media.src) ? media.src : path.relative(c.rootDir, media.src))) : null,
      volume: media ? media.volume : null,
      playbackRate: media ? media.playbackRate : null,
      mediaStart: media ? media.mediaStart : null,
      index: rows.length,
      nested: host !== null,
      host: host?.id ?? null,
      ref: t.id ? `#${t.id}` : t.label,
    });
  }
  return { duration: c.duration, tracks: [...tracks].filter(([, rows]) => rows.length > 0).map(([kind, rows]) => ({ kind, rows })) };
}
