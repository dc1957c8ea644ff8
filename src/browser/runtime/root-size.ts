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

/**
 * Sub-composition hosts directly under the root with a `data-start` are layered as HyperFrames lays
 * them out: a statically positioned host becomes `position: absolute` at the root's top left, and a
 * host with no size of its own takes its `data-width` / `data-height` in px, else 100%.
 */
export function positionHosts(doc: Document, root: Element | null): void {
  if (!root) return;
  const view = doc.defaultView;
  for (const host of Array.from(root.children)) {
    if (
      !(host instanceof (view?.HTMLElement ?? HTMLElement)) ||
      !host.hasAttribute('data-composition-file') ||
      !host.hasAttribute('data-start')
    )
      continue;
    if (view?.getComputedStyle(host).position === 'static') {
      host.style.position = 'absolute';
      host.style.left = '0';
      host.style.top = '0';
    }
    const rect = host.getBoundingClientRect();
    if (rect.width === 0) host.style.width = host.getAttribute('data-width') ? `${Number(host.getAttribute('data-width'))}px` : '100%';
    if (rect.height === 0) host.style.height = host.getAttribute('data-height') ? `${Number(host.getAttribute('data-height'))}px` : '100%';
  }
}
