import type { Command } from 'commander';
import type { CommandContext } from './main.js';

/** Placeholder: the `cache` command is being built. */
export function registerCache(program: Command, _context: CommandContext): void {
  program.command('cache').description('(not yet available)');
}
