/**
 * The per-file lint rules: HyperFrames' rules for the common mistakes that change what framesmith
 * renders, with HyperFrames' codes, severities and wording (`hyperframes lint` 0.8.170). Each rule
 * reads one HTML file as written (not the assembled document), so a finding names the file and the
 * line the author has to change.
 */
import type { HTMLElement } from 'node-html-parser';
import { SNIPPET_MAX, type LintFinding } from './types.js';

/** One HTML file of the project, parsed. */
export interface LintFile {
  /** Absolute path. */
  file: string;
  /** The text as written. */
  source: string;
  document: HTMLElement;
  /** A file mounted with `data-composition-src` (not the entry): the entry-only rules skip it. */
  isSub: boolean;
}

type Rule = (file: LintFile) => LintFinding[];

/** A finding about `el`, with its id, opening tag and 1-based line and column. */
export function findingAt(file: LintFile, el: HTMLElement | null, finding: Omit<LintFinding, 'file'>): LintFinding {
  const out: LintFinding = { ...finding, file: file.file };
  if (!el) return out;
  const id = el.getAttribute('id');
  if (id && out.elementId === undefined) out.elementId = id;
  const offset = el.range?.[0];
  if (offset !== undefined && offset >= 0) {
    const before = file.source.slice(0, offset);
    const line = before.split('\n').length;
    out.line = line;
    out.column = offset - before.lastIndexOf('\n');
    const tagEnd = file.source.indexOf('>', offset);
    const tag = file.source.slice(offset, tagEnd < 0 ? undefined : tagEnd + 1);
    out.snippet = tag.length > SNIPPET_MAX ? `${tag.slice(0, SNIPPET_MAX - 3)}...` : tag;
  }
  return out;
}

/** The composition root of a file: its first element carrying `data-composition-id` (templates included). */
export function rootOf(file: LintFile): HTMLElement | null {
  return file.document.querySelector('[data-composition-id]');
}

function scriptsOf(file: LintFile): { inline: HTMLElement[]; external: string[] } {
  const scripts = file.document.querySelectorAll('script');
  return {
    inline: scripts.filter((s) => !s.hasAttribute('src')),
    external: scripts.flatMap((s) => (s.hasAttribute('src') ? [s.getAttribute('src') ?? ''] : [])),
  };
}

const rootRules: Rule = (file) => {
  if (file.isSub) return [];
  const root = rootOf(file);
  const findings: LintFinding[] = [];
  if (!root) {
    const first = file.document.querySelector('body')?.childNodes.find((n) => n.nodeType === 1) as HTMLElement | undefined;
    findings.push(
      findingAt(file, first ?? null, {
        code: 'root_missing_composition_id',
        severity: 'error',
        message: 'Root composition is missing `data-composition-id`.',
        fixHint: 'Add a stable `data-composition-id` to the entry composition wrapper.',
      }),
    );
  }
  if (!root?.getAttribute('data-width') || !root.getAttribute('data-height')) {
    findings.push(
      findingAt(file, root, {
        code: 'root_missing_dimensions',
        severity: 'error',
        message: 'Root composition is missing `data-width` or `data-height`.',
        fixHint: 'Set numeric `data-width` and `data-height` on the entry composition root.',
      }),
    );
  }
  return findings;
};

const duplicateCompositionIds: Rule = (file) => {
  const byId = new Map<string, HTMLElement[]>();
  for (const el of file.document.querySelectorAll('[data-composition-id]')) {
    const id = el.getAttribute('data-composition-id') ?? '';
    byId.set(id, [...(byId.get(id) ?? []), el]);
  }
  return [...byId]
    .filter(([, els]) => els.length > 1)
    .map(([id, els]) =>
      findingAt(file, els[0]!, {
        code: 'duplicate_composition_id',
        severity: 'error',
        message: `Composition id "${id}" is used by ${els.length} elements. Each data-composition-id value must be unique within a composition file.`,
        fixHint: 'Keep data-composition-id on exactly one element, the composition root. Remove it from metadata or duplicate hosts.',
      }),
    );
};

