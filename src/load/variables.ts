/**
 * Composition variables, as HyperFrames declares them: `data-composition-variables` on `<html>` or on
 * a composition element holds a JSON array of declarations `{ id, type, label?, default, options? }`
 * with `type` one of `string`, `number`, `color`, `boolean`, `enum` (with `options`: values or
 * `{ value, label }`), `font` and `image`.
 *
 * Values: the page reads `window.__hyperframes.getVariables()` — every declared default of the
 * document (sub-compositions' declarations included), overlaid with the render's values
 * (`--variables`, `--variables-file`, the `variables` option). A render value should name a declared
 * variable of the entry document and have its type (checkVariableValues); one that does not is a
 * warning and is used as given, or with `strictVariables` refused before the render starts. A
 * sub-composition's scripts see their own file's defaults overlaid with the host's
 * `data-variable-values` (a JSON object), not the render's values.
 *
 * Scalar values (and a font object's `name`) are also set as CSS custom properties on the declaring
 * element (`--<slug>`, the id lower-cased with runs of other characters turned into `-`, and
 * `--<id>` as written): a default only when the element's style does not set it already, a render
 * value always. `data-var-src` / `data-var-text` bindings: variable-bindings.ts.
 */
import { FramesmithError } from '../errors.js';
import type { HTMLElement } from 'node-html-parser';
import { CompositionError } from '../composition/errors.js';
import { labelOf } from '../composition/dom.js';
import type { RenderWarning } from '../warnings.js';

/** The declaration types HyperFrames knows; a declaration of another type is malformed (see `malformed`). */
export const VARIABLE_TYPES = ['string', 'number', 'color', 'boolean', 'enum', 'font', 'image'] as const;
/** A declaration's `type`: the kind of value a render may give it (checked by checkVariableValues). */
export type VariableType = (typeof VARIABLE_TYPES)[number];

/** One entry of `data-composition-variables`, as declaredVariables keeps it (`default` not checked against `type`). */
export interface VariableDeclaration {
  id: string;
  type: VariableType;
  label?: string;
  default: unknown;
  /** `enum` only: the allowed values. */
  options?: unknown[];
}

/** A render value that does not fit the declarations: a usage error (exit 2), naming the variable. */
export class VariablesError extends FramesmithError<'invalid_variables', { variable?: string; option?: string }> {
  override readonly name = 'VariablesError';
}

/** Receives what is wrong with an attribute, and its element; throws, or warns and lets the caller skip it. */
type Malformed = (message: string, el: HTMLElement) => void;

/**
 * What a malformed `data-composition-variables` / `data-variable-values` does: with `warn`, a
 * `variable` warning and the attribute (or the one bad declaration) is ignored, as HyperFrames
 * ignores it — the composition renders with the rest; without, a CompositionError.
 */
function malformed(file: string, warn?: (warning: RenderWarning) => void): Malformed {
  return (message, el) => {
    if (!warn) throw new CompositionError('invalid_variables', message, { file, element: labelOf(el) });
    warn({ code: 'variable', file, element: labelOf(el), message: `${message}; ignored meanwhile, as HyperFrames ignores it` });
  };
}

/**
 * The declarations on `el`'s `data-composition-variables` (none when absent). A malformed attribute or
 * declaration: see `malformed` (a warning when `warn` is given, else an error).
 */
export function declaredVariables(el: HTMLElement | null, file: string, warn?: (warning: RenderWarning) => void): VariableDeclaration[] {
  const text = el?.getAttribute('data-composition-variables');
  if (!el || text === undefined) return [];
  const bad = malformed(file, warn);
  const where = `${labelOf(el)} in ${file}`;
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch (error) {
    bad(
      `${where}: data-composition-variables is not valid JSON (${(error as Error).message}): write a JSON array such as [{"id":"title","type":"string","default":"Hello"}]`,
      el,
    );
    return [];
  }
  if (!Array.isArray(list)) {
    bad(
      `${where}: data-composition-variables must be a JSON array of declarations such as [{"id":"title","type":"string","default":"Hello"}]`,
      el,
    );
    return [];
  }
  return list.flatMap((entry, i) => {
    const d = entry as Partial<VariableDeclaration> | null;
    if (!d || typeof d.id !== 'string' || !VARIABLE_TYPES.includes(d.type as VariableType)) {
      bad(`${where}: data-composition-variables entry ${i} needs a string "id" and a "type" among ${VARIABLE_TYPES.join(', ')}`, el);
      return [];
    }
    const options = d.type === 'enum' && Array.isArray(d.options) ? d.options.map(optionValue) : undefined;
    return [
      {
        id: d.id,
        type: d.type as VariableType,
        ...(d.label !== undefined ? { label: String(d.label) } : {}),
        default: d.default,
        ...(options ? { options } : {}),
      },
    ];
  });
}

