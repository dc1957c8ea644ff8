/**
 * The render's output is all-or-nothing: everything is written under temporary names next to the
 * output (`.NAME.partial-…`, same filesystem), and only the finished file is renamed over it. On
 * failure, cancellation, or an exit that does not unwind (the CLI's SIGINT handler), the temporary
 * files are removed.
 *
 * Nothing the render did not create is ever removed or replaced (src/render/output-guard.ts): the
 * output path is checked before any work and again at `commit`, against the render's inputs too.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { checkReplaceable, explainDiskFull, outputFsError, refuseInputs, SEQUENCE_MARKER } from './output-guard.js';
import type { OutputFormat } from '../stages/stage.js';

/**
 * The temporary files of one render's output and their commit over `output` (see the module comment); `dispose()`
 * must follow, success or not, to remove what is left and stop watching for the process's exit.
 */
export class OutputFiles {
  private readonly temps: string[] = [];
  private readonly onExit = () => {
    for (const kill of this.killers) kill();
    for (const t of this.temps) rmSync(t, { recursive: true, force: true });
  };
  private readonly killers = new Set<() => void>();

  private readonly inputs = new Set<string>();

  /**
   * `output`: the final path (a file, or a directory for a PNG sequence); `format`, when given, is
   * what `commit` checks the path against (else: a directory is a png sequence, a file a video).
   */
  constructor(
    readonly output: string,
    private readonly format?: OutputFormat,
  ) {
    process.on('exit', this.onExit);
  }

  /**
   * Creates the output's directory and proves it writable by creating (and removing) a first
   * temporary file there, so a read-only or impossible path fails before the browser starts.
   */
  async prepare(): Promise<void> {
    const probe = this.temp('');
    try {
      await mkdir(path.dirname(this.output), { recursive: true });
      await writeFile(probe, '', { flag: 'wx' });
    } catch (error) {
      throw outputFsError(error, probe, this.output);
    } finally {
      await rm(probe, { force: true }).catch(() => {});
    }
  }

  /** Throws `output_refused` when the output is one of the render's `inputs` (or holds one); see `commit`. */
  async protect(inputs: Iterable<string>): Promise<void> {
    for (const input of inputs) this.inputs.add(input);
    await refuseInputs(this.output, inputs);
  }

  /** `error` as `disk_full` when a full disk caused it (see output-guard.ts), else unchanged. */
  explain(error: unknown): Promise<unknown> {
    return explainDiskFull(error, this.output);
  }

  /** A fresh temporary path next to the output, with extension `ext` (no dot; '' for none). */
  temp(ext: string): string {
    const file = path.join(
      path.dirname(this.output),
      `.${path.basename(this.output)}.partial-${process.pid}-${randomBytes(4).toString('hex')}${ext ? `.${ext}` : ''}`,
    );
    this.temps.push(file);
    return file;
  }

  /** Runs `kill` if the process exits before `dispose` (e.g. an encoder to end at once). */
  killOnExit(kill: () => void): void {
    this.killers.add(kill);
  }

  /**
   * Renames `file` (one of `temp()`'s) over the output, after checking again that what is there now
   * may be replaced (it may have changed since the render started) and is none of the inputs given to
   * `protect`. A file replaces a file in one rename. A directory (PNG sequence, HLS) is marked as
   * framesmith's (`SEQUENCE_MARKER`); a previous one of ours is first renamed aside (a directory
   * cannot be renamed over a non-empty one), then removed once the new one is in place.
   */
  async commit(file: string): Promise<void> {
    const isSequence = (await stat(file)).isDirectory();
    await checkReplaceable(this.output, this.format ?? (isSequence ? 'png' : 'mp4'));
    await refuseInputs(this.output, this.inputs);
    try {
      if (isSequence)
        await writeFile(
          path.join(file, SEQUENCE_MARKER),
          'Written by framesmith (a PNG sequence or HLS output): a later render to this directory replaces it.\n',
        );
      const old = await stat(this.output).catch(() => null);
      if (!old?.isDirectory()) return await rename(file, this.output);
      const aside = this.temp('old');
      await rename(this.output, aside);
      try {
        await rename(file, this.output);
      } catch (error) {
        await rename(aside, this.output);
        throw error;
      }
    } catch (error) {
      throw outputFsError(error, file, this.output);
    }
  }

  /** Removes every temporary path (the committed one is gone already) and stops watching for exit. */
  async dispose(): Promise<void> {
    process.off('exit', this.onExit);
    this.killers.clear();
    await Promise.allSettled(this.temps.map((t) => rm(t, { recursive: true, force: true })));
  }
}
