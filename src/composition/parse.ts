/**
 * `compositionFromSource`: reads a composition's (assembled) HTML — HyperFrames data attributes — into
 * the timeline model. src/load/ assembles the document (sub-compositions inlined, variables applied)
 * and calls this.
 *
 * Rules, beyond what model.ts states:
 * - The root is the element with `data-composition-id` equal to `source.rootId`, else the first one
 *   in document order. Its `data-start` is ignored (a root starts at 0). With `rootId`, only elements
 *   inside the root are timed (a file holding several compositions renders one).
 * - Timed elements are those matching TIMED_SELECTOR (`[data-start], video, audio`) except the root,
 *   in document order. A `<video>`/`<audio>` without `data-start` starts at 0 (of its composition).
 *   Every timed element except `<audio>` is shown only inside its window, as HyperFrames shows it.
 * - Duration: `data-duration` (seconds), else `data-end` (a time, seconds or reference), else
 *   open-ended. An open-ended `<video>`/`<audio>` lasts until its media ends ((length - mediaStart) /
 *   rate), a looping one to the end of the composition. A medium inside a sub-composition ends with
 *   its host at the latest.
 * - Sub-compositions (elements with `data-composition-id` inside the root): inside one with
 *   `data-start`, children's seconds are relative to its start; one without inherits its parent's.
 * - The composition's length (src/composition/duration.ts): the root's `data-duration`; else the
 *   root timeline's (known once the page ran) but at least the latest end of its media and direct
 *   sub-compositions; without a timeline, the latest end of any timed element. Media lengths are
 *   asked of `options.mediaDuration` only when a duration or a reference needs them.
 * - frameCount = round(duration × fps), computed as duration × num / den and rounded to the nearest
 *   integer, halves up; a 1e-6-frame tolerance absorbs float noise (10.1 s × 30 is 303, not 302.99…).
 */
import path from 'node:path';
import type { HTMLElement } from 'node-html-parser';
import { parseRational, type Rational } from '../media/rational.js';
import { CompositionError } from './errors.js';
import { elementsInOrder, enclosingComposition, enclosingScope, isTimed, labelOf, parseHtml } from './dom.js';
import type { Composition, CompositionSource, MediaElement, NestedComposition, TimedElement } from './model.js';
import { TimingResolver, type MediaDurationFn, type RawTimed } from './resolve.js';
import { parseNumber, parseSeconds, parseTimeExpr, type TimeExpr } from './timing.js';
import { settleDuration } from './duration.js';
import { checkSize } from './limits.js';
import { checkInsideProject } from './project-paths.js';
import { readAudioAuthoring } from './audio-authoring.js';

/** How `compositionFromSource()` reads a composition besides its HTML. */
export interface ParseOptions {
  /** Overrides the root's `data-fps`: 30, "30000/1001", "29.97". */
  fps?: number | string;
  /** Length in seconds of a media file (absolute path or URL); called only when a duration needs it. */
  mediaDuration?: MediaDurationFn;
  /** Read media files outside the project directory (project-paths.ts); default false: refused. */
  allowOutsideProject?: boolean;
}

const DEFAULT_FPS: Rational = { num: 30, den: 1 };

/**
 * Reads the composition of an assembled document: its root, size, fps, timed and media elements resolved to
 * absolute seconds, and duration. Throws CompositionError (`no_root`, `invalid_timing`, `invalid_fps`,
 * `invalid_size`, `unknown_reference`, `cyclic_reference`, ...) naming the element and what to change.
 */
