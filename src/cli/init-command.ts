/**
 * `framesmith init <dir> [--template <name>] [--force]`: writes a starter composition into `dir`
 * (src/init/) that previews and renders at once. Exit 2 for an unknown template or a non-empty
 * directory (without --force).
 */
import { Option, type Command } from 'commander';
import { DEFAULT_TEMPLATE, TEMPLATES } from '../init/templates.js';
import { EXIT_OK, UsageError } from './exit-codes.js';
import type { CommandContext } from './context.js';

/** Adds `init` to `program` (templates and exit codes: the module comment). */
export function registerInit(program: Command, context: CommandContext): void {
  program
    .command('init')
    .description(
      `write a starter composition (${Object.values(TEMPLATES)
        .map((t) => `${t.name}: ${t.description}`)
        .join('; ')})`,
    )
    .argument('<dir>', 'the new project directory')
    .addOption(new Option('--template <name>', 'which starter').choices(Object.keys(TEMPLATES)).default(DEFAULT_TEMPLATE))
    .option('--force', 'write into a directory that is not empty (its other files are kept)')
    .action(async (dir: string, flags: { template: string; force?: boolean }) => {
      let files: string[];
      // Loaded when the command runs: a `render` never pays for it (src/cli/main.ts registers every command).
      const { InitError, initProject } = await import('../init/init.js');
      try {
        files = await initProject(dir, flags.template, { force: flags.force });
      } catch (error) {
        if (error instanceof InitError && error.code !== 'write_failed') throw new UsageError('usage', error.message, {}, { cause: error });
        throw error;
      }
      context.stderr.write(
        `framesmith: wrote ${files.join(', ')} into ${dir}\n  next: framesmith preview ${dir}\n        framesmith render ${dir} -o ${dir}.mp4\n`,
      );
      context.setExitCode(EXIT_OK);
    });
}
