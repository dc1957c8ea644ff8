/**
 * The composition's timed elements in the page, addressed by the same index the Node-side parser
 * gives them (src/composition/dom.ts applies the same rule): `TIMED_SELECTOR` in document order,
 * minus the root, and only inside the root when the render picked one composition of several.
 */
import type { RuntimeConfig, RuntimeTimed } from '../page-api.js';

/** What makes an element timed, in the page as in the Node-side parser. */
export const TIMED_SELECTOR = '[data-start], video, audio';

/**
 * The composition's timed elements of one document. `root()` is the composition root (`rootSelector`, else the
 * first `[data-composition-id]`), or null while it is not parsed yet or when the page has none.
 */
export interface TimedElements {
  root(): Element | null;
  /** The list, cached once the document finished parsing. */
  list(): Element[];
  /** The config entry of `el`, or null when it is not a timed element of the composition. */
  entryOf(el: Element): RuntimeTimed | null;
  /**
   * Throws when an element's tag/id at its index differs from the parsed one: the browser parsed the
   * HTML differently (a `<div>` inside `<p>` or `<table>`), or a script inserted timed elements before
   * it, and clip windows would land on the wrong elements.
   */
  check(): void;
}

/** The timed elements of `doc` as `config` places them (`rootSelector`, `timedWithinRoot`, `timed`). */
export function timedElements(doc: Document, config: RuntimeConfig): TimedElements {
  let root: Element | null = null;
  let cached: Element[] | null = null;
  const findRoot = () => (root ??= doc.querySelector(config.rootSelector ?? '[data-composition-id]'));
  const query = (): Element[] => {
    const r = findRoot();
    const scope: ParentNode = config.timedWithinRoot && r ? r : doc;
    return Array.from(scope.querySelectorAll(TIMED_SELECTOR)).filter((el) => el !== r);
  };
  const list = (): Element[] => {
    // While the document is still parsing, the list is not final: do not cache it.
    if (doc.readyState === 'loading') return query();
    cached ??= query();
    return cached;
  };
  return {
    root: findRoot,
    list,
    entryOf(el) {
      const els = list();
      for (const entry of config.timed) if (els[entry.index] === el) return entry;
      return null;
    },
    check() {
      const els = list();
      for (const entry of config.timed) {
        if (!entry.tagName) continue;
        const el = els[entry.index];
        const expected = entry.tagName + (entry.id ? `#${entry.id}` : '');
        const found = el ? el.tagName.toLowerCase() + (el.id ? `#${el.id}` : '') : 'nothing';
        if (found !== expected) {
          throw new Error(
            `framesmith: timed element ${entry.index} should be ${expected} but the page has ${found} there: the browser parsed the HTML differently (check for a <div> inside <p> or <table>, unclosed tags, or scripts that insert elements with data-start) and fix the markup`,
          );
        }
      }
    },
  };
}
