/**
 * Relative URLs inside a sub-composition file, resolved the way HyperFrames resolves them once the
 * file's content is inlined into the entry document:
 *
 * - absolute URLs (`https:`, `data:`, any scheme), protocol-relative `//…`, root paths `/…` and
 *   fragments `#…` are kept;
 * - a file that sits in the project root keeps every URL (they already resolve the same);
 * - otherwise a path starting with `../` is resolved against the sub-composition file and rewritten
 *   relative to the project root; any other relative path is rewritten only when the file it names
 *   exists next to the sub-composition file — else it is kept, and resolves against the entry
 *   document as HyperFrames leaves it.
 *
 * `data-composition-src` itself is always relative to the project root, even inside nested files.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

/** A URL rewriter for content of `subFile` inlined into a document served from `rootDir`. */
export function subCompositionUrls(subFile: string, rootDir: string): (url: string) => string | null {
  const subDir = path.dirname(subFile);
  const sameDir = path.resolve(subDir) === path.resolve(rootDir);
  return (url: string): string | null => {
    const trimmed = url.trim();
    if (sameDir || trimmed === '' || /^([a-z][a-z0-9+.-]*:|\/|#)/i.test(trimmed)) return null;
    const at = trimmed.search(/[?#]/);
    const pathPart = at < 0 ? trimmed : trimmed.slice(0, at);
    const suffix = at < 0 ? '' : trimmed.slice(at);
    let decoded = pathPart;
    try {
      decoded = decodeURIComponent(pathPart);
    } catch {
      // keep the raw path
    }
    const target = path.resolve(subDir, decoded);
    if (!pathPart.startsWith('../') && !existsSync(target)) return null;
    const relative = path
      .relative(rootDir, target)
      .split(path.sep)
      .map((segment) => encodeURI(segment).replace(/[?#]/g, encodeURIComponent))
      .join('/');
    return relative + suffix;
  };
}

/** Attributes holding a URL that inlined markup may carry. */
export const URL_ATTRIBUTES = ['src', 'href', 'poster', 'data-src'] as const;
