/**
 * Timing and process helpers for the bench. Wall times are `performance.now()` differences in ms.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

/** Median of a non-empty list of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** How many times each timed case runs (median reported). `BENCH_REPEATS` overrides. */
export function repeats(fallback) {
  const n = Number(process.env.BENCH_REPEATS);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/**
 * Runs `fn` `n` times in a row; returns the median of `pick(result, ms)` (default: the wall time),
 * every run's figure, and the last result.
 */
export async function timed(n, fn, pick = (_result, ms) => ms) {
  const runs = [];
  let last;
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    last = await fn(i);
    runs.push(round(pick(last, performance.now() - start)));
  }
  return { ms: round(median(runs)), runs, last };
}

export function round(x, digits = 1) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/**
 * Spawns a command (argument array, no shell), collects stdout/stderr, resolves with the exit code and
 * wall time; never rejects for a non-zero exit (the caller decides). `timeoutMs` kills it.
 */
export function run(cmd, args, { env, cwd, timeoutMs = 15 * 60_000 } = {}) {
  return new Promise((resolve) => {
    const start = performance.now();
    const child = spawn(cmd, args, { env: env ?? process.env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      if (stdout.length > 1e6) stdout = stdout.slice(-5e5);
    });
    child.stderr.on('data', (d) => {
      stderr += d;
      if (stderr.length > 1e6) stderr = stderr.slice(-5e5);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout, stderr: String(error), ms: performance.now() - start, pid: child.pid });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, signal, stdout, stderr, ms: performance.now() - start, pid: child.pid });
    });
  });
}

/** The last JSON object printed on its own line in `text`, or null. */
export function lastJsonLine(text) {
  const lines = text.trim().split('\n').reverse();
  for (const line of lines) {
    const t = line.trim();
    if (t.startsWith('{') && t.endsWith('}')) {
      try {
        return JSON.parse(t);
      } catch {
        /* keep looking */
      }
    }
  }
  return null;
}
