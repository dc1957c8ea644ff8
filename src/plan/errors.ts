/** Failures of writing, finding or trusting a plan in storage. */
import { FramesmithError } from '../errors.js';

/** The `code` of a PlanError. */
export type PlanErrorCode =
  /** The storage directory cannot be written or read. */
  | 'plan_storage'
  /** No plan of that hash in the storage (another --storage path on this machine?). */
  | 'plan_missing'
  /** The plan's files do not match its hash or its list: damaged, or changed after it was written. */
  | 'plan_corrupt'
  /** This machine's framesmith, ffmpeg or browser differs from the planning machine's. */
  | 'plan_mismatch';

/** A plan in storage cannot be written, found or trusted; `storage` is the storage location, `hash` the plan's when known. */
export class PlanError extends FramesmithError<PlanErrorCode, { storage: string; hash?: string }> {
  override readonly name = 'PlanError';

  static storage(storage: string, cause: unknown): PlanError {
    const why = cause instanceof Error ? cause.message : String(cause);
    return new PlanError(
      'plan_storage',
      `cannot write the plan into the storage directory ${storage} (${why}): give \`storage\` a directory this machine can write, on a filesystem every worker mounts at the same path`,
      { storage },
      { cause },
    );
  }
}
