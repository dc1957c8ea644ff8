/**
 * `framesmith lint [dir] [--json] [--verbose]`: the project's common mistakes (src/lint/), as
 * `hyperframes lint` reports them. Human output: one line per finding, then a count. `--json`: one
 * document `{ok, errorCount, warningCount, infoCount, findings: [{code, severity, message, fixHint,
 * file, …}], filesScanned}`. Info findings are listed only with `--verbose`. Exit 1 when there is an
 * error finding or no project to lint (as HyperFrames), else 0: warnings do not fail a lint.
 */
import type { Command } from 'commander';
import type { LintFinding, LintResult } from '../lint/types.js';
import { EXIT_FAILED, EXIT_OK } from './exit-codes.js';
import type { CommandContext } from './context.js';

interface LintFlags {
  json?: boolean;
  verbose?: boolean;
}

/** One line: severity mark, place, code, message and fix. */
export function formatFinding(f: LintFinding): string {
  const mark = f.severity === 'error' ? '✗' : f.severity === 'warning' ? '⚠' : 'ℹ';
  const place = f.line !== undefined ? `${f.file}:${f.line}:${f.column}` : f.file;
  return `${mark} [${place}] ${f.code}: ${f.message} Fix: ${f.fixHint}`;
}

/** The findings shown: info ones only when verbose. */
export function shownFindings(result: LintResult, verbose: boolean): LintFinding[] {
  return verbose ? result.findings : result.findings.filter((f) => f.severity !== 'info');
}

/** Adds `lint` to `program` (output and exit codes: the module comment). */
export function registerLint(program: Command, context: CommandContext): void {
  program
    .command('lint')
    .description("check a composition for common mistakes (HyperFrames' lint rules); exit 1 on errors")
    .argument('[dir]', 'project directory or .html file', '.')
    .option('--json', 'print the findings as one JSON document')
    .option('--verbose', 'also list info-level findings')
    .action(async (dir: string, flags: LintFlags) => {
      let result: LintResult;
      try {
        // Loaded when the command runs: a `render` never pays for it (src/cli/main.ts registers every command).
        const { lintProject } = await import('../lint/lint.js');
        result = await lintProject(dir);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (flags.json)
          context.stdout.write(
            `${JSON.stringify({ ok: false, error: message, errorCount: 0, warningCount: 0, infoCount: 0, findings: [], filesScanned: 0 }, null, 2)}\n`,
          );
        else context.stderr.write(`framesmith lint: ${message}\n`);
        context.setExitCode(EXIT_FAILED);
        return;
      }
      const findings = shownFindings(result, flags.verbose ?? false);
      if (flags.json) {
        context.stdout.write(`${JSON.stringify({ ...result, findings }, null, 2)}\n`);
      } else {
        for (const finding of findings) context.stdout.write(`${formatFinding(finding)}\n`);
        context.stdout.write(`${result.errorCount} error(s), ${result.warningCount} warning(s)\n`);
      }
      context.setExitCode(result.ok ? EXIT_OK : EXIT_FAILED);
    });
}
