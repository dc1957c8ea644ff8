/**
 * `framesmith doctor [--json]`: checks everything a render needs and says how to fix what is missing.
 * Exit 0 when every required check passes, 1 otherwise.
 *
 * Checks: Node version (>= 20); ffmpeg/ffprobe (>= 5.1) and the encoders and filters framesmith uses;
 * the bundled headless shell (unless a browser is given), unpacked into framesmith's own directory and
 * its version verified; the browser, really launched, with one frame captured in its capture mode; the cache directory
 * (`FRAMESMITH_CACHE_DIR`, else `$XDG_CACHE_HOME/framesmith`, else `~/.cache/framesmith`) writable,
 * with its free space; the font setup (src/fonts/setup-info.ts: font directory, bundled families,
 * fallback chain, the machine's fonts last), its facts in the check's `info`.
 */
import { mkdir, rm, statfs, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { BrowserError } from '../browser/browser-error.js';
import { FramesmithError } from '../errors.js';
import { getTools, listedNames, runFfmpeg } from '../media/tools.js';
import { EXIT_FAILED, EXIT_OK } from './exit-codes.js';
import type { CommandContext } from './context.js';
import { optionFlags, withFlags } from './option-flags.js';

/** ffmpeg encoders a render needs; doctor fails for each one `ffmpeg -encoders` does not list. */
export const REQUIRED_ENCODERS = ['libx264', 'libvpx-vp9', 'aac', 'libopus', 'png', 'mjpeg'] as const;
/** ffmpeg filters a render needs; doctor fails for each one `ffmpeg -filters` does not list. */
export const REQUIRED_FILTERS = ['zscale', 'tonemap', 'colorspace', 'fps', 'setpts', 'scale', 'amix', 'atempo', 'adelay'] as const;
/** Below this much free space in the cache directory the check warns (it still passes). */
const LOW_SPACE_BYTES = 1024 ** 3;

/** One line of doctor's report. Doctor passes when every check is `ok` or a `warning`. */
export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
  /** What to do when `ok` is false. */
  fix?: string;
  /** A failed warning does not fail doctor. */
  warning?: boolean;
  /** The check's facts, for `--json` (the fonts check: FontSetupInfo). */
  info?: object;
}

/** The cache directory framesmith uses (see the module comment). */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FRAMESMITH_CACHE_DIR) return path.resolve(env.FRAMESMITH_CACHE_DIR);
  if (env.XDG_CACHE_HOME) return path.join(env.XDG_CACHE_HOME, 'framesmith');
  return path.join(os.homedir(), '.cache', 'framesmith');
}

/**
 * Runs every check (see the module comment) in order and returns them; never throws for a failed check.
 * `browserPath`: check this browser (and skip the bundled-shell check) instead of the default.
 */
export async function runDoctor(options: { browserPath?: string } = {}): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const nodeMajor = Number(process.versions.node.split('.')[0]);
  checks.push({ name: 'node', ok: nodeMajor >= 20, detail: `Node ${process.versions.node}`, fix: 'install Node.js 20 or newer' });

  const ffmpegFix =
    'install ffmpeg >= 5.1 built with libx264, libvpx, libopus and libzimg (Debian/Ubuntu: apt-get install ffmpeg), or run scripts/setup.sh';
  try {
    const tools = await getTools();
    checks.push({ name: 'ffmpeg', ok: true, detail: `ffmpeg/ffprobe ${tools.version} (${tools.ffmpegPath}, ${tools.ffprobePath})` });
    const [encoders, filters] = await Promise.all([
      runFfmpeg(['-encoders'], { timeoutMs: 15_000 }).then((r) => listedNames(r.stdout)),
      runFfmpeg(['-filters'], { timeoutMs: 15_000 }).then((r) => listedNames(r.stdout)),
    ]);
    for (const name of REQUIRED_ENCODERS)
      checks.push({
        name: `encoder ${name}`,
        ok: encoders.has(name),
        detail: encoders.has(name) ? 'available' : 'missing',
        fix: ffmpegFix,
      });
    for (const name of REQUIRED_FILTERS)
      checks.push({ name: `filter ${name}`, ok: filters.has(name), detail: filters.has(name) ? 'available' : 'missing', fix: ffmpegFix });
    // Optional: re-timed audio uses it when present (src/encode/audio-graph.ts), else atempo.
    checks.push({
      name: 'filter rubberband',
      ok: true,
      detail: filters.has('rubberband')
        ? 'available'
        : 'missing (optional): audio at playback rates other than 1 uses atempo, whose onsets come up to ~90 ms early at 0.4x',
    });
  } catch (error) {
    checks.push({ name: 'ffmpeg', ok: false, detail: error instanceof Error ? error.message : String(error), fix: ffmpegFix });
  }

  if (!options.browserPath && !process.env.FRAMESMITH_BROWSER) checks.push(await bundledCheck());
  const { probeBrowser } = await import('../capture/probe.js');
  const probe = await probeBrowser(options);
  checks.push({
    name: 'browser',
    ok: probe.ok,
    detail: probe.ok
      ? `${probe.version} at ${probe.executablePath} (${probe.source}); capture mode ${probe.captureMode} (one frame captured in ${probe.ms} ms)`
      : `${probe.executablePath ?? 'no browser'}: ${probe.error}`,
    fix: 'run scripts/setup.sh (libraries for the bundled headless shell), install Chromium (apt-get install chromium), or pass --browser / set FRAMESMITH_BROWSER',
  });

  const dir = cacheDir();
  try {
    await mkdir(dir, { recursive: true });
    const probeFile = path.join(dir, `.doctor-${process.pid}`);
    await writeFile(probeFile, 'ok');
    await rm(probeFile, { force: true });
    const fsStats = await statfs(dir);
    const free = fsStats.bavail * fsStats.bsize;
    checks.push({ name: 'cache', ok: true, detail: `${dir} writable, ${(free / 1024 ** 3).toFixed(1)} GiB free` });
    if (free < LOW_SPACE_BYTES)
      checks.push({
        name: 'cache space',
        ok: false,
        warning: true,
        detail: `only ${(free / 1024 ** 2).toFixed(0)} MiB free in ${dir}`,
        fix: 'free some space or point FRAMESMITH_CACHE_DIR elsewhere',
      });
  } catch (error) {
    checks.push({
      name: 'cache',
      ok: false,
      detail: `${dir} is not writable: ${error instanceof Error ? error.message : String(error)}`,
      fix: 'set FRAMESMITH_CACHE_DIR to a writable directory',
    });
  }
  checks.push(await fontsCheck());
  return checks;
}