/** `window.__timelines[...] = …`: a composition registers a timeline. */
const REGISTERS_TIMELINE = /__timelines\s*\[/;

const timelineRules: Rule = (file) => {
  const root = rootOf(file);
  if (file.isSub || !root || root.hasAttribute('data-no-timeline')) return [];
  const { inline, external } = scriptsOf(file);
  const findings: LintFinding[] = [];
  if (!/__timelines/.test(file.source)) {
    findings.push({
      code: 'missing_timeline_registry',
      severity: 'error',
      message: 'Missing `window.__timelines` registration.',
      fixHint: 'Register each composition timeline on `window.__timelines[compositionId]`.',
      file: file.file,
    });
  }
  const registers = inline.some((s) => REGISTERS_TIMELINE.test(s.text));
  if (!registers && external.length === 0) {
    findings.push(
      findingAt(file, root, {
        code: 'missing_data_no_timeline',
        severity: 'warning',
        message:
          'This composition has no `window.__timelines` registration but is missing `data-no-timeline`. The producer polls for timeline registration for up to 45 seconds before timing out, adding 45 s to every render.',
        fixHint: 'Add `data-no-timeline` to the root element to skip the poll: `<div data-composition-id="..." data-no-timeline ...>`.',
      }),
    );
  }
  const creating = inline.find((s) => /\bgsap\.timeline\s*\(/.test(s.text));
  if (creating && !registers) {
    const id = root.getAttribute('data-composition-id') ?? '';
    findings.push(
      findingAt(file, creating, {
        code: 'gsap_timeline_not_registered',
        severity: 'error',
        message:
          'GSAP timeline is created but never registered in window.__timelines. The runtime discovers timelines from this registry. Without registration, animations will not play during preview or render.',
        fixHint: `Add \`window.__timelines = window.__timelines || {};\` and \`window.__timelines["${id}"] = tl;\` after creating the timeline (use the composition's data-composition-id as the key).`,
      }),
    );
  }
  const usesGsap = inline.find((s) => /\bgsap\.(?:to|from|fromTo|set|timeline)\s*\(/.test(s.text));
  if (usesGsap && !external.some((src) => /gsap/i.test(src))) {
    findings.push(
      findingAt(file, usesGsap, {
        code: 'missing_gsap_script',
        severity: 'error',
        message: 'Composition uses GSAP but no GSAP script is loaded. The animation will not run.',
        fixHint: 'Add <script src="https://cdn.jsdelivr.net/npm/gsap@3/dist/gsap.min.js"></script> before your animation script.',
      }),
    );
  }
  return findings;
};

function hasMediaSource(el: HTMLElement): boolean {
  return Boolean(el.getAttribute('src')?.trim()) || el.querySelectorAll('source').some((s) => Boolean(s.getAttribute('src')?.trim()));
}

const mediaRules: Rule = (file) => {
  const findings: LintFinding[] = [];
  for (const match of file.source.matchAll(/<(video|audio)\b[^>]*\/>/gi)) {
    const tag = match[1]!.toLowerCase();
    findings.push({
      code: 'self_closing_media_tag',
      severity: 'error',
      file: file.file,
      snippet: match[0].slice(0, SNIPPET_MAX),
      message: `Self-closing <${tag}/> is invalid HTML. The browser will leave the tag open, swallowing all subsequent elements as invisible fallback content. This makes compositions INVISIBLE.`,
      fixHint: `Change <${tag} .../> to <${tag} ...></${tag}> — media elements MUST have explicit closing tags.`,
    });
  }
  const seen = new Map<string, number>();
  for (const el of file.document.querySelectorAll('video, audio')) {
    const tag = el.tagName.toLowerCase();
    const id = el.getAttribute('id');
    const idText = id ? ` id="${id}"` : '';
    const start = el.hasAttribute('data-start');
    if (id) seen.set(id, (seen.get(id) ?? 0) + 1);
    if (!start && hasMediaSource(el)) {
      findings.push(
        findingAt(file, el, {
          code: 'media_missing_data_start',
          severity: 'error',
          message: `<${tag}${idText}> has src but no data-start. HyperFrames cannot own playback for untimed media, so preview and render behavior can diverge.`,
          fixHint: 'Add data-start="0" (or the intended start time) and data-duration if the clip should stop before the source ends.',
        }),
      );
    }
    if (start && !id) {
      findings.push(
        findingAt(file, el, {
          code: 'media_missing_id',
          severity: 'error',
          message: `<${tag}> has data-start but no id attribute. The renderer requires id to discover media elements, so this ${tag === 'audio' ? 'audio will be SILENT' : 'video will be FROZEN'} in renders.`,
          fixHint: `Add a unique id attribute: <${tag} id="my-${tag}" ...>`,
        }),
      );
    }
    if (start && id && !hasMediaSource(el)) {
      findings.push(
        findingAt(file, el, {
          code: 'media_missing_src',
          severity: 'error',
          message: `<${tag}${idText}> has data-start but no src (on the element or a <source> child). The renderer cannot load this media.`,
          fixHint: `Add src on the <${tag}> element, or a <source src="..."> child.`,
        }),
      );
    }
    if (tag === 'video' && start && !el.hasAttribute('muted') && el.getAttribute('data-has-audio') !== 'true') {
      findings.push(
        findingAt(file, el, {
          code: 'video_missing_muted',
          severity: 'error',
          message: `<video${idText}> has data-start but declares neither muted nor data-has-audio. If the file has sound, add data-has-audio="true" (the sound stays on this clip). If it is silent, add muted.`,
          fixHint:
            'Add data-has-audio="true" when the file has sound (recommended: it keeps picture and sound on one clip), or add `muted` for silent footage.',
        }),
      );
    }
  }
  for (const [id, count] of seen) {
    if (count < 2) continue;
    const first = file.document.querySelectorAll('video, audio').find((el) => el.getAttribute('id') === id) ?? null;
    findings.push(
      findingAt(file, first, {
        code: 'duplicate_media_id',
        severity: 'error',
        message: `Media id "${id}" is defined multiple times.`,
        fixHint: 'Give each media element a unique id so preview and producer discover the same media graph.',
      }),
    );
  }
  return findings;
};

const clipRules: Rule = (file) => {
  const root = rootOf(file);
  const findings: LintFinding[] = [];
  for (const el of file.document.querySelectorAll('[data-start]')) {
    if (el === root) continue;
    const tag = el.tagName.toLowerCase();
    const id = el.getAttribute('id');
    if (!id) {
      findings.push(
        findingAt(file, el, {
          code: 'studio_missing_editable_id',
          severity: 'warning',
          message: `<${tag} data-start="${el.getAttribute('data-start')}"> has no id, so Studio cannot use a stable edit target for its timeline and canvas controls.`,
          fixHint:
            'Add a stable, human-readable id such as id="hero-title" or id="scene-1-card" to every timeline-visible element you want agents or Studio to edit.',
        }),
      );
    }
    const host = el.hasAttribute('data-composition-id') || el.hasAttribute('data-composition-src');
    if (tag !== 'video' && tag !== 'audio' && !host && !(el.getAttribute('class') ?? '').split(/\s+/).includes('clip')) {
      findings.push(
        findingAt(file, el, {
          code: 'timed_element_missing_clip_class',
          severity: 'warning',
          message: `<${tag}${id ? ` id="${id}"` : ''}> has timing attributes but no class="clip". The runtime still hides it outside its time range, but Studio and the GSAP clip-ownership rules use .clip to recognise a clip, so leaving it off makes the element harder to edit and to lint.`,
          fixHint: 'Add class="clip" to the element so Studio and the linter can recognise it as a clip.',
        }),
      );
    }
  }
  return findings;
};

const durationRules: Rule = (file) => {
  const root = rootOf(file);
  if (file.isSub || !root || root.hasAttribute('data-duration')) return [];
  const { inline } = scriptsOf(file);
  if (inline.some((s) => REGISTERS_TIMELINE.test(s.text))) return [];
  const timed = root.querySelectorAll('[data-start], video, audio');
  if (timed.length === 0) {
    if (/@keyframes|\banimation\s*:|\.animate\s*\(/.test(file.source)) return [];
    return [
      findingAt(file, root, {
        code: 'root_composition_missing_duration_source',
        severity: 'error',
        message:
          'Root composition has no data-duration, no GSAP timeline, and no CSS/WAAPI/Lottie/Three.js animation for the runtime to infer a duration from. The render engine cannot determine how long to capture and will fail with "Composition has zero duration".',
        fixHint: 'Add data-duration="<seconds>" to the root element, or add a paused GSAP timeline registered on window.__timelines.',
      }),
    ];
  }
  let known = 0;
  let unknown = 0;
  for (const el of timed) {
    const start = Number(el.getAttribute('data-start') ?? '0');
    const duration = Number(el.getAttribute('data-duration'));
    if (el.hasAttribute('data-duration') && Number.isFinite(start) && Number.isFinite(duration)) known = Math.max(known, start + duration);
    else unknown++;
  }
  return [
    findingAt(file, root, {
      code: 'root_composition_duration_derived',
      severity: 'warning',
      message: `Root composition has no data-duration and no GSAP timeline, so its length is taken from its clips: at least ${known}s${unknown ? `, and ${unknown} clip(s) whose length is only known at runtime` : ''}.`,
      fixHint: 'Add data-duration="<seconds>" to the root element to set the length yourself.',
    }),
  ];
};

/** Every per-file rule, in the order their findings are listed. */
export const FILE_RULES: readonly Rule[] = [rootRules, duplicateCompositionIds, timelineRules, mediaRules, clipRules, durationRules];
