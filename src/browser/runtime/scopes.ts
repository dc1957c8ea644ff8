/**
 * Scoped globals for the scripts of sub-compositions mounted from files (src/load/sub-compositions.ts
 * wraps each one in `window.__framesmithScope(id, function (document, window, gsap, __hyperframes)
 * {…})`), so a file's script finds its own elements whichever host mounted it, as in HyperFrames:
 *
 * - `document.querySelector`, `querySelectorAll` and `getElementById` look only at the composition's
 *   element (the one carrying `data-composition-id="<id>"`) and inside it, the element itself first
 *   when it matches; everything else is the page's document;
 * - `gsap.to` / `from` / `fromTo` / `set`, the same methods of the timelines `gsap.timeline()`
 *   returns, and `gsap.utils.toArray` resolve selector strings inside the composition;
 * - `window.__timelines["<authored id>"]` is the composition's own entry (a second mount of a file
 *   registers under `<id>__2`); `window.document`, `window.gsap` and `window.__hyperframes` are the
 *   scoped ones; everything else is the page's window;
 * - `__hyperframes.getVariables()` returns the sub-composition's own values (its file's defaults
 *   overlaid with the host's `data-variable-values`).
 */
import type { RuntimeConfig } from '../page-api.js';

type Scope = NonNullable<RuntimeConfig['scopes']>[string];
type AnyFunction = (...args: unknown[]) => unknown;
/** The proxied object behind a scoped timeline, for code that compares identities. */
export const SCOPED_TARGET = '__framesmithScopedTarget';

/**
 * Defines `window.__framesmithScope(id, body)`: calls `body` with the scoped `document`, `window`, `gsap` and
 * `__hyperframes` of mount `id` (made once per id; see the module comment) and returns what it returns.
 * Without an element for `id`, the scope is the whole document.
 */
export function installScopes(win: Window & typeof globalThis, scopes: Record<string, Scope>): void {
  const made = new Map<string, [Document, Window, unknown, unknown]>();
  Object.defineProperty(win, '__framesmithScope', {
    value(id: string, body: AnyFunction) {
      let globals = made.get(id);
      if (!globals) {
        globals = scopedGlobals(win, id, scopes[id]);
        made.set(id, globals);
      }
      return body.apply(win, globals);
    },
  });
}

