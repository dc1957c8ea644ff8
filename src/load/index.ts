/**
 * The load step: from a project directory or HTML file to the composition a render works on.
 * `parseComposition` is the public entry: assemble the document (document.ts), then read its timeline
 * model (src/composition/parse.ts).
 */
import type { Composition } from '../composition/model.js';
import { compositionFromSource, type ParseOptions } from '../composition/parse.js';
import { loadDocument, type LoadOptions } from './document.js';

/** The load step's option and result types (document.ts). */
export type { LoadOptions, LoadedDocument } from './document.js';
export { loadDocument } from './document.js';
export { VariablesError } from './variables.js';

/** Options of `parseComposition`: the load's (LoadOptions) and the parse's (`fps`, `mediaDuration`). */
export interface ParseCompositionOptions extends ParseOptions, LoadOptions {}

/** Reads the composition at `input` (a directory holding index.html, or an .html file). */
export async function parseComposition(input: string, options: ParseCompositionOptions = {}): Promise<Composition> {
  const { fps, mediaDuration, ...load } = options;
  const source = await loadDocument(input, load);
  return compositionFromSource(source, { fps, mediaDuration, allowOutsideProject: load.allowOutsideProject });
}
