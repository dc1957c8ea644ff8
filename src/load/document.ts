/**
 * The composition's document as the browser will see it: the entry file with its sub-compositions
 * inlined (sub-compositions.ts), the composition picked when the file holds several, and the
 * variables applied (variables.ts: values checked, CSS properties; variable-bindings.ts:
 * `data-var-src` / `data-var-text`). Everything the Node side parses comes from this same text, so
 * its timed elements are the page's.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { HTMLElement } from 'node-html-parser';
import { CompositionError } from '../composition/errors.js';
import { enclosingComposition, parseHtml } from '../composition/dom.js';
import type { CompositionSource } from '../composition/model.js';
import type { RenderWarning } from '../warnings.js';
import { locateEntry } from './entry.js';
import { dropBundledGoogleFonts, resolveFonts, takeGoogleFontLinks } from './fonts.js';
import { localizeRemoteAssets, type RemoteAssetOptions } from './remote-assets.js';
import type { RemoteFetchHow } from './remote-media.js';
import { inlineSubCompositions } from './sub-compositions.js';
import { applyVariableBindings } from './variable-bindings.js';
import { applyVariableProperties, checkHostValues, checkVariableValues, declaredVariables, type VariableDeclaration } from './variables.js';

/** How `loadDocument` assembles the document: which composition, the variables' values, downloads, warnings. */
export interface LoadOptions {
  /**
   * Render one composition of several in the file: the `data-composition-id` of a top-level
   * composition. The others are not displayed.
   */
  composition?: string;
  /** Values of the entry's declared variables (checked against their declarations: variables.ts). */
  variables?: Record<string, unknown>;
  /** A value that does not fit the declarations is an error (VariablesError) instead of a warning. */
  strictVariables?: boolean;
  /** Downloads remote assets (the render's remote cache); without it they stay remote (and blocked). */
  fetchRemote?: RemoteAssetOptions['fetchRemote'];
  /** A hint for a download failure (see RemoteMedia.hint). */
  remoteHint?: RemoteAssetOptions['hint'];
  /** The bundled gsap, for CDN GSAP scripts. */
  gsap?: RemoteAssetOptions['gsap'];
  /** Receives warnings (an asset that cannot be fetched, a font family nothing provides). */
  warn?: (warning: RenderWarning) => void;
  /**
   * Read sub-compositions (and, through ParseOptions, media) outside the project directory
   * (src/composition/project-paths.ts); default false: refused.
   */
  allowOutsideProject?: boolean;
}

/** The assembled document (`html`, with sub-compositions inlined and variables applied) and what was read for it. */
export interface LoadedDocument extends CompositionSource {
  /** The entry document's own variable declarations (html and root). */
  declarations: VariableDeclaration[];
}

/** Attribute marking the top-level compositions a render of another one leaves out. */
const UNPICKED_ATTR = 'data-framesmith-unpicked';

/**
 * Assembles the document of `input` (a directory holding index.html, or an .html file); see the module
 * comment. Throws CompositionError (`no_index_html`, `no_root` for an unknown `composition`, …), and
 * VariablesError with `strictVariables` for a value that does not fit.
 */
