/**
 * `check` and `validate`: the lint (src/lint/) plus the composition loaded in the browser as a render
 * loads it (the preview's session: same server, runtime, fonts, deadlines), its first frame captured.
 *
 * What the load finds is a runtime finding: what stops a render (a script that throws, a request the
 * composition cannot do without, a page that never gets ready) is an error with the render's error
 * code; what a render would do without (an image that does not load, a font that falls back) is a
 * `runtime_warning` (the preview session hands warnings over as messages). As HyperFrames' `check`, the browser is skipped when the lint
 * found errors (the page would only fail on them again).
 */
import { FramesmithError } from '../errors.js';
import { lintProject } from '../lint/lint.js';
import { lintResultOf, type LintFinding, type LintResult } from '../lint/types.js';
import { locateEntry } from '../load/entry.js';
import { PreviewSession, type PreviewSessionOptions } from '../preview/session.js';

/** What `check` / `validate` found: the lint's findings and the browser load's (runtime) findings, and whether they pass. */
export interface CheckResult {
  /** No error in the lint nor the load (and, under `strict`, no warning either). */
  ok: boolean;
  strict: boolean;
  /** The browser load did not run: the lint found errors. */
  browserSkipped: boolean;
  lint: LintResult;
  runtime: Omit<LintResult, 'filesScanned'>;
}

/** How `check` runs: the preview session's options for the browser load, plus strictness and whether to lint. */
export interface CheckOptions extends PreviewSessionOptions {
  /** Warnings fail the check too. */
  strict?: boolean;
  /** Skip the lint (`validate`): only the load in the browser. */
  lint?: boolean;
}

/** Loads `input` in the browser and returns what the load found, as findings. */
export async function loadFindings(input: string, options: PreviewSessionOptions = {}): Promise<LintFinding[]> {
  const file = await locateEntry(input);
  const findings: LintFinding[] = [];
  const warn = (code: string, message: string) =>
    findings.push({
      code,
      severity: 'warning',
      message,
      fixHint: 'A render goes on without it (best effort), or fails under `strict`: fix it so the frames show what you wrote.',
      file,
    });
  const seen = new Set<string>();
  let session: PreviewSession | undefined;
  try {
    session = await PreviewSession.open(input, {
      ...options,
      onWarning: (message) => {
        if (seen.has(message)) return;
        seen.add(message);
        warn('runtime_warning', message);
      },
    });
    await session.frame(0);
  } catch (error) {
    if (!(error instanceof FramesmithError)) throw error;
    findings.push({
      code: error.code,
      severity: 'error',
      message: error.message,
      fixHint: 'framesmith render fails on this: the message says what to change.',
      file,
    });
  } finally {
    await session?.close();
  }
  return findings;
}

/** The lint, then (unless it found errors) the load in the browser. */
export async function checkProject(input: string, options: CheckOptions = {}): Promise<CheckResult> {
  const strict = options.strict ?? false;
  const lint = options.lint === false ? lintResultOf([], 0) : await lintProject(input);
  const browserSkipped = !lint.ok;
  const { filesScanned: _, ...runtime } = lintResultOf(browserSkipped ? [] : await loadFindings(input, options), 0);
  const failed = (r: Omit<LintResult, 'filesScanned'>) => r.errorCount > 0 || (strict && r.warningCount > 0);
  return { ok: !failed(lint) && !failed(runtime), strict, browserSkipped, lint, runtime };
}
