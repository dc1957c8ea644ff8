import type { Command } from 'commander';
import type { CommandContext } from './main.js';

/** Placeholder: the `doctor` command is being built. */
export function registerDoctor(program: Command, _context: CommandContext): void {
  program.command('doctor').description('(not yet available)');
}