export async function compositionFromSource(source: CompositionSource, options: ParseOptions = {}): Promise<Composition> {
  const { entryFile, rootDir } = source;
  const file = entryFile;
  const document = parseHtml(source.html, entryFile);
  const all = elementsInOrder(document);
  const root =
    source.rootId !== undefined
      ? all.find((el) => el.getAttribute('data-composition-id') === source.rootId)
      : all.find((el) => el.hasAttribute('data-composition-id'));
  if (!root) {
    if (source.rootId !== undefined) {
      const ids = all
        .filter((el) => el.hasAttribute('data-composition-id') && enclosingComposition(el) === null)
        .map((el) => el.getAttribute('data-composition-id'));
      throw new CompositionError(
        'no_root',
        `${file} has no composition "${source.rootId}" (it has: ${ids.join(', ') || 'none'}): pick one of those with \`composition\``,
        { file, option: 'composition' },
      );
    }
    throw new CompositionError(
      'no_root',
      `${file} has no element with data-composition-id: mark the composition's root element, e.g. <div id="root" data-composition-id="main" data-width="1920" data-height="1080">`,
      { file },
    );
  }
  const elements = source.rootId !== undefined ? elementsInOrder(root) : all;
  const rootLabel = labelOf(root);
  const id = root.getAttribute('data-composition-id') ?? '';
  /** The file an element was written in: its sub-composition's, else the entry. */
  const fileOf = (el: HTMLElement): string => {
    for (let node: HTMLElement | null = el; node && node.nodeType === 1; node = node.parentNode as HTMLElement | null) {
      const sub = node.getAttribute?.('data-composition-file');
      if (sub && node !== el) return path.join(rootDir, sub);
    }
    return file;
  };

  const fps = readFps(root, rootLabel, file, options.fps);
  const width = readSize(root, 'data-width', rootLabel, file);
  const height = readSize(root, 'data-height', rootLabel, file);

  const timedEls = elements.filter((el) => el !== root && isTimed(el));
  const rawOf = new Map<HTMLElement, RawTimed>();
  const raws: RawTimed[] = timedEls.map((el, index) => {
    const raw = readTimed(el, index, fileOf(el), rootDir, options.allowOutsideProject);
    rawOf.set(el, raw);
    return raw;
  });
  /** The sub-composition whose start is `el`'s time origin: the nearest timed host. */
  const scopeOf = (el: HTMLElement): RawTimed | null => {
    for (let host = enclosingScope(el); host && host !== root; host = enclosingScope(host)) {
      const raw = rawOf.get(host);
      if (raw) return raw;
    }
    return null;
  };
  timedEls.forEach((el, i) => {
    raws[i]!.scope = scopeOf(el);
  });

  const byId = new Map<string, RawTimed | 'untimed'>();
  for (const el of elements) {
    const elId = el.getAttribute('id');
    if (elId && !byId.has(elId)) byId.set(elId, rawOf.get(el) ?? 'untimed');
  }
  const resolver = new TimingResolver(file, byId, options.mediaDuration);

  const timed: TimedElement[] = [];
  const media: MediaElement[] = [];
  const audioOf: Parameters<typeof readAudioAuthoring>[1][number][] = [];
  for (const [i, raw] of raws.entries()) {
    const el = timedEls[i]!;
    const tagName = el.tagName.toLowerCase();
    const entry: TimedElement = {
      index: i,
      ...(raw.id ? { id: raw.id } : {}),
      label: raw.label,
      tagName,
      start: await resolver.start(raw),
      duration: await resolver.duration(raw),
      isClip: tagName !== 'audio',
    };
    const track = el.getAttribute('data-track-index');
    if (track !== undefined) {
      const n = parseNumber(track);
      if (n === null || !Number.isInteger(n) || n < 0) {
        throw new CompositionError(
          'invalid_timing',
          `${raw.label} in ${fileOf(el)}: data-track-index="${track}" is not a non-negative integer: use 0, 1, 2…`,
          { file: fileOf(el), element: raw.label },
        );
      }
      entry.trackIndex = n;
    }
    if (entry.duration === undefined) delete entry.duration;
    if (raw.media) {
      const m: MediaElement = {
        ...entry,
        kind: tagName as 'video' | 'audio',
        src: raw.media.src,
        mediaStart: raw.media.mediaStart,
        playbackRate: raw.media.playbackRate,
        loop: raw.media.loop,
        muted: el.hasAttribute('muted'),
        volume: readNumberAttr(el, 'data-volume', raw.label, fileOf(el), 1, (v) => v >= 0, 'a number >= 0 (1 = full volume)'),
      };
      const hasAudio = el.getAttribute('data-has-audio');
      if (hasAudio !== undefined) m.hasAudioAttr = hasAudio.trim().toLowerCase() !== 'false';
      timed.push(m);
      media.push(m);
      audioOf.push({
        el,
        label: raw.label,
        file: fileOf(el),
        kind: m.kind,
        set: (a) => {
          m.audio = a;
        },
      });
    } else {
      timed.push(entry);
    }
  }

  const audioGroups = readAudioAuthoring(document, audioOf);

  // Media inside a sub-composition ends with its host (at the latest).
  const hostEnd = (raw: RawTimed): number | undefined => {
    let end: number | undefined;
    for (let scope = raw.scope; scope; scope = scope.scope) {
      const t = timed[scope.index]!;
      if (t.duration !== undefined) end = Math.min(end ?? Infinity, t.start + t.duration);
    }
    return end;
  };

  const nested: NestedComposition[] = [];
  for (const el of elements) {
    if (el === root || !el.hasAttribute('data-composition-id') || enclosingComposition(el) === null) continue;
    const raw = rawOf.get(el);
    const scope = scopeOf(el);
    const start = raw ? await resolver.start(raw) : scope ? await resolver.start(scope) : 0;
    const d = raw ? timed[raw.index]!.duration : undefined;
    const direct = enclosingComposition(el) === root;
    nested.push({
      id: el.getAttribute('data-composition-id') ?? '',
      label: labelOf(el),
      start,
      ...(d !== undefined ? { duration: d } : {}),
      ...(raw ? { index: raw.index } : {}),
      direct,
    });
  }

  // Composition duration: declared, else from the page's timeline (settleDuration) over the floor.
  const declared = root.getAttribute('data-duration');
  let declaredDuration: number | undefined;
  if (declared !== undefined) {
    const value = parseSeconds(declared);
    if (value === null || !(value > 0)) {
      throw new CompositionError(
        'invalid_timing',
        `${rootLabel} in ${file}: data-duration="${declared}" is not a positive number of seconds: write e.g. data-duration="10"`,
        { file, element: rootLabel },
      );
    }
    declaredDuration = value;
  }
  let floor = 0;
  let latestEnd = 0;
  for (const [i, raw] of raws.entries()) {
    const t = timed[i]!;
    const needsLength = raw.media !== undefined && declaredDuration === undefined;
    const d = needsLength ? await resolver.duration(raw, [], true) : t.duration;
    if (raw.media && d !== undefined && t.duration === undefined) t.duration = d;
    const cap = raw.media ? hostEnd(raw) : undefined;
    if (cap !== undefined) {
      (t as MediaElement).hostEnd = cap;
      if (t.duration !== undefined && t.start + t.duration > cap) t.duration = Math.max(0, cap - t.start);
    }
    if (t.duration === undefined) continue;
    const end = t.start + t.duration;
    latestEnd = Math.max(latestEnd, end);
    if (raw.media) floor = Math.max(floor, end);
  }
  for (const n of nested) if (n.direct && n.duration !== undefined) floor = Math.max(floor, n.start + n.duration);

  const composition: Composition = {
    id,
    rootDir,
    entryFile,
    html: source.html,
    ...(source.rootId !== undefined ? { rootId: source.rootId } : {}),
    ...(width ? { width } : {}),
    ...(height ? { height } : {}),
    fps,
    duration: 0,
    frameCount: 0,
    timed,
    media,
    nested,
    ...(audioGroups.length > 0 ? { audioGroups } : {}),
    durationRule: { ...(declaredDuration !== undefined ? { declared: declaredDuration } : {}), floor, latestEnd },
    mounts: source.mounts ?? [],
    variables: source.variables ?? {},
    requiresWebGpu: elements.some((el) => el.hasAttribute('data-requires-webgpu')),
    assets: source.assets ?? [],
    fonts: source.fonts ?? [],
    fontReport: source.fontReport ?? [],
  };
  settleDuration(composition, null);
  return composition;
}

