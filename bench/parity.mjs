/**
 * Parity on real compositions (issue 18, "Must show"): each project of a corpus (a directory of
 * projects, each holding index.html, its assets and a SOURCE.md naming where it came from) is rendered
 * by framesmith (the built CLI, `bin/framesmith.js` → dist/) and by HyperFrames 0.8.170 (installed by
 * bench/setup-hyperframes.sh) with the same flags, and compared frame by frame by PSNR.
 *
 *   node bench/parity.mjs [--corpus DIR] [--seconds 2] [--fps 10] [--keep DIR] [--vendor DIR…]
 *                         [--hf-font-dir DIR…] [--hf-font-conf FILE…] [project…]
 *
 * A project matches when its mean PSNR is ≥ 30 dB and at most 5 % of its frames are below 30 dB. Each
 * project is rendered from a copy (never in place) in which:
 * - the root's `data-duration` is cut to `--seconds` (both renderers honour it; HyperFrames cannot render
 *   a frame range), so a 30 s composition costs 2 s of frames;
 * - `<script src>` of an npm package on a public CDN (jsDelivr, unpkg; GSAP on cdnjs too) points at a
 *   local copy of the same file: `<--vendor DIR>/<package>/<path>` or this checkout's
 *   node_modules/<package>/<path> (whatever version is there), because the bench machine may be offline
 *   and neither renderer vendors them. A URL with no local copy is left as it is.
 *   (`npm pack @tailwindcss/browser@4` unpacked as `DIR/@tailwindcss/browser` serves Tailwind's CDN build.)
 * `--hf-font-dir DIR` (repeatable) adds font directories to the machine's fontconfig for HyperFrames'
 * browser only (FONTCONFIG_FILE), e.g. CJK or emoji faces, to compare against HyperFrames as it runs on
 * a machine that has them (framesmith brings its own); `--hf-font-conf FILE` (repeatable) includes the
 * fontconfig rules such a machine's packages install with them (Debian's fonts-noto-cjk ships
 * 70-fonts-noto-cjk.conf: the language's face first for `serif`/`sans-serif`). Renders run one at a time (`--workers 1` each).
 * With `--keep DIR`, the two videos and the worst frame of each (PNG, `<project>-{fs,hf}-<frame>.png`)
 * are kept there for inspection. A project's `REMOTE_MEDIA.json` (remote URL → local stand-in) points
 * its remote media at files in the copy. The corpus and its sources: bench/parity-corpus/README.md.
 * Not part of `npm test`.
 */
import { copyFile, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { psnr } from './lib/compare.js';
import { hfRender, hyperframes } from './lib/hyperframes.js';
import { ROOT } from './lib/media.js';
import { run } from './lib/measure.js';

const MATCH_DB = 30;
const MAX_BELOW = 0.05;
/** npm files on the CDNs users link: groups are the package (scoped or not) and the path inside it. */
const NPM_CDN = /https?:\/\/(?:cdn\.jsdelivr\.net\/npm|unpkg\.com)\/((?:@[\w.-]+\/)?[\w.-]+)@[^/"']+\/([^"'\s?#]+)/g;
/** GSAP on cdnjs: group 1 is the file name (gsap.min.js, ScrollTrigger.min.js, …), under gsap/dist. */
const GSAP_CDNJS = /https?:\/\/cdnjs\.cloudflare\.com\/ajax\/libs\/gsap\/[^/"']+\/([\w.]+\.js)/g;

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    corpus: { type: 'string', default: process.env.FRAMESMITH_PARITY_CORPUS ?? path.join(ROOT, 'bench/parity-corpus') },
    seconds: { type: 'string', default: '2' },
    fps: { type: 'string', default: '10' },
    keep: { type: 'string' },
    vendor: { type: 'string', multiple: true, default: [] },
    'hf-font-dir': { type: 'string', multiple: true, default: [] },
    'hf-font-conf': { type: 'string', multiple: true, default: [] },
  },
});

/** All *.html files under `dir`, recursively. */
async function htmlFiles(dir) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await htmlFiles(full)));
    else if (entry.name.endsWith('.html')) out.push(full);
  }
  return out;
}

