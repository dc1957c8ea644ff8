/** Errors a user can cause with a composition's HTML. */
import { FramesmithError } from '../errors.js';

/** The `code` of a CompositionError: which rule of a composition's HTML was broken. */
export type CompositionErrorCode =
  | 'no_index_html'
  | 'no_root'
  | 'invalid_timing'
  | 'unknown_reference'
  | 'cyclic_reference'
  | 'invalid_fps'
  | 'invalid_size'
  | 'no_duration'
  | 'sub_composition_missing'
  | 'sub_composition_invalid'
  | 'sub_composition_cycle'
  | 'invalid_variables'
  /** A malformed data-fx-chain / data-automation, or an effect type nobody knows. */
  | 'invalid_audio'
  | 'remote_asset'
  | 'limit_exceeded'
  | 'outside_project';

/**
 * The composition cannot be rendered as written. `element` is a short label of the offending element
 * (`div#intro`), `file` the HTML file; the message names both and says what to change.
 */
export class CompositionError extends FramesmithError<CompositionErrorCode, { file: string; element?: string; option?: string }> {
  override readonly name = 'CompositionError';
}