function readFps(root: HTMLElement, label: string, file: string, override?: number | string): Rational {
  const [value, from] =
    override !== undefined ? [String(override), 'the fps option'] : [root.getAttribute('data-fps'), `data-fps on ${label}`];
  if (value === undefined) return DEFAULT_FPS;
  const fps = parseRational(value);
  if (!fps) {
    throw new CompositionError(
      'invalid_fps',
      `${from} in ${file} is "${value}", not a positive frame rate: use e.g. 30, 29.97 or 30000/1001`,
      { file, element: override !== undefined ? undefined : label },
    );
  }
  return fps;
}

function readSize(root: HTMLElement, attr: string, label: string, file: string): number | undefined {
  const text = root.getAttribute(attr);
  if (text === undefined) return undefined;
  const value = parseNumber(text);
  if (value === null || !Number.isInteger(value) || value <= 0) {
    throw new CompositionError(
      'invalid_size',
      `${label} in ${file}: ${attr}="${text}" is not a positive whole number of pixels: write e.g. ${attr}="1080"`,
      { file, element: label },
    );
  }
  checkSize(value, attr, label, file);
  return value;
}

function readNumberAttr(
  el: HTMLElement,
  attr: string,
  label: string,
  file: string,
  fallback: number,
  ok: (v: number) => boolean,
  want: string,
): number {
  const text = el.getAttribute(attr);
  if (text === undefined) return fallback;
  const value = parseNumber(text);
  if (value === null || !ok(value)) {
    throw new CompositionError('invalid_timing', `${label} in ${file}: ${attr}="${text}" is not ${want}`, { file, element: label });
  }
  return value;
}

