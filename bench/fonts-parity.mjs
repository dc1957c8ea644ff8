/**
 * Font resolution, decision by decision, against HyperFrames (issue 18): one tiny composition per case
 * (one line of text, 0.2 s), rendered by framesmith (dist/) and by HyperFrames 0.8.170 (installed by
 * bench/setup-hyperframes.sh), compared by PSNR frame by frame (30 dB = the same frames).
 *
 *   node bench/fonts-parity.mjs [case…]        (npm run build first)
 *
 * HyperFrames fetches Google Fonts at render time; on a machine without internet it draws what it gets
 * offline (its bundled faces, the machine's fonts), so cases whose face only Google serves say so in
 * `online`. Not part of `npm test`.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { psnr } from './lib/compare.js';
import { framesmith } from './lib/framesmith.js';
import { hfRender, hyperframes } from './lib/hyperframes.js';

const TEXT = 'Hamburgefonstiv 0123 — Quick brown fox';

/** name → { style (of the text's element), head (extra markup), online (what HyperFrames draws online when offline differs) } */
const CASES = {
  'sans-serif': { style: 'font-family: sans-serif' },
  serif: { style: 'font-family: serif' },
  monospace: { style: 'font-family: monospace' },
  'system-ui stack': { style: 'font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif' },
  Arial: { style: 'font-family: Arial, sans-serif' },
  Georgia: { style: 'font-family: Georgia, serif' },
  'Courier New': { style: 'font-family: "Courier New", monospace' },
  'Montserrat 700': { style: 'font-family: Montserrat; font-weight: 700' },
  'Inter 900': { style: 'font-family: Inter; font-weight: 900' },
  'Roboto 500 (not bundled by HF)': { style: 'font-family: Roboto; font-weight: 500', online: 'Roboto 500 from Google' },
  'var() to Inter': { style: 'font-family: var(--brand)', head: ':root{--brand: "Inter", sans-serif}' },
  'Tailwind v4 default stack': {
    style: 'font-family: var(--default-font-family, ui-sans-serif, system-ui, sans-serif)',
    head: ':root{--font-sans: ui-sans-serif, system-ui, sans-serif, "Apple Color Emoji", "Segoe UI Emoji", "Segoe UI Symbol", "Noto Color Emoji"; --default-font-family: var(--font-sans)}',
  },
  'font shorthand': { style: 'font: 700 28px Inter, sans-serif' },
  Impact: { style: 'font-family: Impact, sans-serif', online: "the machine's sans-serif, as offline (Debian: Liberation Sans)" },
  'Bebas Neue': { style: 'font-family: "Bebas Neue", sans-serif', online: 'League Gothic (its alias), by its code' },
  'Space Grotesk (Google)': { style: 'font-family: "Space Grotesk", sans-serif', online: 'Space Grotesk from Google' },
  'unknown family, sans-serif': {
    style: 'font-family: "Nope Sans", sans-serif',
    online: "the machine's sans-serif, as offline (Debian: Liberation Sans)",
  },
  'no font-family': { style: '' },
  // Families framesmith fetches from Google Fonts itself (src/fonts/google.ts): offline, both draw the fallback.
  'Pacifico @import (Google, not bundled)': {
    style: 'font-family: Pacifico, sans-serif',
    head: '@import url("https://fonts.googleapis.com/css2?family=Pacifico&display=swap");',
    online: 'Pacifico from Google (framesmith: the same, through its remote cache)',
  },
  'Rubik Mono One, no link (Google)': {
    style: 'font-family: "Rubik Mono One", Montserrat',
    online: 'Rubik Mono One from Google (framesmith: the same, through its remote cache)',
  },
};

function page({ style, head = '' }) {
  return `<!doctype html><html><head><meta charset="utf-8"><style>${head}
html,body{margin:0;background:#fff} #root{position:relative;width:640px;height:120px;background:#fff}
#t{position:absolute;left:10px;top:30px;font-size:28px;color:#000;white-space:nowrap;${style}}</style></head><body>
<div id="root" data-composition-id="main" data-start="0" data-width="640" data-height="120" data-duration="0.2"><div id="t">${TEXT}</div></div>
</body></html>`;
}

async function main() {
  const hf = hyperframes();
  if (hf.missing) throw new Error(hf.missing);
  const fs = await framesmith();
  if (fs.missing) throw new Error(fs.missing);
  const only = process.argv.slice(2);
  const work = await mkdtemp(path.join(os.tmpdir(), 'fs-fonts-parity-'));
  const rows = [];
  try {
    // The cases named, in the order named; else all of them.
    for (const name of only.length ? only : Object.keys(CASES)) {
      const spec = CASES[name];
      if (!spec) throw new Error(`no case "${name}"; the cases: ${Object.keys(CASES).join(', ')}`);
      const dir = path.join(work, name.replace(/[^a-z0-9]+/gi, '-'));
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, 'index.html'), page(spec));
      const ours = path.join(work, `${path.basename(dir)}-fs.mp4`);
      const theirs = path.join(work, `${path.basename(dir)}-hf.mp4`);
      const result = await fs.render(dir, { output: ours, quality: 'high', fps: 30, workers: 1 });
      await hfRender(hf, dir, { output: theirs, fps: 30, workers: 1, quality: 'high' });
      const p = await psnr(theirs, ours);
      rows.push({
        name,
        psnr: p.error ? `error: ${p.error}` : p.average,
        warnings: result.warnings.map((w) => w.message).join(' | '),
        online: spec.online ?? '',
      });
      console.error(`${name}: ${p.error ?? `${p.average} dB`}`);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  console.log('| case | PSNR vs HyperFrames offline (dB) | HyperFrames online draws |');
  console.log('| --- | --- | --- |');
  for (const r of rows) console.log(`| ${r.name} | ${r.psnr} | ${r.online || 'the same as offline'} |`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
