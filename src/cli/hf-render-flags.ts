/**
 * The flags of `hyperframes render` 0.8.170 that `framesmith render` takes with HyperFrames' meaning:
 * their value parsers, the flags for machinery framesmith does not have (accepted, with a one-line
 * notice of what framesmith does instead), and the command-line spellings HyperFrames' parser accepts
 * that commander does not (`--flag=false`). A flag HyperFrames accepts never exits 2 here; a value it
 * refuses is a usage error here too (exit 2).
 */
import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { parseRational, toNumber } from '../media/rational.js';
import { GIF_LOOP_MAX, VP9_CPU_USED_RANGE, type Quality } from '../encode/video-args.js';
import { CACHE_OFF_VALUES, isCacheOffValue } from '../cache/config.js';
import { MEDIA_WARNING_CODES, type StrictSetting } from '../warnings.js';
import { UsageError } from './exit-codes.js';

/** `-q` names, HyperFrames' five: each means there what it means in src/encode/video-args.ts. */
export const QUALITY_NAMES: readonly Quality[] = ['draft', 'standard', 'looks', 'high', 'delivery'];

/** The most capture pages a render opens; a larger `--workers` is lowered to it with a notice. */
export const MAX_WORKERS = 64;

function wholeNumber(value: string, min: number, max: number, what: string): number {
  const n = Number(value.trim());
  if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max)
    throw new InvalidArgumentError(`${what}: a whole number from ${min} to ${max}`);
  return n;
}

/**
 * `-f/--fps`: a whole number (24), a rational (30000/1001) or — framesmith's own, refused by
 * HyperFrames as ambiguous — a decimal (29.97, read as an exact fraction); between 1 and 240.
 */
export function parseFpsFlag(value: string): string {
  const rate = parseRational(value);
  if (!rate || toNumber(rate) < 1 || toNumber(rate) > 240)
    throw new InvalidArgumentError('a frame rate from 1 to 240, such as 24, 30000/1001 or 29.97');
  return value.trim();
}

/** `-w/--workers`: `auto` (from cores and free memory) or a whole number >= 1. */
export function parseWorkersFlag(value: string): number | 'auto' {
  if (value.trim().toLowerCase() === 'auto') return 'auto';
  return wholeNumber(value, 1, Number.MAX_SAFE_INTEGER, '--workers: auto or');
}

/** `--gif-loop`: 0 (forever) to 65535. */
export function parseGifLoopFlag(value: string): number {
  return wholeNumber(value, 0, GIF_LOOP_MAX, '--gif-loop (0 = forever)');
}

/** `--vp9-cpu-used`: -8 to 8. */
export function parseVp9CpuUsedFlag(value: string): number {
  return wholeNumber(value, VP9_CPU_USED_RANGE.min, VP9_CPU_USED_RANGE.max, '--vp9-cpu-used');
}

/** `--frames-cache-dir`: false for off/none/false/0 (no cache), else the directory, absolute. */
export function parseFramesCacheDirFlag(value: string): string | false {
  if (value.trim() === '') throw new InvalidArgumentError(`a directory, or one of ${CACHE_OFF_VALUES.join(', ')} for no cache`);
  return isCacheOffValue(value) ? false : path.resolve(value.trim());
}

/** `--max-concurrent-renders`: validated as HyperFrames does (1–10), then only noticed. */
export function parseMaxConcurrentRenders(value: string): number {
  return wholeNumber(value, 1, 10, '--max-concurrent-renders');
}

/** A HyperFrames flag for machinery framesmith does not have, and what framesmith does instead. */
interface MachineryFlag {
  /** The commander flags (`--gpu`, `--max-concurrent-renders <n>`). */
  flags: string;
  /** The attribute commander stores it under. */
  key: string;
  /** Its `--no-` form, where HyperFrames has one. */
  negatable?: boolean;
  parse?: (value: string) => unknown;
  instead: string;
}

