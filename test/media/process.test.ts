/**
 * The process runner with real processes: a child that ignores SIGTERM is still ended (SIGKILL after the
 * grace period) when its signal aborts or its timeout passes; stderr kept for messages is bounded to its
 * tail; a missing binary is a `spawn` failure; arguments never go through a shell.
 */
import { describe, expect, it } from 'vitest';
import { liveChildCount, ProcessError, runProcess } from '../../src/media/process.js';

const stubborn = ['-c', 'trap "" TERM; echo started >&2; while :; do sleep 0.05; done'];

describe('process runner', () => {
  it('aborting ends a child that ignores SIGTERM (then SIGKILL), with code cancelled', async () => {
    const controller = new AbortController();
    const run = runProcess('sh', stubborn, {
      signal: controller.signal,
      onStderrLine: (line) => {
        if (line === 'started') controller.abort();
      },
    });
    const error = await run.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProcessError);
    expect((error as ProcessError).code).toBe('cancelled');
    expect((error as ProcessError).fields.signal).toBe('SIGKILL');
    expect(liveChildCount()).toBe(0);
  });

  it('a timeout ends the child with code timeout', async () => {
    const error = await runProcess('sh', stubborn, { timeoutMs: 300 }).catch((e: unknown) => e);
    expect((error as ProcessError).code).toBe('timeout');
    expect(liveChildCount()).toBe(0);
  });

  it('keeps only the tail of a long stderr, and names the failure', async () => {
    // 200 KB of numbered lines on stderr, then exit 3.
    const script = 'i=0; while [ $i -lt 20000 ]; do echo "line $i xxxxxxxx" >&2; i=$((i+1)); done; exit 3';
    const error = (await runProcess('sh', ['-c', script]).catch((e: unknown) => e)) as ProcessError;
    expect(error.code).toBe('exit');
    expect(error.fields.exitCode).toBe(3);
    expect(error.fields.stderrTail.length).toBeLessThanOrEqual(8 * 1024);
    expect(error.fields.stderrTail).toContain('line 19999');
    expect(error.fields.stderrTail).not.toContain('line 100 ');
    expect(error.message).toMatch(/exited with 3: .*line 19999/);
  });

  it('passes arguments verbatim (no shell) and reports a missing binary as a spawn failure', async () => {
    const { stdout } = await runProcess('printf', ['%s|', '$HOME', '; rm -rf /', '*']);
    expect(stdout).toBe('$HOME|; rm -rf /|*|');
    const error = (await runProcess('/nonexistent/ffmpeg', ['-version']).catch((e: unknown) => e)) as ProcessError;
    expect(error.code).toBe('spawn');
  });
});
