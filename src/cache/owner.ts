/**
 * Process identities that survive pid reuse. Leases, partial directories and the GC lock are named by
 * the token "<pid>-<starttime>", where starttime is field 22 of /proc/<pid>/stat (clock ticks since
 * boot). A token is alive exactly when a process with that pid exists, is not a zombie, and started at
 * that tick: a recycled pid has a different start time, so a dead writer's leftovers are recognised
 * without guessing from file ages.
 *
 * Without /proc (not Linux) the start time is recorded as 0 and liveness falls back to `kill(pid, 0)`,
 * which cannot tell a recycled pid apart.
 */
import { readFileSync } from 'node:fs';

interface ProcStat {
  state: string;
  startTime: string;
}

function readProcStat(pid: number): ProcStat | null | 'unsupported' {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') {
      // No such process — unless /proc itself is missing.
      try {
        readFileSync('/proc/self/stat');
      } catch {
        return 'unsupported';
      }
      return null;
    }
    return 'unsupported';
  }
  // The command name (field 2) is in parentheses and may itself contain spaces or ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); field 22 (starttime) is rest[19].
  const state = rest[0];
  const startTime = rest[19];
  if (!state || !startTime) return null;
  return { state, startTime };
}

let selfToken: string | undefined;

/** The token of the current process. */
export function ownToken(): string {
  if (selfToken === undefined) {
    const stat = readProcStat(process.pid);
    selfToken = `${process.pid}-${stat && stat !== 'unsupported' ? stat.startTime : '0'}`;
  }
  return selfToken;
}

/** Parses "<pid>-<starttime>"; null when the text is not a token. */
export function parseToken(token: string): { pid: number; startTime: string } | null {
  const match = /^(\d+)-(\d+)$/.exec(token);
  if (!match) return null;
  return { pid: Number(match[1]), startTime: match[2]! };
}

/** True when the process named by `token` is still running (see the module comment). */
export function isTokenAlive(token: string): boolean {
  const parsed = parseToken(token);
  if (!parsed) return false;
  const stat = readProcStat(parsed.pid);
  if (stat === 'unsupported') {
    try {
      process.kill(parsed.pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
  if (!stat) return false;
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return stat.startTime === parsed.startTime;
}