function scopedGlobals(win: Window & typeof globalThis, id: string, scope: Scope | undefined): [Document, Window, unknown, unknown] {
  const doc = win.document;
  const rootEl = () => doc.querySelector(`[data-composition-id="${CSS.escape(id)}"]`) ?? doc.documentElement;
  // The composition's element itself first when it matches, then what is inside it: in document order,
  // as HyperFrames' scoped queries answer (a script finding its own root by its id is common).
  const select = (selector: string): Element[] => {
    const root = rootEl();
    const inside = Array.from(root.querySelectorAll(selector));
    return root.matches(selector) ? [root, ...inside] : inside;
  };
  const resolve = (targets: unknown) => (typeof targets === 'string' ? select(targets) : targets);

  const scopedDocument = new Proxy(doc, {
    get(target, prop) {
      if (prop === 'querySelector') {
        return (selector: string) => {
          const root = rootEl();
          return root.matches(selector) ? root : root.querySelector(selector);
        };
      }
      if (prop === 'querySelectorAll') {
        return (selector: string) => {
          const root = rootEl();
          return root.matches(selector) ? select(selector) : root.querySelectorAll(selector);
        };
      }
      if (prop === 'getElementById') {
        return (elementId: string) => {
          const root = rootEl();
          return root.id === elementId ? root : root.querySelector(`#${CSS.escape(elementId)}`);
        };
      }
      return bound(Reflect.get(target, prop, target), target);
    },
    set: (target, prop, value) => Reflect.set(target, prop, value, target),
  });

  const authored = scope?.authoredId ?? id;
  const registryKey = (key: PropertyKey) => (key === authored ? id : key);
  const registry = () => {
    const w = win as unknown as { __timelines?: Record<PropertyKey, unknown> };
    if (!w.__timelines || typeof w.__timelines !== 'object') w.__timelines = {};
    return w.__timelines;
  };
  const timelines = new Proxy(
    {},
    {
      get: (_t, key) => registry()[registryKey(key)],
      set: (_t, key, value) => {
        registry()[registryKey(key)] = value;
        return true;
      },
      has: (_t, key) => registryKey(key) in registry(),
      deleteProperty: (_t, key) => delete registry()[registryKey(key)],
      ownKeys: () => Reflect.ownKeys(registry()),
      getOwnPropertyDescriptor: (_t, key) => Object.getOwnPropertyDescriptor(registry(), registryKey(key)),
    },
  );

  const realGsap = (win as unknown as { gsap?: Record<string, unknown> }).gsap;
  const scopedGsap = realGsap ? scopeGsap(realGsap, resolve) : undefined;
  const variables = scope?.variables ?? {};
  const pageHf = (win as unknown as { __hyperframes?: Record<string, unknown> }).__hyperframes ?? {};
  const scopedHf = { ...pageHf, getVariables: () => ({ ...variables }) };

  const scopedWindow = new Proxy(win, {
    get(target, prop) {
      if (prop === 'document') return scopedDocument;
      if (prop === '__timelines') return timelines;
      if (prop === 'gsap') return scopedGsap ?? Reflect.get(target, prop);
      if (prop === '__hyperframes') return scopedHf;
      if (prop === 'window' || prop === 'self' || prop === 'globalThis') return scopedWindow;
      return bound(Reflect.get(target, prop), target);
    },
    set(target, prop, value) {
      if (prop === '__timelines' && value && typeof value === 'object') {
        for (const [key, tl] of Object.entries(value)) registry()[registryKey(key)] = tl;
        return true;
      }
      return Reflect.set(target, prop, value);
    },
  });
  return [scopedDocument, scopedWindow, scopedGsap, scopedHf];
}

/** A function read off `owner`, bound to it (methods need their real `this`); constructors as they are. */
function bound(value: unknown, owner: object): unknown {
  return typeof value === 'function' && !/^[A-Z]/.test(value.name) ? (value as AnyFunction).bind(owner) : value;
}

const TWEEN_METHODS = new Set(['to', 'from', 'fromTo', 'set']);

function scopeGsap(gsap: Record<string, unknown>, resolve: (targets: unknown) => unknown): unknown {
  const utils = gsap.utils as Record<string, unknown> | undefined;
  const scopedUtils =
    utils &&
    new Proxy(utils, {
      get(target, prop) {
        if (prop === 'toArray') return (targets: unknown, ...rest: unknown[]) => (target.toArray as AnyFunction)(resolve(targets), ...rest);
        return bound(Reflect.get(target, prop), target);
      },
    });
  return new Proxy(gsap, {
    get(target, prop) {
      if (typeof prop === 'string' && TWEEN_METHODS.has(prop)) {
        return (targets: unknown, ...rest: unknown[]) => (target[prop] as AnyFunction)(resolve(targets), ...rest);
      }
      if (prop === 'timeline') return (...args: unknown[]) => scopeTimeline((target.timeline as AnyFunction)(...args) as object, resolve);
      if (prop === 'utils') return scopedUtils;
      return bound(Reflect.get(target, prop), target);
    },
  });
}

function scopeTimeline(tl: object, resolve: (targets: unknown) => unknown): object {
  const proxy: object = new Proxy(tl, {
    get(target, prop) {
      if (prop === SCOPED_TARGET) return target;
      const value = Reflect.get(target, prop);
      if (typeof value !== 'function') return value;
      const method = value as AnyFunction;
      return (...args: unknown[]) => {
        if (typeof prop === 'string' && TWEEN_METHODS.has(prop)) args[0] = resolve(args[0]);
        const result = method.apply(target, args);
        return result === target ? proxy : result;
      };
    },
  });
  return proxy;
}