export async function loadDocument(input: string, options: LoadOptions = {}): Promise<LoadedDocument> {
  const entryFile = await locateEntry(input);
  const rootDir = path.dirname(entryFile);
  const document = parseHtml(await readFile(entryFile, 'utf8'), entryFile);
  const topLevel = document.querySelectorAll('[data-composition-id]').filter((el) => enclosingComposition(el) === null);
  let root: HTMLElement | undefined = topLevel[0];
  if (options.composition !== undefined) {
    root = topLevel.find((el) => el.getAttribute('data-composition-id') === options.composition);
    if (!root) {
      const ids = topLevel.map((el) => el.getAttribute('data-composition-id')).join(', ') || 'none';
      throw new CompositionError(
        'no_root',
        `${entryFile} has no top-level composition "${options.composition}" (it has: ${ids}): pass one of those as \`composition\``,
        { file: entryFile, option: 'composition' },
      );
    }
    for (const other of topLevel) if (other !== root) other.setAttribute(UNPICKED_ATTR, '');
  }

  const warn = options.warn ?? (() => {});
  const { mounts } = inlineSubCompositions(document, entryFile, rootDir, options.allowOutsideProject, warn);

  const html = document.querySelector('html');
  const htmlDeclarations = declaredVariables(html, entryFile, warn);
  const rootDeclarations = root && root !== html ? declaredVariables(root, entryFile, warn) : [];
  const declarations = [...htmlDeclarations, ...rootDeclarations];
  const values = options.variables ?? {};
  checkVariableValues(values, declarations, entryFile, { strict: options.strictVariables, warn });
  const defaults = (list: VariableDeclaration[]) => Object.fromEntries(list.map((d) => [d.id, d.default]));
  // getVariables(): every declaration's default in the document, then the render's values.
  const variables = {
    ...Object.fromEntries(mounts.flatMap((m) => m.declarations.map((d) => [d.id, d.default]))),
    ...defaults(declarations),
    ...values,
  };
  // Values no declaration names still reach CSS, on the root, as HyperFrames' runtime sets them.
  const undeclared = Object.fromEntries(Object.entries(values).filter(([id]) => !declarations.some((d) => d.id === id)));
  if (html) applyVariableProperties(html, defaults(htmlDeclarations), { ...pick(values, htmlDeclarations), ...(root ? {} : undeclared) });
  if (root) applyVariableProperties(root, defaults(rootDeclarations), { ...pick(values, rootDeclarations), ...undeclared });
  for (const mount of mounts) {
    const inner = document.querySelector(`[data-composition-id="${mount.id}"]`);
    if (inner) applyVariableProperties(inner, mount.variables, {});
    checkHostValues(mount, mount.declarations, warn);
  }
  // A mount with no variables of its own reads the document's, as in HyperFrames.
  const mountValues = new Map(mounts.filter((m) => Object.keys(m.variables).length > 0).map((m) => [m.id, m.variables]));
  applyVariableBindings(document, { document: variables, mounts: mountValues }, entryFile, warn);
  if (options.composition !== undefined) {
    const head = document.querySelector('head') ?? document;
    head.insertAdjacentHTML('beforeend', `<style>[${UNPICKED_ATTR}]{display:none !important}</style>`);
  }

  dropBundledGoogleFonts(document);
  // With downloads, the other Google Fonts stylesheets are fetched as HyperFrames fetches them (src/fonts/google.ts).
  const googleLinks = options.fetchRemote ? takeGoogleFontLinks(document) : new Map();
  const assets = await localizeRemoteAssets(document, entryFile, {
    fetchRemote: options.fetchRemote,
    hint: options.remoteHint,
    gsap: options.gsap,
    warn,
  });
  const fetchRemote = options.fetchRemote;
  const google = fetchRemote && { fetch: (url: string, how: RemoteFetchHow) => fetchRemote(url, how), authored: googleLinks };
  const fonts = await resolveFonts(
    document,
    rootDir,
    assets.flatMap((a) => ('text' in a ? [a.text] : [])),
    warn,
    [JSON.stringify(variables)],
    google,
  );

  return {
    html: document.toString(),
    entryFile,
    rootDir,
    ...(options.composition !== undefined ? { rootId: options.composition } : {}),
    mounts: mounts.map(({ declarations: _, ...mount }) => mount),
    variables,
    declarations,
    assets: [...assets, ...fonts.assets],
    fonts: fonts.families,
    fontReport: fonts.report,
  };
}

function pick(values: Record<string, unknown>, declarations: VariableDeclaration[]): Record<string, unknown> {
  return Object.fromEntries(declarations.filter((d) => d.id in values).map((d) => [d.id, values[d.id]]));
}
