/**
 * Families framesmith does not bundle come from Google Fonts, as HyperFrames gets them: a real HTTP
 * server on loopback imitates the css2 API (FRAMESMITH_GOOGLE_FONTS_URL points at it; loopback is
 * allowed with `allowPrivateHosts`), answering a stylesheet whose `@font-face` rules point at WOFF2
 * files it serves — League Gothic's latin file, under a family name framesmith does not bundle. The
 * composition names the family only through a CSS variable, with no link. The line is measured by the
 * page (a bar as wide as the text), and the bar compared with the face's width in a plain page.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render, RenderError } from '../../src/render.js';
import { bundledShell } from '../helpers/bundled-shell.js';
import { decodeFrames, makeProject, pixel, type DecodedVideo } from '../helpers/render-pixels.js';

const NODE_MODULES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../node_modules');
const FACE = readFileSync(path.join(NODE_MODULES, '@fontsource/league-gothic/files/league-gothic-latin-400-normal.woff2'));
const FAMILY = 'Framesmith Test Gothic';
const TEXT = 'Hamburgefonstiv 0123';
const requests: Array<{ url: string; agent: string }> = [];
let server: http.Server | null;
let base: string;
let project: string;
let cacheDir: string;
let reference: number;
const savedEnv = process.env.FRAMESMITH_GOOGLE_FONTS_URL;

/** The css2 API: FAMILY's latin and cyrillic subsets, HTTP 400 for any other family (as Google answers). */
function css2(query: URLSearchParams): string | null {
  const family = query.get('family')?.split(':')[0];
  if (family !== FAMILY) return null;
  const face = (subset: string, range: string) =>
    `/* ${subset} */\n@font-face {\n  font-family: '${FAMILY}';\n  font-style: normal;\n  font-weight: 400;\n  font-display: swap;\n  src: url(${base}/s/gothic/v1/${subset}.woff2) format('woff2');\n  unicode-range: ${range};\n}`;
  return [face('cyrillic', 'U+0301, U+0400-045F, U+0490-0491'), face('latin', 'U+0000-00FF, U+0131, U+2000-206F')].join('\n');
}

const COMPOSITION = `<!doctype html><html><head><style>
:root{--display:"${FAMILY}", sans-serif}
html,body{margin:0} #root{background:#000}
#t{position:absolute;left:0;top:100px;font-family:var(--display);font-size:40px;white-space:nowrap;color:transparent}
#bar{position:absolute;left:0;top:0;height:10px;background:#fff}</style></head><body>
<div id="root" data-composition-id="main" data-width="480" data-height="180" data-duration="0.2">
  <span id="t">${TEXT}</span><div id="bar"></div><i style="font-family:'Nobody Sans', sans-serif">x</i>
</div>
<script>document.fonts.ready.then(() => { document.getElementById('bar').style.width = document.getElementById('t').getBoundingClientRect().width + 'px'; });</script>
</body></html>`;

function barWidth(video: DecodedVideo): number {
  let x = 0;
  while (x < video.width && pixel(video, 0, x, 4)[0]! > 128) x++;
  return x;
}

async function renderBar(cache: string, options: { strict?: boolean } = {}) {
  const output = path.join(project, `out-${Math.random().toString(36).slice(2)}.mp4`);
  const result = await render(project, { output, cache, allowPrivateHosts: true, workers: 1, quality: 'high', ...options });
  return { result, width: barWidth(await decodeFrames(output, { width: 480, height: 180 })) };
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', base);
    requests.push({ url: req.url ?? '', agent: req.headers['user-agent'] ?? '' });
    if (url.pathname === '/css2') {
      const css = css2(url.searchParams);
      // Validators, as Google sends them: the render must use its stored copy without revalidating.
      res.writeHead(css ? 200 : 400, { 'content-type': 'text/css; charset=utf-8', 'last-modified': 'Mon, 07 Dec 2026 00:00:00 GMT' });
      return res.end(css ?? 'Bad Request');
    }
    if (url.pathname.startsWith('/s/gothic/v1/')) {
      res.writeHead(200, { 'content-type': 'font/woff2', etag: '"gothic-v1"' });
      return res.end(FACE);
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
  process.env.FRAMESMITH_GOOGLE_FONTS_URL = `${base}/css2`;
  project = await makeProject({ 'index.html': COMPOSITION }, 'fs-fonts-google-');
  cacheDir = await mkdtemp(path.join(os.tmpdir(), 'fs-fonts-google-cache-'));
  const browser = await puppeteer.launch({
    executablePath: await bundledShell(),
    headless: 'shell',
    args: ['--no-sandbox', '--disable-gpu', '--font-render-hinting=none'],
  });
  try {
    const page = await browser.newPage();
    await page.setContent(
      `<style>@font-face{font-family:Ref;src:url(data:font/woff2;base64,${FACE.toString('base64')})} span{font:40px Ref;white-space:nowrap}</style><span id="r">${TEXT}</span>`,
    );
    await page.evaluate(() => Promise.all(Array.from(document.fonts, (f) => f.load())));
    reference = await page.evaluate(() => Math.round(document.getElementById('r')!.getBoundingClientRect().width));
  } finally {
    await browser.close();
  }
}, 60_000);

