/** Finding the HTML file a render starts from. */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { CompositionError } from '../composition/errors.js';

/** Resolves `input` (a directory holding index.html, or an .html file) to the entry file. */
export async function locateEntry(input: string): Promise<string> {
  const resolved = path.resolve(input);
  const info = await stat(resolved).catch(() => null);
  if (info?.isDirectory()) {
    const index = path.join(resolved, 'index.html');
    const indexInfo = await stat(index).catch(() => null);
    if (!indexInfo?.isFile()) {
      throw new CompositionError('no_index_html', `${resolved} has no index.html: add one, or pass the .html file to render`, {
        file: index,
      });
    }
    return index;
  }
  if (!info?.isFile()) {
    throw new CompositionError(
      'no_index_html',
      `${resolved} does not exist: pass a project directory holding index.html, or an .html file`,
      { file: resolved },
    );
  }
  return resolved;
}
