/**
 * The root is sized as HyperFrames sizes it: `data-width` / `data-height` become the root's inline
 * `width` / `height` in px, and `<html>` and `<body>` get the same size with no margin, no padding
 * and `overflow: hidden`; a statically positioned root becomes `position: relative`, and the root
 * clips its content (`overflow: hidden`). So a root whose children are all absolutely positioned is
 * the composition's size instead of 0 px tall. A root without a declared size is left to its CSS.
 */
export function sizeRoot(doc: Document, root: Element | null): void {
  if (!(root instanceof (doc.defaultView?.HTMLElement ?? HTMLElement))) return;
  const width = Number(root.getAttribute('data-width'));
  const height = Number(root.getAttribute('data-height'));
  for (const el of [doc.documentElement, doc.body]) {
    if (!el) continue;
    el.style.margin = '0';
    el.style.padding = '0';
    el.style.overflow = 'hidden';
    if (width > 0) el.style.width = `${width}px`;
    if (height > 0) el.style.height = `${height}px`;
  }
  if (width > 0) root.style.width = `${width}px`;
  if (height > 0) root.style.height = `${height}px`;
  const computed = doc.defaultView?.getComputedStyle(root);
  if (computed?.position === 'static') root.style.position = 'relative';
  root.style.overflow = 'hidden';
}
