/**
 * `lintProject`: the project's HTML files checked for common mistakes without a browser — the entry
 * file and every file it mounts with `data-composition-src` (nested ones too), each read as written.
 *
 * Findings come from three places, listed in this order:
 * 1. the per-file rules (rules.ts, gsap-rules.ts), HyperFrames' rules and codes;
 * 2. the project's asset references: a local `<img>`/`<video>`/`<source>` file that does not exist is
 *    `missing_local_asset`, a local `<audio>` file `audio_src_not_found` (one finding per tag and
 *    file listing every missing path, as HyperFrames groups them);
 * 3. framesmith's own reading of the composition (src/load, src/composition): what would stop a render
 *    (an unparsable time, a reference to no element, a missing sub-composition…) is an error finding
 *    with the parser's code, or HyperFrames' where one means the same. The parser stops at the first
 *    such mistake, so at most one is listed. Remote assets are not fetched (a render downloads them).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseHtml } from '../composition/dom.js';
import { CompositionError } from '../composition/errors.js';
import { FramesmithError } from '../errors.js';
import { locateEntry } from '../load/entry.js';
import { parseComposition } from '../load/index.js';
import { mediaDuration } from '../load/media.js';
import { GSAP_URL_PREFIX, gsapDir } from '../render/load.js';
import { gsapMotionRule } from './gsap-rules.js';
import { FILE_RULES, findingAt, type LintFile } from './rules.js';
import { lintResultOf, type LintFinding, type LintResult } from './types.js';

/** framesmith's parser codes that mean the same as a HyperFrames code. */
const HYPERFRAMES_CODE: Record<string, string> = {
  sub_composition_missing: 'missing_or_empty_sub_composition',
  sub_composition_invalid: 'missing_or_empty_sub_composition',
};

/** Lints the project at `input` (a directory holding index.html, or an .html file). Throws when there is no entry. */
export async function lintProject(input: string): Promise<LintResult> {
  const entry = await locateEntry(input);
  const rootDir = path.dirname(entry);
  const files = readProjectFiles(entry, rootDir);
  const findings: LintFinding[] = [];
  for (const file of files) for (const rule of [...FILE_RULES, gsapMotionRule]) findings.push(...rule(file));
  findings.push(...missingAssets(files, rootDir));
  findings.push(...(await parserFindings(input, entry, findings)));
  return lintResultOf(findings, files.length);
}

