/**
 * `framesmith snapshot [dir] [-o <dir>] [--frames n] [--at t,…] [--range a,b] [--no-end]`: PNG stills
 * captured as a render captures them, named as `hyperframes snapshot` names them, plus a contact sheet
 * (src/inspect/snapshot.ts). Default output: a new `<project>/.hyperframes/artifacts/snapshots/<uuid>`,
 * where HyperFrames puts them. Prints each file
 * written. Exit 2 for a bad flag value (a range beyond the composition included), 1 when the
 * project does not exist or cannot be loaded or captured.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import type { captureSnapshots } from '../inspect/snapshot.js';
import { deadlineFlag, deadlineSettings, type DeadlineFlags } from './deadline-flags.js';
import { EXIT_FAILED, EXIT_OK, UsageError } from './exit-codes.js';
import type { CommandContext } from './context.js';

interface SnapshotFlags extends DeadlineFlags {
  output?: string;
  frames: number;
  at?: number[];
  range?: [number, number];
  end: boolean;
  browser?: string;
  [hyperframesOnly: string]: unknown;
}

/** HyperFrames' snapshot flags for what framesmith does not do (camera angles, zoom crops, AI descriptions, reference videos). */
const NOT_DONE = ['composition', 'timeout', 'angle', 'zoom', 'zoom-scale', 'against', 'describe'];

function frames(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number of stills >= 1');
  return n;
}

function times(value: string): number[] {
  const list = value.split(',').map((t) => (t.trim() === '' ? Number.NaN : Number(t)));
  if (list.length === 0 || !list.every((t) => Number.isFinite(t) && t >= 0))
    throw new InvalidArgumentError('comma-separated seconds >= 0, e.g. 1.5,4,7.25');
  return list;
}

function range(value: string): [number, number] {
  const parts = value.split(/[,:]/).map((t) => (t.trim() === '' ? Number.NaN : Number(t)));
  if (parts.length !== 2 || !parts.every(Number.isFinite) || parts[0]! < 0 || parts[1]! <= parts[0]!)
    throw new InvalidArgumentError('START,END in seconds, with 0 <= START < END');
  return [parts[0]!, parts[1]!];
}

/** Adds `snapshot` to `program` (flags, output and exit codes: the module comment). */
export function registerSnapshot(program: Command, context: CommandContext): void {
  const command = program
    .command('snapshot')
    .description('capture PNG stills at chosen times (as a render captures them) and a contact sheet')
    .argument('[dir]', 'project directory or .html file', '.')
    .option(
      '-o, --output <dir>',
      'directory for the stills (default: a new <project>/.hyperframes/artifacts/snapshots/<uuid>, as HyperFrames)',
    )
    .option('--frames <n>', 'evenly spaced stills over the composition (or --range)', frames, 5)
    .option('--at <times>', 'comma-separated times in seconds, e.g. 1.5,4,7.25', times)
    .option('--range <start,end>', 'sample --frames evenly within START,END seconds (no end still added)', range)
    .option('--no-end', 'do not add a still near the end of the composition')
    .option('--browser <path>', 'Chromium/Chrome executable (default: the bundled headless shell)')
    .addOption(deadlineFlag('browserTimeout'))
    .addOption(deadlineFlag('protocolTimeout'))
    .addOption(deadlineFlag('playerReadyTimeout'));
  for (const name of NOT_DONE) command.option(`--${name} <value>`, "accepted for HyperFrames' command lines; not done by framesmith");
  command
    .option('--keep', "accepted for HyperFrames' command lines; framesmith replaces earlier stills")
    .option('--proxy', 'accepted; framesmith decodes every codec ffmpeg does')
    .option('--browser-gpu', 'accepted; framesmith captures in software');
  command.action(async (dir: string, flags: SnapshotFlags) => {
    if (!existsSync(dir)) {
      // Exit 1, as HyperFrames: a missing project is not a malformed command line.
      context.stderr.write(`framesmith snapshot: ${dir} does not exist: give a project directory (holding index.html) or an .html file\n`);
      context.setExitCode(EXIT_FAILED);
      return;
    }
    const ignored = [...NOT_DONE, 'keep', 'proxy', 'browser-gpu'].filter(
      (n) => flags[n.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())] !== undefined,
    );
    if (ignored.length > 0)
      context.stderr.write(
        `framesmith snapshot: ${ignored.map((n) => `--${n}`).join(', ')}: not done by framesmith (the stills are the full frames a render shows)\n`,
      );
    const projectDir = statSync(dir).isDirectory() ? dir : path.dirname(dir);
    const outDir = path.resolve(flags.output ?? path.join(projectDir, '.hyperframes', 'artifacts', 'snapshots', randomUUID()));
    let result: Awaited<ReturnType<typeof captureSnapshots>>;
    // Loaded when the command runs: a `render` never pays for it (src/cli/main.ts registers every command).
    const { captureSnapshots, SnapshotError } = await import('../inspect/snapshot.js');
    try {
      result = await captureSnapshots(dir, {
        outDir,
        frames: flags.frames,
        at: flags.at,
        range: flags.range,
        end: flags.end,
        browser: flags.browser,
        ...deadlineSettings(flags),
        onWarning: (message) => context.stderr.write(`framesmith snapshot: warning: ${message}\n`),
      });
    } catch (error) {
      if (error instanceof SnapshotError) throw new UsageError('usage', error.message, {}, { cause: error });
      throw error;
    }
    context.stdout.write(
      `${result.files.length} snapshots saved to ${outDir}\n${[...result.files, ...result.sheets].map((f) => `  ${f}`).join('\n')}\n`,
    );
    context.setExitCode(EXIT_OK);
  });
}
