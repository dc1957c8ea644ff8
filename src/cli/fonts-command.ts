/**
 * `framesmith fonts add <family…> [--project <dir>]`: vendors font families into a project for renders
 * that must work offline and the same with any framesmith (src/fonts/vendor.ts). One line per family
 * (the stylesheet written and the `<link>` to add). Exit codes: 0 done; 2 a family no @fontsource
 * package provides (nothing of it is written; the families before it stay added).
 */
import path from 'node:path';
import type { Command } from 'commander';
import { hasCode } from '../errors.js';
import { EXIT_OK, UsageError } from './exit-codes.js';
import type { CommandContext } from './context.js';

/** Adds `fonts add <family…>` to `program` (output and exit codes: the module comment). */
export function registerFonts(program: Command, context: CommandContext): void {
  const fonts = program.command('fonts').description('manage the fonts of a project');
  fonts
    .command('add')
    .description(
      "copy font families (every weight and style, from @fontsource packages: the project's, else framesmith's bundled ones) into <project>/fonts/, for offline renders",
    )
    .argument('<family...>', 'family names, e.g. "Bebas Neue" Figtree')
    .option('--project <dir>', 'the project directory', '.')
    .action(async (families: string[], flags: { project: string }) => {
      const { vendorFamily } = await import('../fonts/vendor.js');
      const project = path.resolve(flags.project);
      for (const family of families) {
        const added = await vendorFamily(family, project).catch((error: unknown) => {
          throw hasCode(error, 'font_package_missing') ? new UsageError('usage', error.message, {}, { cause: error }) : error;
        });
        context.stdout.write(
          `added ${added.family} (${added.pkg} ${added.version}, ${added.files} files): ${added.stylesheet} — link it with <link rel="stylesheet" href="${added.stylesheet}">\n`,
        );
      }
      context.setExitCode(EXIT_OK);
    });
}
