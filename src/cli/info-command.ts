/**
 * `framesmith info [dir] [--json]`: project metadata as `hyperframes info` prints it — name,
 * orientation, size, duration, timed elements by kind, tracks, bytes on disk (src/inspect/project.ts).
 * Exit 1 when the project cannot be read (the message says why).
 */
import type { Command } from 'commander';
import { EXIT_OK } from './exit-codes.js';
import { formatBytes } from './format.js';
import type { CommandContext } from './context.js';

/** Adds `info` to `program` (output and exit codes: the module comment). */
export function registerInfo(program: Command, context: CommandContext): void {
  program
    .command('info')
    .description('print project metadata: size, duration, elements, tracks')
    .argument('[dir]', 'project directory or .html file', '.')
    .option('--json', 'print it as one JSON document')
    .action(async (dir: string, flags: { json?: boolean }) => {
      // Loaded when the command runs: a `render` never pays for it (src/cli/main.ts registers every command).
      const { projectInfo, readProject } = await import('../inspect/project.js');
      const info = await projectInfo(await readProject(dir));
      if (flags.json) {
        context.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
      } else {
        const types = Object.entries(info.types)
          .map(([kind, n]) => `${n} ${kind}`)
          .join(', ');
        const lines = [
          info.name,
          `  Resolution    ${info.width}x${info.height}`,
          `  Duration      ${info.duration.toFixed(1)}s`,
          `  Elements      ${info.elements}${types ? ` (${types})` : ''}`,
          `  Tracks        ${info.tracks}`,
          `  Size          ${formatBytes(info.size, 'hyperframes')}`,
        ];
        context.stdout.write(`${lines.join('\n')}\n`);
      }
      context.setExitCode(EXIT_OK);
    });
}