const MACHINERY: readonly MachineryFlag[] = [
  {
    flags: '--docker',
    key: 'docker',
    instead:
      'framesmith renders in this process; its renders are deterministic without Docker (pinned browser, bundled fonts, virtual clock)',
  },
  { flags: '--gpu', key: 'gpu', instead: 'framesmith encodes with software x264/VP9/ProRes' },
  {
    flags: '--browser-gpu',
    key: 'browserGpu',
    negatable: true,
    instead: "framesmith draws with the browser's software rasterizer (WebGL: SwiftShader, see --webgl)",
  },
  {
    flags: '--page-side-compositing',
    key: 'pageSideCompositing',
    negatable: true,
    instead: 'framesmith captures what the page draws, shader transitions included; there is no separate compositing path',
  },
  {
    flags: '--experimental-fast-capture',
    key: 'experimentalFastCapture',
    negatable: true,
    instead: 'framesmith picks its capture mode itself (beginFrame in the headless shell, else screenshots)',
  },
  {
    flags: '--low-memory-mode',
    key: 'lowMemoryMode',
    negatable: true,
    instead: 'framesmith sizes its workers from cores and free memory; pass --workers 1 for the smallest footprint',
  },
  {
    flags: '--max-concurrent-renders <n>',
    key: 'maxConcurrentRenders',
    parse: parseMaxConcurrentRenders,
    instead: 'framesmith has no render server; run renders side by side, or use --redis and `framesmith worker`',
  },
  { flags: '--skill <slug>', key: 'skill', instead: 'framesmith records no telemetry' },
  { flags: '--lint-verbose', key: 'lintVerbose', instead: 'framesmith does not lint before a render; its warnings are printed in full' },
  {
    flags: '--resume',
    key: 'resume',
    instead: 'a planned render (--chunk-frames with --storage) reuses its frozen plan by itself; chunks are rendered again',
  },
  {
    flags: '--keep-segments',
    key: 'keepSegments',
    instead: "framesmith removes a render's segments when it ends; keep a plan with --storage",
  },
];

/** The commander options of the machinery flags (each with a help line saying what framesmith does). */
export function machineryOptions(): Option[] {
  return MACHINERY.flatMap((m) => {
    const help = `HyperFrames' flag, accepted: ${m.instead}`;
    const option = new Option(m.flags, help);
    if (m.parse) option.argParser(m.parse);
    if (!m.negatable) return [option];
    const name = m.flags.split(' ')[0]!.slice(2);
    return [option, new Option(`--no-${name}`, `see --${name}`)];
  });
}

/** The notices of the machinery flags present in `flags` (commander's parsed options), one line each. */
export function machineryNotices(flags: Record<string, unknown>): string[] {
  return MACHINERY.filter((m) => flags[m.key] !== undefined).map((m) => {
    const value = flags[m.key];
    const name = m.flags.split(' ')[0]!;
    const given = value === false ? `--no-${name.slice(2)}` : typeof value === 'boolean' ? name : `${name} ${String(value)}`;
    return `${given} is a HyperFrames flag for machinery framesmith does not have: ${m.instead}`;
  });
}

/**
 * Rewrites the spellings HyperFrames' parser accepts and commander does not, for the boolean flags
 * `booleans` (long names without dashes; `negatable` those with a `--no-` form):
 * `--flag=true` → `--flag`, `--flag=false` → `--no-flag` (dropped when there is no `--no-` form: false
 * is then the default). And framesmith's old `-q` (quiet): a `-q` followed by nothing or by another
 * flag is read as `--quiet`, so scripts written for it keep working; `-q <word>` is always
 * HyperFrames' quality (a word that is not one is a usage error, as there).
 */
export function normalizeRenderArgv(argv: readonly string[], booleans: ReadonlySet<string>, negatable: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const m = /^--([a-z0-9-]+)=(true|false)$/i.exec(arg);
    if (m && booleans.has(m[1]!)) {
      if (m[2]!.toLowerCase() === 'true') out.push(`--${m[1]}`);
      else if (negatable.has(m[1]!)) out.push(`--no-${m[1]}`);
      continue;
    }
    const next = argv[i + 1];
    if (arg === '-q' && (next === undefined || next.startsWith('-'))) {
      out.push('--quiet');
      continue;
    }
    out.push(arg);
  }
  return out;
}

/** `command`'s argv with HyperFrames' spellings rewritten (normalizeRenderArgv over its boolean flags). */
export function normalizeArgvFor(command: Command, argv: readonly string[]): string[] {
  const booleans = new Set<string>();
  const negatable = new Set<string>();
  for (const option of command.options) {
    if (option.required || option.optional || !option.long) continue;
    const name = option.long.slice(2);
    if (option.negate) negatable.add(name.slice(3));
    booleans.add(option.negate ? name.slice(3) : name);
  }
  return normalizeRenderArgv(argv, booleans, negatable);
}

/** The parsed values of the flags `addHyperframesOptions` adds (commander's attribute names). */
export interface HyperframesFlags {
  gifLoop?: number;
  vp9CpuUsed?: number;
  framesCacheDir?: string | false;
  strictAll?: boolean;
  /** false with --no-best-effort. */
  bestEffort?: boolean;
  debug?: boolean;
}

