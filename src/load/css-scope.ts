/**
 * Scoping a sub-composition's CSS to its host, the way HyperFrames scopes it, so the same class
 * names in two compositions do not collide:
 *
 * - every selector of a style rule is prefixed with the scope (`[data-composition-id="ID"]`) as a
 *   descendant combinator: `.box`, `#title`, `.wrap .box.big > span` apply only inside the host;
 * - a selector that is only `html`, `body` or `:root`, or only the host's own
 *   `[data-composition-id="ID"]`, becomes the composition's box (its inner root, else the host); the
 *   host's attribute selector followed by more (`[data-composition-id="ID"] .a`) is the scope;
 * - `*` on its own is left global, and `@keyframes` and `@font-face` stay global (names are not
 *   rewritten), as in HyperFrames; rules inside `@media`, `@supports`, `@layer` and `@container` are
 *   scoped; rules nested in other rules are left to their parent;
 * - `url(…)` in declarations and `@import url(…)` go through `rebaseUrl` (relative URLs of the
 *   sub-composition file, see urls.ts); `@import "…"` (the string form) is kept as written, as
 *   HyperFrames keeps it.
 */
import postcss, { type AtRule, type Root, type Rule } from 'postcss';
import selectorParser from 'postcss-selector-parser';

/** How `scopeCss` rewrites one sub-composition's CSS: its scope selector, its box, and how its URLs are rebased. */
export interface CssScope {
  /** The host's selector, e.g. `[data-composition-id="intro"]`. */
  scope: string;
  /** The composition's box: the inner root (`[scope] > [data-framesmith-inner-root]`) or the host. */
  box: string;
  /** The composition id the host carries (its `[data-composition-id]` selector means the box). */
  id: string;
  /** A URL as the entry document must write it, or null to keep it as written. */
  rebaseUrl(url: string): string | null;
}

const GROUPING = new Set(['media', 'supports', 'layer', 'container', 'document', 'scope']);
const URL_TOKEN = /url\(\s*(['"]?)([^'")]+)\1\s*\)/g;

/** `css` with every rule scoped to `scope` (see the module comment). Unparseable CSS is returned unchanged. */
export function scopeCss(css: string, scope: CssScope): string {
  let root: Root;
  try {
    root = postcss.parse(css);
  } catch {
    return css;
  }
  root.walkRules((rule) => {
    if (!isScopable(rule)) return;
    rule.selector = scopeSelectorList(rule.selector, scope);
  });
  root.walkDecls((decl) => {
    if (decl.value.includes('url(')) decl.value = rebaseUrls(decl.value, scope);
  });
  root.walkAtRules('import', (at) => {
    if (/^\s*url\(/i.test(at.params)) at.params = rebaseUrls(at.params, scope);
  });
  return root.toString();
}

function isScopable(rule: Rule): boolean {
  for (let parent = rule.parent; parent && parent.type !== 'root'; parent = parent.parent) {
    if (parent.type === 'rule') return false;
    if (parent.type === 'atrule' && !GROUPING.has((parent as AtRule).name.toLowerCase())) return false;
  }
  return true;
}

function rebaseUrls(value: string, scope: CssScope): string {
  return value.replace(URL_TOKEN, (whole, quote: string, url: string) => {
    const rebased = scope.rebaseUrl(url.trim());
    return rebased === null ? whole : `url(${quote}${rebased}${quote})`;
  });
}

function scopeSelectorList(selectors: string, scope: CssScope): string {
  try {
    return selectorParser((list) => {
      list.each((selector) => {
        const replacement = scopeOne(selector, scope);
        if (replacement !== null) selector.replaceWith(selectorParser().astSync(replacement).first);
      });
    }).processSync(selectors);
  } catch {
    return selectors;
  }
}

/** The scoped form of one selector, or null to keep it as it is. */
function scopeOne(selector: selectorParser.Selector, scope: CssScope): string | null {
  const text = selector.toString().trim();
  const nodes = selector.nodes.filter((n) => !(n.type === 'combinator' && n.value.trim() === '' && n === selector.nodes[0]));
  const firstCombinator = nodes.findIndex((n) => n.type === 'combinator');
  const head = firstCombinator < 0 ? nodes : nodes.slice(0, firstCombinator);
  const rest = firstCombinator < 0 ? '' : selector.nodes.slice(selector.nodes.indexOf(nodes[firstCombinator]!)).join('').trim();
  if (text === '*') return null;
  if (head.length === 1 && rest === '') {
    const only = head[0]!;
    if (only.type === 'tag' && /^(html|body)$/i.test(only.value)) return scope.box;
    if (only.type === 'pseudo' && only.value.toLowerCase() === ':root') return scope.box;
  }
  if (head.length === 1 && head[0]!.type === 'attribute' && isHostAttribute(head[0] as selectorParser.Attribute, scope.id)) {
    return rest === '' ? scope.box : `${scope.scope} ${rest}`;
  }
  return `${scope.scope} ${text}`;
}

function isHostAttribute(node: selectorParser.Attribute, id: string): boolean {
  return node.attribute === 'data-composition-id' && node.operator === '=' && node.value === id;
}