/** The entry and every sub-composition file reachable from it, each once; unreadable ones are left to the parser's finding. */
function readProjectFiles(entry: string, rootDir: string): LintFile[] {
  const files: LintFile[] = [];
  const seen = new Set<string>();
  const visit = (file: string, isSub: boolean) => {
    if (seen.has(file)) return;
    seen.add(file);
    let source: string;
    try {
      source = readFileSync(file, 'utf8');
    } catch {
      return;
    }
    let document: ReturnType<typeof parseHtml>;
    try {
      document = parseHtml(source, file);
    } catch {
      return; // Markup too deep to walk: the parser's finding names it.
    }
    const lintFile = { file, source, document, isSub };
    files.push(lintFile);
    for (const host of document.querySelectorAll('[data-composition-src]')) {
      const src = host.getAttribute('data-composition-src')?.trim();
      if (src && !/^[a-z]+:/i.test(src)) visit(path.join(rootDir, src.replace(/[?#].*$/, '')), true);
    }
  };
  visit(entry, false);
  return files;
}

function isLocal(src: string): boolean {
  return !/^(?:[a-z][a-z0-9+.-]*:|\/\/|#)/i.test(src) && !/\{\{|\$\{/.test(src);
}

/** Where a local URL in `file` points: against the file's directory, and for a sub-composition also the project root (HyperFrames serves both). */
function candidates(src: string, file: LintFile, rootDir: string): string[] {
  let bare = src.replace(/[?#].*$/, '');
  try {
    bare = decodeURIComponent(bare);
  } catch {
    // Kept as written: a stray % is a file name character.
  }
  if (bare.startsWith('/')) return [path.join(rootDir, bare)];
  return file.isSub
    ? [path.resolve(path.dirname(file.file), bare), path.resolve(rootDir, bare)]
    : [path.resolve(path.dirname(file.file), bare)];
}

function missingAssets(files: LintFile[], rootDir: string): LintFinding[] {
  const findings: LintFinding[] = [];
  for (const file of files) {
    const missing = new Map<string, string[]>();
    for (const el of file.document.querySelectorAll('img[src], video[src], audio[src], source[src]')) {
      const src = el.getAttribute('src')!.trim();
      if (!src || !isLocal(src) || candidates(src, file, rootDir).some((c) => existsSync(c))) continue;
      const owner =
        el.tagName.toLowerCase() === 'source'
          ? ((el.parentNode as typeof el | null)?.tagName?.toLowerCase() ?? 'source')
          : el.tagName.toLowerCase();
      const tag = owner === 'audio' ? 'audio' : el.tagName.toLowerCase();
      const list = missing.get(tag) ?? [];
      if (!list.includes(src)) list.push(src);
      missing.set(tag, list);
    }
    for (const [tag, srcs] of missing) {
      const one = srcs.length === 1;
      if (tag === 'audio') {
        findings.push({
          code: 'audio_src_not_found',
          severity: 'error',
          file: file.file,
          message: `<audio> element references file(s) not found in the project: ${srcs.join(', ')}. The rendered video will be silent.`,
          fixHint: one
            ? `Add the file "${srcs[0]}" to the project directory, or update the src attribute to point to an existing file.`
            : 'Add the missing files to the project directory, or update the src attributes to point to existing files.',
        });
      } else {
        findings.push({
          code: 'missing_local_asset',
          severity: 'error',
          file: file.file,
          message: `<${tag}> element references local file(s) not found in the project: ${srcs.join(', ')}. The renderer will silently skip these and produce a video with missing visuals.`,
          fixHint: one
            ? `Add "${srcs[0]}" to the project directory, or update the src attribute to point to an existing file.`
            : 'Add the missing files to the project directory, or update the src attributes to point to existing files.',
        });
      }
    }
  }
  return findings;
}

/**
 * What framesmith's own reading of the composition refuses, as one error finding. Media lengths are
 * probed when a duration needs them; a file that cannot be probed counts as 1 s here (the asset
 * findings name it). A missing root is not reported twice.
 */
async function parserFindings(input: string, entry: string, earlier: LintFinding[]): Promise<LintFinding[]> {
  try {
    const gsap = gsapDir();
    await parseComposition(input, {
      mediaDuration: (src) => mediaDuration(src).catch(() => 1),
      gsap: gsap ? { ...gsap, urlPrefix: GSAP_URL_PREFIX } : null,
    });
    return [];
  } catch (error) {
    if (!(error instanceof FramesmithError)) throw error;
    // Remote assets are downloaded by a render, never by a lint (no network here).
    if (error.code === 'remote_asset') return [];
    if (error.code === 'no_root' && earlier.some((f) => f.code === 'root_missing_composition_id')) return [];
    const file = error instanceof CompositionError ? error.fields.file : entry;
    const element = (error.fields as { element?: string }).element;
    const finding: LintFinding = {
      code: HYPERFRAMES_CODE[error.code] ?? error.code,
      severity: 'error',
      message: error.message,
      fixHint: 'framesmith render refuses the composition until this is fixed: the message says what to change.',
      file,
    };
    const id = element?.match(/#([^:.\s]+)$/)?.[1];
    if (id) {
      try {
        const source = readFileSync(file, 'utf8');
        const document = parseHtml(source, file);
        const el = document.querySelector(`[id="${id}"]`);
        return [findingAt({ file, source, document, isSub: file !== entry }, el, finding)];
      } catch {
        // The position is a nicety: the message names the element.
      }
    }
    return [finding];
  }
}
