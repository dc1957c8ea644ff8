/**
 * `framesmith compositions [dir] [--json]`: the root composition and every nested one, with
 * duration, size and timed elements, as `hyperframes compositions` lists them
 * (src/inspect/project.ts). `--json`: `{compositions: [{id, duration, width, height, elementCount,
 * source?}]}`. Exit 1 when the project cannot be read.
 */
import type { Command } from 'commander';
import { EXIT_OK } from './exit-codes.js';
import type { CommandContext } from './context.js';

/** Adds `compositions` to `program` (output and exit codes: the module comment). */
export function registerCompositions(program: Command, context: CommandContext): void {
  program
    .command('compositions')
    .description('list the compositions in a project (the root and its sub-compositions)')
    .argument('[dir]', 'project directory or .html file', '.')
    .option('--json', 'print them as one JSON document')
    .action(async (dir: string, flags: { json?: boolean }) => {
      // Loaded when the command runs: a `render` never pays for it (src/cli/main.ts registers every command).
      const { listCompositions, readProject } = await import('../inspect/project.js');
      const compositions = listCompositions(await readProject(dir));
      if (flags.json) {
        context.stdout.write(`${JSON.stringify({ compositions }, null, 2)}\n`);
      } else {
        context.stdout.write(`${compositions.length === 1 ? '1 composition' : `${compositions.length} compositions`}\n`);
        for (const c of compositions) {
          context.stdout.write(
            `  ${c.id}   ${c.duration.toFixed(1)}s   ${c.width}×${c.height}   ${c.elementCount} elements${c.source ? `   ${c.source}` : ''}\n`,
          );
        }
      }
      context.setExitCode(EXIT_OK);
    });
}
