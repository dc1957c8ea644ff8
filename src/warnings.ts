/**
 * Warnings: what a render did differently from what the composition asked, and went on (best
 * effort, as HyperFrames renders) — an asset it could not load, a font it replaced. Every stage adds
 * to one `WarningLog`; the render's result and `--json` list them, the CLI prints them, and under
 * `strict` the first one fails the render instead (exit 1), before anything is written.
 */
import { FramesmithError } from './errors.js';
import type { ResolvedFont } from './fonts/resolved-font.js';

/** The `code` of a RenderWarning: what kind of thing the render did without. */
export type WarningCode =
  /** A stylesheet, image, font or fetch the page asked for could not be loaded. */
  | 'asset_unavailable'
  /** A font family could not be resolved, or a character was drawn from a machine's font; another face was used. */
  | 'font_fallback'
  /** A character no face covers was drawn as the empty .notdef box (src/fonts/glyph-check.ts). */
  | 'glyph_missing'
  /** A video decoded short of what its file's header promised; its last decoded frame is repeated. */
  | 'media_truncated'
  /** The page reported something through `window.__framesmith.warnings`. */
  | 'page'
  /** An audio attribute HyperFrames documents that the mix does not reproduce (an effect, an automation lane): mixed without it. */
  | 'audio_unsupported'
  /** A render value that does not fit its declaration, or a data-var-src / data-var-text binding that cannot apply (src/load/variables.ts, variable-bindings.ts). */
  | 'variable'
  /** `--hdr` with an output format that carries no HDR (every format but mp4): written SDR. */
  | 'hdr_unsupported'
  /** A chunk's segment could not be kept in the cache for later incremental renders (src/render/incremental.ts). */
  | 'incremental';

/** Something a render did without (an image, a font, an attribute it does not support): it went on, and says so. */
export interface RenderWarning {
  code: WarningCode;
  /** Says what happened, to what (element, file or URL), and how to avoid it; the render went on without it. */
  message: string;
  element?: string;
  url?: string;
  file?: string;
  /** A `font_fallback` warning: the family and the face drawn instead (listed in RenderResult.fonts too). */
  font?: ResolvedFont;
}

/**
 * What `strict` fails on: `true` every warning, a list of codes only those (e.g. MEDIA_WARNING_CODES,
 * the CLI's `--no-best-effort`), `false` none.
 */
export type StrictSetting = boolean | readonly WarningCode[];

/** Media that is missing or not ready: what HyperFrames' `--no-best-effort` fails on. */
export const MEDIA_WARNING_CODES: readonly WarningCode[] = ['asset_unavailable', 'media_truncated'];

/** Thrown by `WarningLog.add` under `strict` (made by `strictModeError`). */
export class StrictModeError extends FramesmithError<'strict'> {
  override readonly name = 'StrictModeError';
}

/** The StrictModeError of `warning`: its message, and why it is an error (the `strict` option). */
export function strictModeError(warning: RenderWarning, strict: StrictSetting = true): StrictModeError {
  const why = strict === true ? '`strict`: a warning is an error' : '`strict`: missing or unready media is an error';
  return new StrictModeError('strict', `${warning.message} (${why})`, {
    element: warning.element,
    url: warning.url,
    file: warning.file,
    option: 'strict',
  });
}

/** `warnings` without repeats: the first of each code and message, in order. */
export function uniqueWarnings(warnings: Iterable<RenderWarning>): RenderWarning[] {
  const out: RenderWarning[] = [];
  for (const w of warnings) if (!out.some((x) => x.code === w.code && x.message === w.message)) out.push(w);
  return out;
}

/**
 * The warnings of one render: each kept once (same code and message), passed to `onWarning` as it comes, or
 * thrown as a StrictModeError when `strict` covers its code (then neither kept nor passed on).
 */
export class WarningLog {
  private readonly list: RenderWarning[] = [];
  private readonly seen = new Set<string>();

  constructor(
    private readonly strict: StrictSetting = false,
    private readonly onWarning?: (warning: RenderWarning) => void,
  ) {}

  /** Adds `warning` once (by code and message); throws StrictModeError under strict. */
  add(warning: RenderWarning): void {
    const key = `${warning.code}\u0000${warning.message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    if (this.strict === true || (Array.isArray(this.strict) && this.strict.includes(warning.code)))
      throw strictModeError(warning, this.strict);
    this.list.push(warning);
    this.onWarning?.(warning);
  }

  get warnings(): readonly RenderWarning[] {
    return this.list;
  }
}