afterAll(async () => {
  if (savedEnv === undefined) delete process.env.FRAMESMITH_GOOGLE_FONTS_URL;
  else process.env.FRAMESMITH_GOOGLE_FONTS_URL = savedEnv;
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  await rm(project, { recursive: true, force: true });
  await rm(cacheDir, { recursive: true, force: true });
});

describe('a family framesmith does not bundle, from Google Fonts', () => {
  it('is fetched as HyperFrames fetches it, and drawn in its face from frame 0', async () => {
    const { result, width } = await renderBar(cacheDir);
    expect(Math.abs(width - reference), `bar ${width} px, face ${reference} px`).toBeLessThanOrEqual(1);
    // A family Google Fonts does not have: a warning with the fix that helps (not the network).
    expect(result.warnings).toEqual([
      expect.objectContaining({
        code: 'font_fallback',
        message: expect.stringMatching(
          /"Nobody Sans" .* drawn in Arimo \(Liberation Sans\) instead \(Google Fonts: no such family \(.*HTTP 400.*\)\); add its files with @font-face/,
        ),
      }),
    ]);
    expect(result.fonts).toContainEqual({ family: FAMILY, face: FAMILY, source: 'google' });
    // The two families are asked at once: find this family's request, whichever went first.
    const css = requests.find((r) => r.url.startsWith('/css2') && decodeURIComponent(r.url).includes(FAMILY))!;
    expect(decodeURIComponent(css.url)).toBe(
      `/css2?family=${FAMILY}:ital,wght@0,100;0,200;0,300;0,400;0,500;0,600;0,700;0,800;0,900;1,400;1,700`,
    );
    expect(css.agent).toMatch(/Chrome\/\d+/);
    // Only the subsets the text needs: the latin file, not the cyrillic one.
    expect(requests.map((r) => r.url)).toContain('/s/gothic/v1/latin.woff2');
    expect(requests.map((r) => r.url)).not.toContain('/s/gothic/v1/cyrillic.woff2');
  }, 60_000);

  it('a Google Fonts link of the family is asked with its own URL, and the link taken out of the page', async () => {
    const link = `<link rel="stylesheet" href="https://fonts.googleapis.com/css2?family=${FAMILY.replace(/ /g, '+')}:wght@400&display=swap">`;
    const dir = await makeProject({ 'index.html': COMPOSITION.replace('<style>', `${link}<style>`) }, 'fs-fonts-google-link-');
    try {
      const before = requests.length;
      const output = path.join(dir, 'out.mp4');
      const result = await render(dir, { output, cache: cacheDir, allowPrivateHosts: true, workers: 1, quality: 'high' });
      expect(Math.abs(barWidth(await decodeFrames(output, { width: 480, height: 180 })) - reference)).toBeLessThanOrEqual(1);
      expect(result.fonts).toContainEqual({ family: FAMILY, face: FAMILY, source: 'google' });
      // No warning but Nobody Sans': the page did not ask for the link itself (it would be refused).
      expect(result.warnings.map((w) => w.font?.family)).toEqual(['Nobody Sans']);
      // The link's own query, sent to the configured endpoint; the font file, stored by the first render, is not asked again.
      expect(
        requests
          .slice(before)
          .map((r) => decodeURIComponent(r.url))
          .filter((u) => !u.includes('Nobody Sans')),
      ).toEqual([`/css2?family=${FAMILY.replace(/ /g, '+')}:wght@400&display=swap`]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('renders again from the cache with the server gone', async () => {
    await new Promise((resolve) => server!.close(resolve));
    server = null;
    const before = requests.length;
    const { result, width } = await renderBar(cacheDir);
    expect(Math.abs(width - reference)).toBeLessThanOrEqual(1);
    expect(result.warnings.map((w) => w.font?.family)).toEqual(['Nobody Sans']);
    expect(result.fonts).toContainEqual({ family: FAMILY, face: FAMILY, source: 'google' });
    expect(requests.length).toBe(before);
  }, 60_000);

  it('offline with nothing cached: a warning naming the family and the face drawn; strict fails, writing nothing', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'fs-fonts-google-empty-'));
    try {
      const { result, width } = await renderBar(empty);
      expect(width).not.toBe(reference);
      expect(result.warnings.filter((w) => w.font?.family === FAMILY)).toEqual([
        expect.objectContaining({
          code: 'font_fallback',
          font: { family: FAMILY, face: 'Arimo (Liberation Sans)', source: 'fallback' },
          message: expect.stringMatching(
            new RegExp(
              `font family "${FAMILY}" is not bundled and no @font-face declares it: drawn in Arimo \\(Liberation Sans\\) instead \\(Google Fonts: not downloaded: .*127\\.0\\.0\\.1.*\\); render once with the network`,
            ),
          ),
        }),
      ]);
      expect(result.fonts).toContainEqual({ family: FAMILY, face: 'Arimo (Liberation Sans)', source: 'fallback' });
      expect(result.fonts).toContainEqual({ family: 'sans-serif', face: 'Arimo (Liberation Sans)', source: 'bundled' });
      const output = path.join(project, 'strict.mp4');
      const error = await render(project, { output, cache: empty, allowPrivateHosts: true, workers: 1, strict: true }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(RenderError);
      expect(error).toMatchObject({ code: 'strict', message: expect.stringContaining(`"${FAMILY}"`) });
      expect(existsSync(output)).toBe(false);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  }, 90_000);
});