function optionValue(option: unknown): unknown {
  return option && typeof option === 'object' && 'value' in option ? (option as { value: unknown }).value : option;
}

/** The host's `data-variable-values` (a JSON object), or `{}`; malformed: see `malformed`. */
export function parseVariableValues(host: HTMLElement, where: string, warn?: (warning: RenderWarning) => void): Record<string, unknown> {
  const text = host.getAttribute('data-variable-values');
  if (text === undefined) return {};
  const bad = malformed(where, warn);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    bad(
      `${where}: data-variable-values is not valid JSON (${(error as Error).message}): write a JSON object such as {"title":"Hello"}`,
      host,
    );
    return {};
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    bad(`${where}: data-variable-values must be a JSON object such as {"title":"Hello"}`, host);
    return {};
  }
  return value as Record<string, unknown>;
}

/** How render values that do not fit the declarations are handled (see `checkVariableValues`). */
export interface VariableCheckOptions {
  /** Refuse them (VariablesError, a usage error) instead of warning. HyperFrames' `--strict-variables`. */
  strict?: boolean;
  /** Receives one warning per value that does not fit. */
  warn?: (warning: RenderWarning) => void;
}

/**
 * Checks render values against the entry's declarations, as HyperFrames does: a key no declaration
 * names, or a value of the wrong type (`string` / `color`: a string; `number`: a finite number;
 * `boolean`; `enum`: a string among the options; `font`: a string or `{ name, source }` strings;
 * `image`: a string or `{ url }`) is a warning — the render goes on and uses the value as given (the
 * page's `getVariables()` holds it) — or, under `strict`, a VariablesError naming every such key.
 * A composition that declares no variables has nothing to check against (HyperFrames checks nothing
 * then either): given values are reported once as unchecked, never refused.
 */
export function checkVariableValues(
  values: Record<string, unknown>,
  declarations: readonly VariableDeclaration[],
  file: string,
  options: VariableCheckOptions = {},
): void {
  const names = Object.keys(values);
  if (names.length === 0) return;
  const warn = options.warn ?? (() => {});
  if (declarations.length === 0) {
    warn({
      code: 'variable',
      file,
      message: `${file} declares no variables (data-composition-variables), so the values given for ${names.map((n) => `"${n}"`).join(', ')} are not checked: scripts still read them through getVariables() and CSS as var(--<name>); declare them in data-composition-variables to have them checked`,
    });
    return;
  }
  const byId = new Map(declarations.map((d) => [d.id, d]));
  const declared = declarations.map((d) => d.id).join(', ');
  const problems: Array<{ name: string; message: string }> = [];
  for (const [name, value] of Object.entries(values)) {
    const d = byId.get(name);
    const given = describeValue(value);
    if (!d) {
      problems.push({
        name,
        message: `variable "${name}" (given ${given}) is not declared in data-composition-variables of ${file} (declared: ${declared})`,
      });
      continue;
    }
    const problem = typeProblem(d, value);
    if (problem) problems.push({ name, message: `variable "${name}" is declared in ${file} as ${d.type} and ${problem}, got ${given}` });
  }
  if (problems.length === 0) return;
  if (options.strict) {
    const list = problems.map((p) => p.message).join('; ');
    throw new VariablesError(
      'invalid_variables',
      `${list} (\`strictVariables\`): fix the value${problems.length > 1 ? 's' : ''} or the declaration${problems.length > 1 ? 's' : ''}, or drop \`strictVariables\` to render with a warning`,
      { variable: problems[0]!.name, option: 'strictVariables' },
    );
  }
  for (const p of problems)
    warn({
      code: 'variable',
      file,
      message: `${p.message}: rendering with the value as given; fix the value or the declaration (\`strictVariables\` refuses it)`,
    });
}

/**
 * Warns about each value a host's `data-variable-values` gives a mounted sub-composition that does
 * not fit the file's declaration of it (the types of checkVariableValues). The value is used as given
 * (HyperFrames warns about an enum value outside its options and renders). Keys the file does not
 * declare are not checked: a host may pass values only some of its files read.
 */