/** The font setup; a missing font package fails it, an unwritable font directory is a warning. */
async function fontsCheck(): Promise<DoctorCheck> {
  const { describeFontSetup, fontSetupInfo } = await import('../fonts/setup-info.js');
  try {
    const info = await fontSetupInfo();
    if (!info.writable)
      return {
        name: 'fonts',
        ok: false,
        warning: true,
        detail: describeFontSetup(info),
        fix: 'set FRAMESMITH_FONT_DIR to a writable directory (faces are decompressed there once)',
        info,
      };
    return { name: 'fonts', ok: true, detail: describeFontSetup(info), info };
  } catch (error) {
    return {
      name: 'fonts',
      ok: false,
      detail: error instanceof Error ? error.message : String(error),
      // A setting of ours (FRAMESMITH_FONT_DELIVERY…) is refused with its own fix in the message.
      fix:
        error instanceof FramesmithError && error.code === 'invalid_option'
          ? 'correct the setting the message names'
          : 'reinstall framesmith (npm install): a bundled @fontsource package is missing',
    };
  }
}

/** The bundled headless shell: unpacked (now, if it was missing or changed) and its version verified. */
async function bundledCheck(): Promise<DoctorCheck> {
  const { bundledBrowser } = await import('../browser/bundled.js');
  try {
    const bundled = await bundledBrowser();
    if (!bundled) return { name: 'bundled browser', ok: true, detail: '@sparticuz/chromium is not installed: a system Chromium is used' };
    const unpacked = bundled.unpacked ? `; unpacked now (${bundled.unpacked})` : '';
    return {
      name: 'bundled browser',
      ok: true,
      detail: `@sparticuz/chromium ${bundled.packageVersion}: Chromium ${bundled.version} verified in ${bundled.dir}${unpacked}`,
    };
  } catch (error) {
    if (error instanceof BrowserError) return { name: 'bundled browser', ok: false, detail: error.fields.problem, fix: error.fields.fix };
    return { name: 'bundled browser', ok: false, detail: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Adds `doctor [--json] [--browser <path>]` to `program`: prints the checks, exit 0 when every one is
 * `ok` or a warning, else 1.
 */
export function registerDoctor(program: Command, context: CommandContext): void {
  program
    .command('doctor')
    .description('check that ffmpeg, the browser, the cache directory and the fonts are ready')
    .option('--json', 'print the checks as one JSON document')
    .option('--browser <path>', 'check this browser instead of the default')
    .action(async (flags: { json?: boolean; browser?: string }) => {
      // The checks' texts name options as the library does (`browser`): shown as flags here.
      const shown = optionFlags(program);
      const checks = (await runDoctor({ browserPath: flags.browser })).map((c) => ({
        ...c,
        detail: withFlags(c.detail, shown),
        ...(c.fix ? { fix: withFlags(c.fix, shown) } : {}),
      }));
      const ok = checks.every((c) => c.ok || c.warning);
      if (flags.json) {
        context.stdout.write(`${JSON.stringify({ ok, checks }, null, 2)}\n`);
      } else {
        for (const c of checks) {
          context.stdout.write(`${c.ok ? 'ok  ' : c.warning ? 'warn' : 'FAIL'}  ${c.name}: ${c.detail}\n`);
          if (!c.ok && c.fix) context.stdout.write(`      fix: ${c.fix}\n`);
        }
        context.stdout.write(ok ? 'framesmith is ready.\n' : 'framesmith is not ready: fix the FAIL lines above.\n');
      }
      context.setExitCode(ok ? EXIT_OK : EXIT_FAILED);
    });
}
