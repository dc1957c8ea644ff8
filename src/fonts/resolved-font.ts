/** What a render reports of one font: the family named, the face drawn and where that face came from. */

/**
 * Where a face came from: a bundled package, Google Fonts, the page's own `@font-face`, the fallback
 * chain (or, for a family nothing provides, whatever the list falls back to), or the machine's fonts.
 */
export type FontSource = 'bundled' | 'google' | 'project' | 'fallback' | 'machine';

/** One family a render drew text in, and the face it was actually drawn with. */
export interface ResolvedFont {
  /** The family as the composition names it (for the fallback chain, the chain face's family). */
  family: string;
  /** The face drawn. */
  face: string;
  source: FontSource;
  /** `machine`: the characters the machine's fonts drew. */
  characters?: string;
}