export function checkHostValues(
  mount: { id: string; file: string; variables: Record<string, unknown> },
  declarations: readonly VariableDeclaration[],
  warn: (warning: RenderWarning) => void,
): void {
  for (const d of declarations) {
    if (!(d.id in mount.variables) || mount.variables[d.id] === d.default) continue;
    const problem = typeProblem(d, mount.variables[d.id]);
    if (problem)
      warn({
        code: 'variable',
        file: mount.file,
        message: `sub-composition "${mount.id}" (${mount.file}): variable "${d.id}" is declared as ${d.type} and ${problem}, got ${describeValue(mount.variables[d.id])} from its host's data-variable-values: rendering with the value as given; fix the host's value`,
      });
  }
}

/** A value as a message shows it: JSON, shortened, with its JSON type. */
function describeValue(value: unknown): string {
  const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
  let json = JSON.stringify(value) ?? String(value);
  if (json.length > 60) json = `${json.slice(0, 57)}...`;
  return `${json} (${kind})`;
}

/** What is wrong with `value` for `d` ("expects …"), or null when it fits. */
function typeProblem(d: VariableDeclaration, value: unknown): string | null {
  const record = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  switch (d.type) {
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? null : 'expects a finite number';
    case 'boolean':
      return typeof value === 'boolean' ? null : 'expects true or false';
    case 'enum':
      // An option may be a number or a boolean as well as a string: a value fits when it is one of them, of the same type.
      if (d.options)
        return d.options.some((o) => o === value) ? null : `must be one of ${d.options.map((o) => JSON.stringify(o)).join(', ')}`;
      return typeof value === 'string' ? null : 'expects a string among its options';
    case 'font':
      if (typeof value === 'string') return null;
      return record && typeof record.name === 'string' && typeof record.source === 'string'
        ? null
        : 'expects a family name or an object {"name": string, "source": string}';
    case 'image':
      if (typeof value === 'string') return null;
      return record && typeof record.url === 'string' ? null : 'expects a URL or an object {"url": string}';
    default:
      return typeof value === 'string' ? null : 'expects a string';
  }
}

/** `--<slug>` of a variable id: lower case, runs of other characters as `-`, trimmed; `node` when empty. */
export function variableSlug(id: string): string {
  return (
    id
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'node'
  );
}

/** The CSS text of a variable's value: a scalar as text, a font object as its `name`; null otherwise. */
function cssValueOf(value: unknown): string | null {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  const name = value !== null && typeof value === 'object' ? (value as { name?: unknown }).name : undefined;
  return typeof name === 'string' && name !== '' ? name : null;
}

/**
 * The custom properties a variable sets: `--<slug>`, and `--<id>` as written when the id is a plain
 * identifier that differs (HyperFrames' page runtime sets that one too, so `var(--accentColor)` works).
 */
function propertiesOf(id: string): string[] {
  const slug = `--${variableSlug(id)}`;
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(id) && `--${id}` !== slug ? [slug, `--${id}`] : [slug];
}

/**
 * Sets the variables of `el` as CSS custom properties in its `style` attribute (`--<slug>` and
 * `--<id>`, see propertiesOf): `defaults` only where the style does not set them, `values` always.
 * Scalars are written as text, a font object as its family `name`; other values set nothing. `;`,
 * braces, angle brackets and line breaks are removed from the text, as HyperFrames does, so a value
 * cannot end its declaration and add others.
 */
export function applyVariableProperties(el: HTMLElement, defaults: Record<string, unknown>, values: Record<string, unknown>): void {
  const style = el.getAttribute('style') ?? '';
  const set = new Map<string, string>();
  const put = (id: string, value: unknown, always: boolean) => {
    const css = cssValueOf(value);
    if (css === null) return;
    for (const prop of propertiesOf(id)) {
      if (always || !new RegExp(`(^|;)\\s*${prop}\\s*:`).test(style)) set.set(prop, css.replace(/[;{}<>\r\n]/g, ''));
    }
  };
  for (const [id, v] of Object.entries(defaults)) put(id, v, false);
  for (const [id, v] of Object.entries(values)) put(id, v, true);
  if (set.size === 0) return;
  const added = [...set].map(([p, v]) => `${p}:${v}`).join(';');
  el.setAttribute('style', style.trim() ? `${style.trim().replace(/;?$/, ';')}${added}` : added);
}
