/**
 * Paths that climb out of the project. A render reads the files its composition names — media
 * (`src`), sub-compositions (`data-composition-src`) — on the Node side, where no browser sandbox
 * stops `../../home/me/.ssh/…`; a path that resolves outside the project directory is refused
 * (`outside_project`) unless the render allows it (`allowOutsideProject`, `--allow-outside-project`).
 *
 * The check is on the path as written, resolved lexically (`..` segments collapsed), never through
 * symlinks: a symlink the project holds (an `assets/` folder linked in from elsewhere) keeps working,
 * as the project server serves it, because the project's author made the link.
 */
import path from 'node:path';
import { CompositionError } from './errors.js';

/** The flag that allows what this module refuses, as messages name it. */
export const ALLOW_OUTSIDE_FLAG = '--allow-outside-project';

/** Whether `file` (absolute) is `rootDir` or lies under it, compared lexically. */
export function isInsideProject(rootDir: string, file: string): boolean {
  const relative = path.relative(path.resolve(rootDir), path.resolve(file));
  return relative === '' || (!relative.startsWith(`..${path.sep}`) && relative !== '..' && !path.isAbsolute(relative));
}

/**
 * Throws `outside_project` when `file`, which `attr="value"` of `element` in `hostFile` names, lies
 * outside `rootDir` and `allow` is not set.
 */
export function checkInsideProject(
  file: string,
  rootDir: string,
  allow: boolean | undefined,
  where: { attr: string; value: string; element: string; hostFile: string },
): void {
  if (allow || isInsideProject(rootDir, file)) return;
  const { attr, value, element, hostFile } = where;
  throw new CompositionError(
    'outside_project',
    `${element} in ${hostFile}: ${attr}="${value}" names ${file}, outside the project directory ${rootDir}: move the file into the project (a symlink inside it works too), or set \`allowOutsideProject\` to read files outside it`,
    { file: hostFile, element },
  );
}
