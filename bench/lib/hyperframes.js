/**
 * HyperFrames, installed for comparison by bench/setup-hyperframes.sh into .bench/hyperframes/.
 * Runs its extractor through bench/hyperframes/extract.mjs and its renderer through its CLI, both under
 * the Node 22 binary the `node@22` npm package brings.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { BENCH_DIR, ROOT } from './media.js';
import { lastJsonLine, run } from './measure.js';

const HF_DIR = path.join(BENCH_DIR, 'hyperframes');

/** `{ node, cli, browser, version }` when HyperFrames is installed, else `{ missing: reason }`. */
export function hyperframes() {
  const pathsFile = path.join(HF_DIR, 'paths.json');
  if (!existsSync(pathsFile)) return { missing: 'HyperFrames not installed: run `bash bench/setup-hyperframes.sh`' };
  const paths = JSON.parse(readFileSync(pathsFile, 'utf8'));
  for (const key of ['node', 'cli', 'browser']) {
    if (!existsSync(paths[key]))
      return { missing: `HyperFrames install incomplete (${key} ${paths[key]} missing): run bash bench/setup-hyperframes.sh` };
  }
  const version = (name) => JSON.parse(readFileSync(path.join(HF_DIR, 'node_modules', name, 'package.json'), 'utf8')).version;
  return { ...paths, version: { hyperframes: version('hyperframes'), engine: version('@hyperframes/engine') } };
}

/**
 * Environment for HyperFrames runs: our browser, no telemetry / update check / auto-install, and its
 * extracted-frame cache off so every run is cold (like our `cache: false`).
 */
function hfEnv(hf, extra = {}) {
  return {
    ...process.env,
    HYPERFRAMES_BROWSER_PATH: hf.browser,
    HYPERFRAMES_NO_TELEMETRY: '1',
    DO_NOT_TRACK: '1',
    HYPERFRAMES_NO_UPDATE_CHECK: '1',
    HYPERFRAMES_NO_AUTO_INSTALL: '1',
    HYPERFRAMES_SKIP_SKILLS: '1',
    HYPERFRAMES_EXTRACT_CACHE_DIR: 'off',
    CI: '1',
    ...extra,
  };
}

/** Runs `extractAllVideoFrames` on a spec file; resolves with the adapter's JSON (wallMs, frames, …). */
export async function hfExtract(hf, specPath, { memory = false } = {}) {
  const args = [path.join(ROOT, 'bench/hyperframes/extract.mjs'), specPath, ...(memory ? ['--memory'] : [])];
  const result = await run(hf.node, args, { env: hfEnv(hf) });
  const json = lastJsonLine(result.stdout);
  if (result.code !== 0 || !json)
    throw new Error(`HyperFrames extract failed (exit ${result.code}): ${tail(result.stderr || result.stdout)}`);
  if (!json.ok) throw new Error(`HyperFrames extract reported errors: ${JSON.stringify(json.errors)}`);
  return { ...json, processMs: Math.round(result.ms) };
}

/**
 * `hyperframes render DIR -o OUTPUT` (quality draft|looks|…, workers N). Resolves with the process wall
 * time and HyperFrames' own summary: total "rendered in" seconds, capture mode and stage seconds.
 */
export async function hfRender(hf, dir, { output, fps = 30, workers, quality, extraEnv } = {}) {
  const args = [hf.cli, 'render', dir, '-o', output, '--fps', String(fps)];
  if (workers !== undefined) args.push('--workers', String(workers));
  if (quality) args.push('--quality', quality);
  const result = await run(hf.node, args, { env: hfEnv(hf, extraEnv), cwd: dir });
  const text = `${result.stdout}\n${result.stderr}`;
  if (result.code !== 0 || !existsSync(output)) throw new Error(`hyperframes render failed (exit ${result.code}): ${tail(text)}`);
  return { wallMs: Math.round(result.ms), ...parseSummary(text) };
}

/** Reads the closing summary ("rendered in 10.5s", "beginframe capture · … · capture 7.5s · …"). */
function parseSummary(text) {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes start with ESC.
  const clean = text.replace(/\x1b\[[0-9;]*m/g, '');
  const secs = (s) => {
    const m = /(?:(\d+)m\s*)?([\d.]+)s/.exec(s);
    return m ? Math.round((Number(m[1] ?? 0) * 60 + Number(m[2])) * 1000) : null;
  };
  const renderedIn = /rendered in ([^\n·]+)/.exec(clean);
  const stagesLine = /\n\s*(\w+) capture · ([^\n]+)/.exec(clean);
  const stages = {};
  if (stagesLine) {
    for (const part of stagesLine[2].split('·')) {
      const m = /^\s*([a-z][a-z ()]*?)\s+((?:\d+m\s*)?[\d.]+s)\s*$/.exec(part);
      if (m) stages[m[1]] = secs(m[2]);
    }
  }
  const workers = /"workerCount":(\d+)/.exec(clean);
  return {
    totalMs: renderedIn ? secs(renderedIn[1]) : null,
    captureMode: stagesLine?.[1] ?? null,
    stagesMs: stages,
    workers: workers ? Number(workers[1]) : null,
  };
}

function tail(text, n = 1500) {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes start with ESC.
  const t = text.replace(/\x1b\[[0-9;]*m/g, '').trim();
  return t.length > n ? `…${t.slice(-n)}` : t;
}
