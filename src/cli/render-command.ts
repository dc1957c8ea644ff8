import type { Command } from 'commander';
import type { CommandContext } from './main.js';

/** Placeholder: the `render` command is being built. */
export function registerRender(program: Command, _context: CommandContext): void {
  program.command('render').description('(not yet available)');
}
