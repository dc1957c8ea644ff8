/**
 * `framesmith timeline [dir] [--json]`: the project's tracks and clips (video, audio, graphics), as
 * `hyperframes timeline` prints them (src/inspect/project.ts). `--json`: `{timeline: {duration,
 * tracks: [{kind, rows: [{id, kind, trackKind, start, duration, end, absStart, absEnd, file, …}]}]}}`.
 * Read only: HyperFrames' editing subcommands (move, trim, …) are refused (exit 2). Exit 1 when the
 * project cannot be read.
 */
import type { Command } from 'commander';
import type { TimelineRow } from '../inspect/project.js';
import { EXIT_OK, UsageError } from './exit-codes.js';
import type { CommandContext } from './context.js';

/** Width of the bar drawn for each clip. */
const BAR = 40;

function bar(row: TimelineRow, duration: number): string {
  if (!(duration > 0)) return '';
  const from = Math.round((Math.min(row.absStart, duration) / duration) * BAR);
  const to = Math.round((Math.min(row.absEnd ?? duration, duration) / duration) * BAR);
  return `|${' '.repeat(from)}${'█'.repeat(Math.max(0, to - from))}${' '.repeat(Math.max(0, BAR - Math.max(to, from)))}|`;
}

/** Adds `timeline` to `program`; any edit subcommand after the directory throws UsageError (exit 2). */
export function registerTimeline(program: Command, context: CommandContext): void {
  program
    .command('timeline')
    .description('print the tracks and clips of a project')
    .argument('[dir]', 'project directory or .html file', '.')
    .argument('[edit...]', "HyperFrames' editing subcommands (move, trim, split, …): not part of framesmith")
    .option('--json', 'print it as one JSON document')
    .action(async (dir: string, edit: string[], flags: { json?: boolean }) => {
      if (edit.length > 0)
        throw new UsageError(
          'usage',
          `timeline ${edit[0]}: framesmith prints the timeline but does not edit it: change the data-start / data-duration attributes in the HTML instead`,
          {},
        );
      // Loaded when the command runs: a `render` never pays for it (src/cli/main.ts registers every command).
      const { readProject, timelineOf } = await import('../inspect/project.js');
      const timeline = timelineOf(await readProject(dir));
      if (flags.json) {
        context.stdout.write(`${JSON.stringify({ timeline }, null, 2)}\n`);
      } else {
        const lines = [`timeline ${timeline.duration}s`];
        for (const track of timeline.tracks) {
          lines.push('', `${track.kind} (${track.rows.length})`);
          for (const row of track.rows) {
            lines.push(
              `  ${bar(row, timeline.duration)} ${row.ref} ${row.absStart}-${row.absEnd ?? '?'}s${row.src ? ` src=${row.src}` : ''}`,
            );
          }
        }
        context.stdout.write(`${lines.join('\n')}\n`);
      }
      context.setExitCode(EXIT_OK);
    });
}
