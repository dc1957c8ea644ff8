import type { Command } from 'commander';
import type { CommandContext } from './main.js';

/** Placeholder: the `extract` command is being built. */
export function registerExtract(program: Command, _context: CommandContext): void {
  program.command('extract').description('(not yet available)');
}