/** The local copy of `file` of npm package `pkg`: under a --vendor directory, else node_modules; or null. */
function localCopy(pkg, file) {
  for (const dir of [...opts.vendor, path.join(ROOT, 'node_modules')]) {
    const candidate = path.join(dir, pkg, file);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

/** Points the CDN scripts of one HTML text at local copies under `<project>/_parity_vendor/`. */
async function localizeCdn(text, htmlPath, projectDir) {
  const found = [
    ...[...text.matchAll(NPM_CDN)].map((m) => ({ url: m[0], pkg: m[1], file: m[2] })),
    ...[...text.matchAll(GSAP_CDNJS)].map((m) => ({ url: m[0], pkg: 'gsap', file: `dist/${m[1]}` })),
  ];
  let result = text;
  for (const { url, pkg, file } of found) {
    const source = localCopy(pkg, file);
    if (!source) continue; // no copy here: both renderers miss it alike
    const dest = path.join(projectDir, '_parity_vendor', pkg, file);
    await mkdir(path.dirname(dest), { recursive: true });
    await copyFile(source, dest);
    result = result.replaceAll(url, path.relative(path.dirname(htmlPath), dest).split(path.sep).join('/'));
  }
  return result;
}

/** Cuts the root composition's data-duration (the first tag carrying data-composition-id) to `seconds`. */
function clipDuration(text, seconds) {
  return text.replace(/<[a-z][^>]*\sdata-composition-id=[^>]*>/i, (tag) => {
    const m = /\sdata-duration=["']?([\d.]+)["']?/.exec(tag);
    if (!m) return tag.replace(/>$/, ` data-duration="${seconds}">`);
    return Number(m[1]) > seconds ? tag.replace(m[0], ` data-duration="${seconds}"`) : tag;
  });
}

/**
 * Points remote media URLs at the local stand-ins a project lists in `REMOTE_MEDIA.json` (URL → path
 * relative to the project; the machine is offline and both renderers would miss them alike otherwise).
 */
function localizeRemoteMedia(text, htmlPath, projectDir, remote) {
  let result = text;
  for (const [url, local] of Object.entries(remote)) {
    result = result.replaceAll(url, path.relative(path.dirname(htmlPath), path.join(projectDir, local)).split(path.sep).join('/'));
  }
  return result;
}

/** Copies a project to `dest` and applies the rewrites above. */
async function prepare(source, dest, seconds) {
  await cp(source, dest, { recursive: true });
  const remoteList = path.join(dest, 'REMOTE_MEDIA.json');
  const remote = existsSync(remoteList) ? JSON.parse(await readFile(remoteList, 'utf8')) : {};
  for (const file of await htmlFiles(dest)) {
    let text = await readFile(file, 'utf8');
    text = await localizeCdn(text, file, dest);
    text = localizeRemoteMedia(text, file, dest, remote);
    if (file === path.join(dest, 'index.html')) text = clipDuration(text, seconds);
    await writeFile(file, text);
  }
}

/** The JSON document `--json` printed (pretty-printed, so not one line), or null. */
function parseJson(stdout) {
  try {
    return JSON.parse(stdout);
  } catch {
    return null;
  }
}

/** `framesmith render` through the built CLI; resolves with its JSON result's warnings. */
async function framesmithRender(dir, output, fps) {
  const args = [path.join(ROOT, 'bin/framesmith.js'), 'render', dir, '-o', output, '--fps', String(fps), '-q', 'high', '-w', '1', '--json'];
  const result = await run(process.execPath, args, { cwd: dir });
  const json = parseJson(result.stdout);
  if (result.code !== 0 || !existsSync(output)) {
    throw new Error(`framesmith render failed (exit ${result.code}): ${(result.stderr || result.stdout).trim().slice(-800)}`);
  }
  return { warnings: (json?.warnings ?? []).map((w) => w.code ?? w.message) };
}

/** Writes frame `index` of `video` as a PNG. */
async function framePng(video, index, png) {
  const r = await run('ffmpeg', ['-v', 'error', '-y', '-i', video, '-vf', `select=eq(n\\,${index})`, '-frames:v', '1', png]);
  if (r.code !== 0) throw new Error(`ffmpeg could not extract frame ${index} of ${video}: ${r.stderr.trim()}`);
}

/** A fontconfig file: the machine's configuration plus `dirs` and the rules of `confs`; its path. */
async function fontconfigWith(dirs, confs, work) {
  const file = path.join(work, 'fonts.conf');
  const xml = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  await writeFile(
    file,
    `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n<include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n${dirs.map((d) => `<dir>${xml(path.resolve(d))}</dir>\n`).join('')}${confs.map((c) => `<include>${xml(path.resolve(c))}</include>\n`).join('')}<cachedir>${xml(path.join(work, 'fc-cache'))}</cachedir>\n</fontconfig>\n`,
  );
  return file;
}

/** Renders one project with both and compares; resolves with a table row. */
async function compareProject(hf, name, work) {
  const dir = path.join(work, name);
  await prepare(path.join(opts.corpus, name), dir, Number(opts.seconds));
  const ours = path.join(work, `${name}-fs.mp4`);
  const theirs = path.join(work, `${name}-hf.mp4`);
  const row = { name };
  try {
    row.warnings = (await framesmithRender(dir, ours, opts.fps)).warnings;
  } catch (error) {
    return { ...row, error: error.message };
  }
  try {
    const extraEnv = opts['hf-font-dir'].length
      ? { FONTCONFIG_FILE: await fontconfigWith(opts['hf-font-dir'], opts['hf-font-conf'], work) }
      : undefined;
    await hfRender(hf, dir, { output: theirs, fps: Number(opts.fps), workers: 1, quality: 'high', extraEnv });
  } catch (error) {
    return { ...row, error: `HyperFrames: ${error.message}` };
  }
  const p = await psnr(theirs, ours);
  if (p.error) return { ...row, error: `psnr: ${p.error}` };
  const below = p.values.filter((v) => v < MATCH_DB).length / p.values.length;
  Object.assign(row, { frames: p.frames, mean: p.average, min: p.min, minFrame: p.minFrame, below });
  row.match = p.average >= MATCH_DB && below <= MAX_BELOW;
  if (opts.keep) {
    await mkdir(opts.keep, { recursive: true });
    for (const [video, tag] of [
      [ours, 'fs'],
      [theirs, 'hf'],
    ]) {
      await copyFile(video, path.join(opts.keep, `${name}-${tag}.mp4`));
      await framePng(video, p.minFrame, path.join(opts.keep, `${name}-${tag}-${p.minFrame}.png`));
    }
  }
  return row;
}

function printTable(rows) {
  console.log(`| project | mean dB | min dB (frame) | frames < ${MATCH_DB} dB | match | framesmith warnings |`);
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    if (r.error) console.log(`| ${r.name} | — | — | — | error | ${r.error.replace(/\s+/g, ' ').slice(0, 300)} |`);
    else
      console.log(
        `| ${r.name} | ${r.mean} | ${r.min} (${r.minFrame}) | ${Math.round(r.below * 100)} % of ${r.frames} | ${r.match ? 'yes' : 'no'} | ${[...new Set(r.warnings)].join(', ')} |`,
      );
  }
  const rendered = rows.filter((r) => !r.error);
  console.log(
    `\n${rendered.filter((r) => r.match).length} of ${rendered.length} match (${rows.length - rendered.length} not compared: a render failed)`,
  );
}

async function main() {
  const hf = hyperframes();
  if (hf.missing) throw new Error(hf.missing);
  if (!existsSync(path.join(ROOT, 'dist/index.js'))) throw new Error('dist/ missing: run `npm run build`');
  const all = (await readdir(opts.corpus, { withFileTypes: true }))
    .filter((e) => e.isDirectory() && existsSync(path.join(opts.corpus, e.name, 'index.html')))
    .map((e) => e.name)
    .sort();
  const unknown = positionals.filter((n) => !all.includes(n));
  if (unknown.length) throw new Error(`no project ${unknown.join(', ')} in ${opts.corpus}; there are: ${all.join(', ')}`);
  const work = await mkdtemp(path.join(os.tmpdir(), 'fs-parity-'));
  const rows = [];
  try {
    for (const name of positionals.length ? positionals : all) {
      const row = await compareProject(hf, name, work);
      console.error(
        `${name}: ${row.error ?? `${row.mean} dB mean, ${row.min} dB min, ${Math.round(row.below * 100)} % below → ${row.match ? 'match' : 'MISS'}`}`,
      );
      rows.push(row);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  printTable(rows);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
