/**
 * `framesmith check [dir] [--json] [--strict]` and `framesmith validate [dir] [--json]`
 * (src/inspect/check.ts). `check`: the lint, then a load in the browser (skipped when the lint found
 * errors); `--json` prints `{ok, strict, browserSkipped, lint, runtime}` with `lint` and `runtime` in
 * the lint's shape. `validate` (HyperFrames' older name): the load alone; `--json` prints `{ok,
 * errors: [{level, text}], warnings: [{level, text}]}`. Both exit 1 when something is wrong (errors;
 * with `--strict` warnings too), else 0. HyperFrames' layout, motion and contrast passes are not run:
 * their flags are accepted and said so. The deadline flags are render's (deadline-flags.ts).
 */
import { InvalidArgumentError, type Command } from 'commander';
import type { CheckResult } from '../inspect/check.js';
import type { LintFinding } from '../lint/types.js';
import { deadlineFlag, deadlineSettings, type DeadlineFlags } from './deadline-flags.js';
import { EXIT_FAILED, EXIT_OK } from './exit-codes.js';
import { formatFinding } from './lint-command.js';
import type { CliIo, CommandContext } from './context.js';
import { optionFlags, withFlags } from './option-flags.js';

interface CheckFlags extends DeadlineFlags {
  json?: boolean;
  strict?: boolean;
  browser?: string;
  timeout?: number;
  [hyperframesOnly: string]: unknown;
}

/** HyperFrames' check flags for passes framesmith does not run: accepted, with one notice. */
const NOT_RUN = 'framesmith runs the lint and the load; layout, motion and contrast passes are not run';

/** `check`'s flags for those passes (with a value, then without), as `hyperframes check` 0.8.170 has them. */
const CHECK_VALUE_FLAGS = [
  'samples',
  'range',
  'components',
  'at',
  'max-transition-samples',
  'max-issues',
  'tolerance',
  'caption-zone',
  'frame-check',
  'layout',
];
const CHECK_SWITCHES = ['at-transitions', 'collapse-static', 'no-collapse-static', 'proxy', 'browser-gpu', 'no-browser-gpu', 'snapshots'];

function timeout(value: string): number {
  const n = Number(value);
  if (!(Number.isInteger(n) && n >= 1)) throw new InvalidArgumentError('a whole number of milliseconds');
  return n;
}

function addCommon(command: Command): Command {
  return command
    .argument('[dir]', 'project directory or .html file', '.')
    .option('--json', 'print the result as one JSON document')
    .option('--browser <path>', 'Chromium/Chrome executable (default: the bundled headless shell)')
    .option('--contrast', `accepted for HyperFrames' command lines (${NOT_RUN})`)
    .option('--no-contrast', `accepted for HyperFrames' command lines (${NOT_RUN})`)
    .option(
      '--timeout <ms>',
      "deadline for the page to be ready, in ms (HyperFrames' name; at least 1000 is used): --player-ready-timeout",
      timeout,
    )
    .addOption(deadlineFlag('browserTimeout'))
    .addOption(deadlineFlag('protocolTimeout'))
    .addOption(deadlineFlag('playerReadyTimeout'));
}

async function run(dir: string, flags: CheckFlags, lint: boolean, io: CliIo): Promise<CheckResult> {
  const skipped = [...CHECK_VALUE_FLAGS, ...CHECK_SWITCHES].filter(
    (name) => flags[camel(name)] !== undefined && !(name.startsWith('no-') || name === 'collapse-static'),
  );
  if (skipped.length > 0 || flags.contrast === false)
    io.stderr.write(`framesmith: ${skipped.map((n) => `--${n}`).join(', ') || '--no-contrast'}: ${NOT_RUN}\n`);
  const playerReadyTimeout = flags.playerReadyTimeout ?? (flags.timeout !== undefined ? Math.max(1000, flags.timeout) : undefined);
  // Loaded when the command runs: a `render` never pays for it (src/cli/main.ts registers every command).
  const { checkProject } = await import('../inspect/check.js');
  return checkProject(dir, { lint, strict: flags.strict, browser: flags.browser, ...deadlineSettings({ ...flags, playerReadyTimeout }) });
}

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

const line = (f: LintFinding) => ({ level: f.severity, text: f.message });

/** `f` with the options its texts name (`strict`, `allowPrivateHosts`) written as flags. */
function withFlagsIn(f: LintFinding, flags: ReadonlyMap<string, string>): LintFinding {
  return { ...f, message: withFlags(f.message, flags), ...(f.fixHint ? { fixHint: withFlags(f.fixHint, flags) } : {}) };
}

/**
 * Adds `check` (lint, then load in the browser) and its older name `validate` (browser load only) to
 * `program`. Exit 0 when no error finding (with `--strict`: no warning either), else 1.
 */
export function registerCheck(program: Command, context: CommandContext): void {
  const check = addCommon(
    program
      .command('check')
      .description('lint, then load the composition in the browser: script errors, assets that fail, fonts that fall back'),
  ).option('--strict', 'warnings fail the check too');
  for (const name of CHECK_VALUE_FLAGS) check.option(`--${name} <value>`, `accepted for HyperFrames' command lines (${NOT_RUN})`);
  for (const name of CHECK_SWITCHES) check.option(`--${name}`, `accepted for HyperFrames' command lines (${NOT_RUN})`);
  check.action(async (dir: string, flags: CheckFlags) => {
    const result = await run(dir, flags, true, context);
    if (flags.json) {
      context.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      for (const f of [...result.lint.findings, ...result.runtime.findings.map((r) => withFlagsIn(r, optionFlags(program)))])
        context.stdout.write(`${formatFinding(f)}\n`);
      if (result.browserSkipped) context.stdout.write('browser load skipped: fix the lint errors first\n');
      const errors = result.lint.errorCount + result.runtime.errorCount;
      const warnings = result.lint.warningCount + result.runtime.warningCount;
      context.stdout.write(`${errors} error(s), ${warnings} warning(s)\n`);
    }
    context.setExitCode(result.ok ? EXIT_OK : EXIT_FAILED);
  });
  addCommon(
    program
      .command('validate')
      .description("load the composition in the browser and report what fails (HyperFrames' older name; see check)"),
  ).action(async (dir: string, flags: CheckFlags) => {
    const { runtime } = await run(dir, flags, false, context);
    const errors = runtime.findings.filter((f) => f.severity === 'error');
    const warnings = runtime.findings.filter((f) => f.severity !== 'error');
    if (flags.json) {
      context.stdout.write(
        `${JSON.stringify({ ok: errors.length === 0, errors: errors.map(line), warnings: warnings.map(line) }, null, 2)}\n`,
      );
    } else {
      for (const f of runtime.findings) context.stdout.write(`${formatFinding(withFlagsIn(f, optionFlags(program)))}\n`);
      context.stdout.write(`${errors.length} error(s), ${warnings.length} warning(s)\n`);
    }
    context.setExitCode(errors.length === 0 ? EXIT_OK : EXIT_FAILED);
  });
}
