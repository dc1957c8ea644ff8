/** What a render reports of one font: the family named, the face drawn and where that face came from. */

export type FontSource = 'bundled' | 'google' | 'project' | 'fallback' | 'machine';

export interface ResolvedFont {
  /** The family as the composition names it (for the fallback chain, the chain face's family). */
  family: string;
  /** The face drawn. */
  face: string;
  source: FontSource;
  /** `machine`: the characters the machine's fonts drew. */
  characters?: string;
}
