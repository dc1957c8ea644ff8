/**
 * What the CLI shows for an option a library message names. The library words its messages in API
 * terms and writes an option in backticks (`` `crf` ``, `` `browserTimeout` ``, `` `dynamicRange: 'hdr'` ``;
 * see src/errors.ts); the CLI prints the flag the user types instead (`--crf`, `--browser-timeout`,
 * `--hdr`). The table comes from the commander option definitions (an option's attribute name is its
 * API name: `--video-bitrate` sets `videoBitrate`), plus the few API spellings whose flag is named
 * otherwise. A backticked word that names no option is printed as written.
 */
import type { Command } from 'commander';
import { FramesmithError } from '../errors.js';

/**
 * API spellings whose flag is not their kebab-case: the flags that set each, the first shown unless
 * the user typed another (`strict` over media warnings is HyperFrames' `--no-best-effort`).
 */
const FLAGS_OF: Readonly<Record<string, readonly string[]>> = {
  strict: ['--strict', '--no-best-effort'],
  "dynamicRange: 'hdr'": ['--hdr'],
  dynamicRange: ['--hdr', '--sdr'],
  "webgl: 'on'": ['--webgl on'],
  'cache: false': ['--no-cache'],
};

/** Option (API name, or one of FLAGS_OF's spellings) → the flag to show, over `root` and its subcommands. */
export function optionFlags(root: Command): ReadonlyMap<string, string> {
  const flags = new Map<string, string>();
  const typed = new Set<string>();
  const visit = (command: Command): void => {
    for (const option of command.options) {
      if (!option.long) continue;
      const name = option.attributeName();
      if (command.getOptionValueSource(name) === 'cli') typed.add(option.long);
      // A negated flag (`--no-cache`) sets its attribute to false: the option is named by FLAGS_OF.
      if (!option.negate && !flags.has(name)) flags.set(name, option.long);
    }
    for (const sub of command.commands) visit(sub);
  };
  visit(root);
  for (const [option, candidates] of Object.entries(FLAGS_OF)) {
    flags.set(option, candidates.find((flag) => typed.has(flag.split(' ')[0]!)) ?? candidates[0]!);
  }
  return flags;
}

/** `message` with every backticked option that `flags` knows written as its flag, without the backticks. */
export function withFlags(message: string, flags: ReadonlyMap<string, string>): string {
  return message.replace(/`([^`\n]+)`/g, (whole, name: string) => flags.get(name) ?? whole);
}

/** The message the CLI prints for `error`: a framesmith error's with flags for options, anything else's as is. */
export function cliMessage(error: unknown, root: Command): string {
  if (error instanceof FramesmithError) return withFlags(error.message, optionFlags(root));
  return error instanceof Error ? error.message : String(error);
}