/** Adds HyperFrames' render flags that framesmith did not have, machinery flags included. */
export function addHyperframesOptions(command: Command): Command {
  command
    .addOption(
      new Option('--gif-loop <n>', 'gif: how many times the animation repeats, 0 = forever (default 0)').argParser(parseGifLoopFlag),
    )
    .addOption(
      new Option('--vp9-cpu-used <n>', 'webm: libvpx-vp9 -cpu-used, -8 to 8 (higher is faster, larger; default 4)')
        .env('PRODUCER_VP9_CPU_USED')
        .argParser(parseVp9CpuUsedFlag),
    )
    .addOption(
      new Option(
        '--frames-cache-dir <dir>',
        `frame cache directory, as --cache-dir; ${CACHE_OFF_VALUES.join('/')} for none, as --no-cache (env HYPERFRAMES_EXTRACT_CACHE_DIR is read too)`,
      ).argParser(parseFramesCacheDirFlag),
    )
    .addOption(
      new Option(
        '--strict-all',
        'the same as --strict (HyperFrames: fail on lint errors and warnings; framesmith fails on any render warning)',
      ),
    )
    .addOption(new Option('--best-effort', 'render through missing or unready media with a warning (the default)'))
    .addOption(
      new Option('--no-best-effort', 'fail on missing or unready media: an asset that could not load, a video that ends early (exit 1)'),
    )
    .addOption(new Option('--debug', 'print diagnostics on stderr: resolved settings, each stage as it starts, the stage timings'));
  for (const option of machineryOptions()) command.addOption(option);
  return command;
}

/** What the HyperFrames flags set on the render, and the notices to print about them. */
export interface HyperframesSettings {
  workers?: number;
  strict: StrictSetting;
  notices: string[];
}

/**
 * `-w`, `--strict`/`--strict-all`/`--no-best-effort` and the machinery flags resolved: `auto` workers
 * are left to the renderer; more than MAX_WORKERS is lowered to it (with a notice).
 */
export function hyperframesSettings(flags: HyperframesFlags & { workers?: number | 'auto'; strict?: boolean }): HyperframesSettings {
  const notices = machineryNotices(flags as Record<string, unknown>);
  let workers = flags.workers === 'auto' ? undefined : flags.workers;
  if (workers !== undefined && workers > MAX_WORKERS) {
    notices.push(`--workers ${workers}: framesmith opens at most ${MAX_WORKERS} capture pages; using ${MAX_WORKERS}`);
    workers = MAX_WORKERS;
  }
  const strict: StrictSetting = flags.strict || flags.strictAll ? true : flags.bestEffort === false ? MEDIA_WARNING_CODES : false;
  return { workers, strict, notices };
}

/**
 * The frame cache from `--frames-cache-dir`, `--cache-dir` and `--no-cache` (`cache` false): a
 * directory, false for none, or undefined for the environment's (FRAMESMITH_CACHE_DIR,
 * HYPERFRAMES_EXTRACT_CACHE_DIR) or the default. Two of them together are a usage error.
 */
export function cacheSetting(flags: { framesCacheDir?: string | false; cacheDir?: string; cache: boolean }): string | false | undefined {
  const given = [
    flags.framesCacheDir !== undefined && '--frames-cache-dir',
    !flags.cache && '--no-cache',
    flags.cacheDir !== undefined && '--cache-dir',
  ].filter(Boolean);
  if (given.length > 1) throw new UsageError('usage', `${given.join(' and ')} cannot be combined; pick one`, {});
  if (flags.framesCacheDir !== undefined) return flags.framesCacheDir;
  if (!flags.cache) return false;
  return flags.cacheDir !== undefined ? path.resolve(flags.cacheDir) : undefined;
}

/** `--debug`'s diagnostics: the resolved settings, each stage as it starts (seconds since start), the timings. */
export interface DebugReporter {
  start(settings: Record<string, unknown>): void;
  progress(progress: { stage: string }): void;
  done(result: { timings: Record<string, number>; workers: number; captureMode: string; warnings: readonly unknown[] }): void;
}

/** A DebugReporter writing lines through `write`, or one that does nothing when not `enabled`. */
export function debugReporter(enabled: boolean, write: (line: string) => void): DebugReporter {
  if (!enabled) return { start() {}, progress() {}, done() {} };
  const started = performance.now();
  let stage = '';
  return {
    start(settings) {
      write(`settings ${JSON.stringify(settings)}`);
    },
    progress(progress) {
      if (progress.stage === stage) return;
      stage = progress.stage;
      write(`+${((performance.now() - started) / 1000).toFixed(2)} s stage ${stage}`);
    },
    done(result) {
      write(`workers ${result.workers}, capture ${result.captureMode}, ${result.warnings.length} warning(s)`);
      write(`timings (ms) ${JSON.stringify(result.timings)}`);
    },
  };
}
