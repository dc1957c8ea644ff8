/** Where the cache lives and how big it may grow: options, then environment, then defaults. */
import os from 'node:os';
import path from 'node:path';
import { CacheError } from './errors.js';

/** Default byte budget: 5 GiB. */
export const DEFAULT_BUDGET_BYTES = 5 * 1024 ** 3;

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kib: 1024,
  kb: 1000,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  mb: 1000 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  gb: 1000 ** 3,
  t: 1024 ** 4,
  tib: 1024 ** 4,
  tb: 1000 ** 4,
};

/**
 * Parses a byte size: a plain integer ("1048576"), or a number with a unit — KiB/MiB/GiB/TiB and the
 * bare K/M/G/T are powers of 1024, kB/MB/GB/TB powers of 1000 (case-insensitive, optional space).
 * Returns null for anything else, for negative values, and for values that are not finite.
 */
export function parseByteSize(text: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!match) return null;
  const unit = UNITS[match[2]!.toLowerCase()];
  if (unit === undefined) return null;
  const value = Math.floor(Number(match[1]) * unit);
  return Number.isFinite(value) && value >= 0 ? value : null;
}

/** HyperFrames' values that turn the frame cache off (`--frames-cache-dir`, HYPERFRAMES_EXTRACT_CACHE_DIR). */
export const CACHE_OFF_VALUES: readonly string[] = ['off', 'none', 'false', '0'];

/** Whether a cache directory value means "no cache" (case and surrounding blanks ignored). */
export function isCacheOffValue(value: string): boolean {
  return CACHE_OFF_VALUES.includes(value.trim().toLowerCase());
}

/** Inputs of `resolveCacheDir`; `env` (default process.env) is the environment read for the fallbacks. */
export interface CacheLocationOptions {
  /** A directory, `false` (or "off") to disable, or undefined for the environment / default. */
  dir?: string | false | null;
  env?: NodeJS.ProcessEnv;
}

/**
 * The cache directory, or null when the cache is disabled. Order: `options.dir` (false or "off"
 * disables); `FRAMESMITH_CACHE_DIR` ("off" disables); HyperFrames' `HYPERFRAMES_EXTRACT_CACHE_DIR`
 * ("off", "none", "false" or "0" disables, as there); `$XDG_CACHE_HOME/framesmith`;
 * `~/.cache/framesmith`. Relative paths resolve against the current directory.
 */
export function resolveCacheDir(options: CacheLocationOptions = {}): string | null {
  const env = options.env ?? process.env;
  if (options.dir === false) return null;
  if (typeof options.dir === 'string' && options.dir !== '') return options.dir === 'off' ? null : path.resolve(options.dir);
  const fromEnv = env.FRAMESMITH_CACHE_DIR;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv === 'off' ? null : path.resolve(fromEnv);
  const fromHyperframes = env.HYPERFRAMES_EXTRACT_CACHE_DIR?.trim();
  if (fromHyperframes) return isCacheOffValue(fromHyperframes) ? null : path.resolve(fromHyperframes);
  const xdg = env.XDG_CACHE_HOME;
  // The XDG spec says relative values are invalid and must be ignored.
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'framesmith');
  return path.join(env.HOME || os.homedir(), '.cache', 'framesmith');
}

/**
 * The byte budget: `budgetBytes` if given, else `FRAMESMITH_CACHE_BUDGET`, else 5 GiB.
 * Throws `CacheError('invalid_config')` for a malformed value, naming where it came from.
 */
export function resolveBudget(budgetBytes: number | string | undefined, env: NodeJS.ProcessEnv = process.env): number {
  if (typeof budgetBytes === 'number') {
    if (!Number.isFinite(budgetBytes) || budgetBytes < 0) {
      throw new CacheError('invalid_config', `cache budget ${budgetBytes} is not a byte count; pass a non-negative number`, {});
    }
    return Math.floor(budgetBytes);
  }
  const [text, origin] =
    budgetBytes !== undefined ? [budgetBytes, 'cache budget'] : [env.FRAMESMITH_CACHE_BUDGET, 'FRAMESMITH_CACHE_BUDGET'];
  if (text === undefined || text === '') return DEFAULT_BUDGET_BYTES;
  const parsed = parseByteSize(text);
  if (parsed === null) {
    throw new CacheError('invalid_config', `${origin} "${text}" is not a size; use bytes or a unit such as "500MiB" or "5GiB"`, {});
  }
  return parsed;
}
