/**
 * The render's output is all-or-nothing: everything is written under temporary names next to the
 * output (`.NAME.partial-…`, same filesystem), and only the finished file is renamed over it. On
 * failure, cancellation, or an exit that does not unwind (the CLI's SIGINT handler), the temporary
 * files are removed.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';

export class OutputFiles {
  private readonly temps: string[] = [];
  private readonly onExit = () => {
    for (const kill of this.killers) kill();
    for (const t of this.temps) rmSync(t, { recursive: true, force: true });
  };
  private readonly killers = new Set<() => void>();

  /** `output`: the final path (a file, or a directory for a PNG sequence). */
  constructor(readonly output: string) {
    process.on('exit', this.onExit);
  }

  /** Creates the output's directory. */
  async prepare(): Promise<void> {
    await mkdir(path.dirname(this.output), { recursive: true });
  }

  /** A fresh temporary path next to the output, with extension `ext` (no dot; '' for none). */
  temp(ext: string): string {
    const file = path.join(path.dirname(this.output), `.${path.basename(this.output)}.partial-${process.pid}-${randomBytes(4).toString('hex')}${ext ? `.${ext}` : ''}`);
    this.temps.push(file);
    return file;
  }

  /** Runs `kill` if the process exits before `dispose` (e.g. an encoder to end at once). */
  killOnExit(kill: () => void): void {
    this.killers.add(kill);
  }

  /** Renames `file` (one of `temp()`'s) over the output; an old PNG sequence directory goes first. */
  async commit(file: string): Promise<void> {
    // A directory cannot be renamed over a non-empty one.
    const old = await stat(this.output).catch(() => null);
    if (old?.isDirectory()) await rm(this.output, { recursive: true, force: true });
    await rename(file, this.output);
  }

  /** Removes every temporary path (the committed one is gone already) and stops watching for exit. */
  async dispose(): Promise<void> {
    process.off('exit', this.onExit);
    this.killers.clear();
    await Promise.allSettled(this.temps.map((t) => rm(t, { recursive: true, force: true })));
  }
}
