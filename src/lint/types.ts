/**
 * What `framesmith lint` reports: findings in HyperFrames' shape (`hyperframes lint --json` 0.8.170),
 * with its codes where a rule is the same rule, so scripts reading either tool's output keep working.
 */

/** How bad a finding is: only `error` fails a lint (and a `check`, where `strict` fails on warnings too). */
export type LintSeverity = 'error' | 'warning' | 'info';

/** One problem a lint (or a check's browser load) found in a composition, in HyperFrames' shape. */
export interface LintFinding {
  /** HyperFrames' code for the same mistake (e.g. `media_missing_id`), else framesmith's own. */
  code: string;
  severity: LintSeverity;
  /** What is wrong, naming the element. */
  message: string;
  /** What to change. */
  fixHint: string;
  /** Absolute path of the HTML file the finding is in. */
  file: string;
  /** The element's `id`, when it has one. */
  elementId?: string;
  /** The element's opening tag (at most SNIPPET_MAX characters). */
  snippet?: string;
  /** 1-based position of the element in `file`. */
  line?: number;
  column?: number;
}

/** A lint's findings and their counts by severity. */
export interface LintResult {
  /** No errors (warnings do not fail a lint). */
  ok: boolean;
  errorCount: number;
  warningCount: number;
  infoCount: number;
  findings: LintFinding[];
  /** The HTML files read: the entry and every sub-composition file it mounts. */
  filesScanned: number;
}

/** The longest snippet kept, as HyperFrames truncates them. */
export const SNIPPET_MAX = 240;

/** Sums `findings` into a result. */
export function lintResultOf(findings: LintFinding[], filesScanned: number): LintResult {
  const count = (severity: LintSeverity) => findings.filter((f) => f.severity === severity).length;
  const errorCount = count('error');
  return { ok: errorCount === 0, errorCount, warningCount: count('warning'), infoCount: count('info'), findings, filesScanned };
}