function readTime(el: HTMLElement, attr: string, label: string, file: string): TimeExpr | undefined {
  const text = el.getAttribute(attr);
  if (text === undefined) return undefined;
  const expr = parseTimeExpr(text);
  if (!expr || (expr.kind === 'seconds' && !(expr.value >= 0))) {
    throw new CompositionError(
      'invalid_timing',
      `${label} in ${file}: ${attr}="${text}" is not a time: use seconds >= 0 (e.g. 1.5) or a reference to a clip id (e.g. "intro", "intro + 0.5")`,
      { file, element: label },
    );
  }
  return expr;
}

function readTimed(el: HTMLElement, index: number, file: string, rootDir: string, allowOutside: boolean | undefined): RawTimed {
  const label = labelOf(el);
  const tag = el.tagName.toLowerCase();
  const isMedia = tag === 'video' || tag === 'audio';
  const start = readTime(el, 'data-start', label, file) ?? { kind: 'seconds' as const, value: 0 };
  const raw: RawTimed = { index, label, start, scope: null };
  const elId = el.getAttribute('id');
  if (elId) raw.id = elId;
  const durationText = el.getAttribute('data-duration');
  if (durationText !== undefined) {
    const d = parseSeconds(durationText);
    if (d === null || d < 0) {
      throw new CompositionError(
        'invalid_timing',
        `${label} in ${file}: data-duration="${durationText}" is not a number of seconds >= 0: write e.g. data-duration="2.5"`,
        { file, element: label },
      );
    }
    raw.duration = d;
  } else {
    const end = readTime(el, 'data-end', label, file);
    if (end) raw.end = end;
  }
  if (isMedia) {
    const mediaStartAttr = el.hasAttribute('data-media-start') ? 'data-media-start' : 'data-playback-start';
    raw.media = {
      src: mediaSource(el, label, file, rootDir, allowOutside),
      mediaStart: readNumberAttr(el, mediaStartAttr, label, file, 0, (v) => v >= 0, 'a number of seconds >= 0'),
      playbackRate: readNumberAttr(el, 'data-playback-rate', label, file, 1, (v) => v > 0, 'a positive playback rate (1 = normal speed)'),
      loop: el.hasAttribute('loop'),
    };
  }
  return raw;
}

/**
 * The media file of a `<video>`/`<audio>`: its `src`, else its first `<source src>`. http(s) and data:
 * URLs are kept as-is; a path is resolved against the entry document's directory (a leading `/`
 * against the project root, as the project server would; sub-composition paths were already
 * rewritten for the entry document), query and fragment dropped, %-escapes decoded. A path that
 * resolves outside `rootDir` is refused unless `allowOutside` (project-paths.ts).
 */
function mediaSource(el: HTMLElement, label: string, file: string, rootDir: string, allowOutside: boolean | undefined): string {
  let src = el.getAttribute('src');
  if (!src) {
    const source = el.childNodes.find(
      (c) => c.nodeType === 1 && (c as HTMLElement).tagName.toLowerCase() === 'source' && (c as HTMLElement).getAttribute('src'),
    ) as HTMLElement | undefined;
    src = source?.getAttribute('src');
  }
  src = src?.trim();
  if (!src) {
    throw new CompositionError('invalid_timing', `${label} in ${file} has no media: add a src attribute or a <source src="..."> child`, {
      file,
      element: label,
    });
  }
  if (/^(https?:|data:)/i.test(src)) return src;
  const bare = src.replace(/[?#].*$/, '');
  let decoded: string;
  try {
    decoded = decodeURIComponent(bare);
  } catch {
    decoded = bare;
  }
  const resolved = decoded.startsWith('/') ? path.join(rootDir, decoded) : path.resolve(rootDir, decoded);
  checkInsideProject(resolved, rootDir, allowOutside, { attr: 'src', value: src, element: label, hostFile: file });
  return resolved;
}
