/**
 * Composition variables, as HyperFrames declares them: `data-composition-variables` on `<html>` or on
 * a composition element holds a JSON array of declarations `{ id, type, label?, default, options? }`
 * with `type` one of `string`, `number`, `color`, `boolean`, `enum` (with `options`: values or
 * `{ value, label }`), `font` and `image`.
 *
 * Values: the page reads `window.__hyperframes.getVariables()` — every declared default of the
 * document (sub-compositions' declarations included), overlaid with the render's values
 * (`--variables`, `--variables-file`, the `variables` option). A render value must name a declared
 * variable of the entry document and have its type (a number for `number`, a boolean for `boolean`,
 * one of the options for `enum`, a string — or an object for `font` / `image` — otherwise); anything
 * else is refused before the render starts. A sub-composition's scripts see their own file's defaults
 * overlaid with the host's `data-variable-values` (a JSON object), not the render's values.
 *
 * Scalar values are also set as CSS custom properties on the declaring element (`--<slug>`, the id
 * lower-cased with runs of other characters turned into `-`): a default only when the element's
 * style does not set it already, a render value always.
 */
import { FramesmithError } from '../errors.js';
import type { HTMLElement } from 'node-html-parser';
import { CompositionError } from '../composition/errors.js';
import { labelOf } from '../composition/dom.js';

export const VARIABLE_TYPES = ['string', 'number', 'color', 'boolean', 'enum', 'font', 'image'] as const;
export type VariableType = (typeof VARIABLE_TYPES)[number];

export interface VariableDeclaration {
  id: string;
  type: VariableType;
  label?: string;
  default: unknown;
  /** `enum` only: the allowed values. */
  options?: unknown[];
}

/** A render value that does not fit the declarations: a usage error (exit 2), naming the variable. */
export class VariablesError extends FramesmithError<'invalid_variables', { variable?: string }> {
  override readonly name = 'VariablesError';
  constructor(message: string, readonly variable?: string) {
    super('invalid_variables', message, variable !== undefined ? { variable } : {});
  }
}

/** The declarations on `el`'s `data-composition-variables` (none when absent). */
export function declaredVariables(el: HTMLElement | null, file: string): VariableDeclaration[] {
  const text = el?.getAttribute('data-composition-variables');
  if (!el || text === undefined) return [];
  const where = `${labelOf(el)} in ${file}`;
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch (error) {
    throw new CompositionError('invalid_variables', `${where}: data-composition-variables is not valid JSON (${(error as Error).message}): write a JSON array such as [{"id":"title","type":"string","default":"Hello"}]`, file, labelOf(el));
  }
  if (!Array.isArray(list)) {
    throw new CompositionError('invalid_variables', `${where}: data-composition-variables must be a JSON array of declarations such as [{"id":"title","type":"string","default":"Hello"}]`, file, labelOf(el));
  }
  return list.map((entry, i) => {
    const d = entry as Partial<VariableDeclaration> | null;
    if (!d || typeof d.id !== 'string' || !VARIABLE_TYPES.includes(d.type as VariableType)) {
      throw new CompositionError('invalid_variables', `${where}: data-composition-variables entry ${i} needs a string "id" and a "type" among ${VARIABLE_TYPES.join(', ')}`, file, labelOf(el));
    }
    const options = d.type === 'enum' && Array.isArray(d.options) ? d.options.map(optionValue) : undefined;
    return { id: d.id, type: d.type as VariableType, ...(d.label !== undefined ? { label: String(d.label) } : {}), default: d.default, ...(options ? { options } : {}) };
  });
}

function optionValue(option: unknown): unknown {
  return option && typeof option === 'object' && 'value' in option ? (option as { value: unknown }).value : option;
}

/** The host's `data-variable-values` (a JSON object), or `{}`. */
export function parseVariableValues(host: HTMLElement, where: string): Record<string, unknown> {
  const text = host.getAttribute('data-variable-values');
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CompositionError('invalid_variables', `${where}: data-variable-values is not valid JSON (${(error as Error).message}): write a JSON object such as {"title":"Hello"}`, where, labelOf(host));
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new CompositionError('invalid_variables', `${where}: data-variable-values must be a JSON object such as {"title":"Hello"}`, where, labelOf(host));
  }
  return value as Record<string, unknown>;
}

/** Checks render values against the entry's declarations (see the module comment); throws VariablesError. */
export function checkVariableValues(values: Record<string, unknown>, declarations: readonly VariableDeclaration[], file: string): void {
  const byId = new Map(declarations.map((d) => [d.id, d]));
  const declared = declarations.length ? declarations.map((d) => d.id).join(', ') : 'none';
  for (const [name, value] of Object.entries(values)) {
    const d = byId.get(name);
    if (!d) throw new VariablesError(`variable "${name}" is not declared in data-composition-variables of ${file} (declared: ${declared}): fix the name or declare it`, name);
    const problem = typeProblem(d, value);
    if (problem) throw new VariablesError(`variable "${name}" ${problem} (declared in ${file} as ${d.type})`, name);
  }
}

function typeProblem(d: VariableDeclaration, value: unknown): string | null {
  const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
  switch (d.type) {
    case 'number': return typeof value === 'number' && Number.isFinite(value) ? null : `expects a number, got ${got}`;
    case 'boolean': return typeof value === 'boolean' ? null : `expects true or false, got ${got}`;
    case 'enum': return d.options && !d.options.some((o) => o === value) ? `must be one of ${d.options.map((o) => JSON.stringify(o)).join(', ')}, got ${JSON.stringify(value)}` : null;
    case 'font':
    case 'image': return typeof value === 'string' || (value !== null && typeof value === 'object' && !Array.isArray(value)) ? null : `expects a string or an object, got ${got}`;
    default: return typeof value === 'string' ? null : `expects a string, got ${got}`;
  }
}

/** `--<slug>` of a variable id: lower case, runs of other characters as `-`, trimmed; `node` when empty. */
export function variableSlug(id: string): string {
  return id.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'node';
}

/**
 * Sets the scalar variables of `el` as CSS custom properties in its `style` attribute: `defaults`
 * only where the style does not set them, `values` always.
 */
export function applyVariableProperties(el: HTMLElement, defaults: Record<string, unknown>, values: Record<string, unknown>): void {
  const style = el.getAttribute('style') ?? '';
  const set = new Map<string, string>();
  const scalar = (v: unknown) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
  for (const [id, v] of Object.entries(defaults)) {
    const prop = `--${variableSlug(id)}`;
    if (scalar(v) && !new RegExp(`(^|;)\\s*${prop}\\s*:`).test(style)) set.set(prop, String(v));
  }
  for (const [id, v] of Object.entries(values)) if (scalar(v)) set.set(`--${variableSlug(id)}`, String(v));
  if (set.size === 0) return;
  const added = [...set].map(([p, v]) => `${p}:${v}`).join(';');
  el.setAttribute('style', style.trim() ? `${style.trim().replace(/;?$/, ';')}${added}` : added);
}
