/**
 * The page's decoder (src/browser/runtime/video-decode.ts, WebCodecs) shows the exact source frame the
 * extraction engine does, on the same cases (test/helpers/exact-cases.ts): each clip is opened in the
 * bundled headless shell and stepped slot by slot with the media times the page-decode stage sends
 * (`mediaTargetAt`), and the frame drawn into its canvas is read back from its pixels. And the frames a
 * page holds open stay bounded however long the clip.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pageScript } from '../../src/browser/page-scripts.js';
import { startProjectServer, type ProjectServer } from '../../src/browser/server.js';
import type { MediaElement } from '../../src/composition/model.js';
import { probeMedia } from '../../src/media/probe.js';
import { parseRational } from '../../src/media/rational.js';
import { DECODE_LOOKAHEAD, decodedVideo, mediaTargetAt, type DecodedVideo } from '../../src/stages/page-decode.js';
import '../../src/browser/page-api.js';
import { launchPlainShell } from '../helpers/bundled-shell.js';
import { cases, sources, type Case } from '../helpers/exact-cases.js';
import { decodeIndexFromGray, expectedSourceFrame, makeIndexedVideo, type IndexedVideo } from '../helpers/frame-media.js';

let dir: string;
let server: ProjectServer;
let browser: Browser;
const media: Record<string, IndexedVideo> = {};

/** The page-decoded form of a clip of `c` at its source's own size, on screen from composition time 0. */
async function decodedCase(c: Pick<Case, 'src' | 'mediaStart' | 'duration' | 'rate' | 'fps'>, index: number): Promise<DecodedVideo> {
  const info = await probeMedia(media[c.src]!.path);
  const element = {
    index,
    label: `video#${c.src}`,
    src: info.file,
    mediaStart: c.mediaStart,
    playbackRate: c.rate,
    loop: false,
  } as MediaElement;
  const video = decodedVideo(
    { element, id: element.label, info, start: 0, end: c.duration },
    { width: 0, height: 0, fit: 'fill' },
    parseRational(c.fps)!,
  );
  if (!video) throw new Error(`${c.src}: trim past the end`);
  return video;
}

/** A page holding one absolutely positioned `<video>` per clip, with the decode script opened on `videos`. */
async function openPage(videos: readonly DecodedVideo[]): Promise<Page> {
  const html = `<!doctype html><body style="margin:0"><div data-composition-id="t">${videos
    .map(() => '<video preload="none" style="position:absolute;left:0;top:0;width:160px;height:96px"></video>')
    .join('')}</div></body>`;
  const file = path.join(dir, `page-${videos[0]!.index}.html`);
  server.serveText(file, html);
  const page = await browser.newPage();
  await page.goto(server.urlFor(file));
  await page.evaluate(pageScript('video-decode', {}));
  const errors = await page.evaluate(
    (specs) => window.__framesmithDecode!.open(specs),
    videos.map((v) => ({
      index: v.index,
      url: server.urlFor(v.file),
      colorSpace: v.colorSpace,
      width: v.width,
      height: v.height,
      lookahead: DECODE_LOOKAHEAD,
    })),
  );
  expect(errors).toEqual(videos.map(() => null));
  return page;
}

/**
 * Shows each of `targets` in turn in video `index`'s canvas (one call into the page for all of them)
 * and reads the canvas back after each as 64x64 grey, the barcode reader's input.
 */
async function showAndRead(page: Page, index: number, targets: ReadonlyArray<number | null>): Promise<Uint8Array[]> {
  const images = await page.evaluate(
    async (i, list) => {
      const canvas = document.querySelector(`canvas[data-framesmith-decoded="${i}"]`) as HTMLCanvasElement;
      const small = document.createElement('canvas');
      small.width = 64;
      small.height = 64;
      const ctx = small.getContext('2d', { willReadFrequently: true })!;
      ctx.imageSmoothingQuality = 'high';
      const out: string[] = [];
      for (const t of list) {
        const shown = await window.__framesmithDecode!.show([{ index: i, target: t }]);
        if (shown.failures.length > 0) throw new Error(shown.failures[0]!.message);
        ctx.drawImage(canvas, 0, 0, 64, 64);
        const rgba = ctx.getImageData(0, 0, 64, 64).data;
        let gray = '';
        for (let p = 0; p < rgba.length; p += 4)
          gray += String.fromCharCode(Math.round(0.299 * rgba[p]! + 0.587 * rgba[p + 1]! + 0.114 * rgba[p + 2]!));
        out.push(btoa(gray));
      }
      return out;
    },
    index,
    targets,
  );
  return images.map((b64) => new Uint8Array(Buffer.from(b64, 'base64')));
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fs-page-exact-'));
  await Promise.all(
    Object.entries(sources).map(async ([name, opts]) => {
      media[name] = await makeIndexedVideo(path.join(dir, `${name}.${opts.codec === 'h264' ? 'mp4' : 'webm'}`), opts);
    }),
  );
  server = await startProjectServer(dir);
  browser = await launchPlainShell();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('exact frames decoded in the page', () => {
  // One page for every case: each clip its own element and decoder, stepped one after the other.
  let page: Page;
  let videos: DecodedVideo[];
  beforeAll(async () => {
    videos = await Promise.all(cases.map((c, i) => decodedCase(c, i)));
    page = await openPage(videos);
  });

  it.each(cases.map((c, i) => ({ ...c, i })))('$name', async (c) => {
    const v = media[c.src]!;
    const fps = parseRational(c.fps)!;
    const slots = Math.ceil((c.duration * fps.num) / fps.den - 1e-6);
    const targets = Array.from({ length: slots }, (_, k) => mediaTargetAt(videos[c.i]!, (k * fps.den) / fps.num));
    const seen = (await showAndRead(page, c.i, targets)).map((gray, k) => decodeIndexFromGray(gray, `${c.name} slot ${k}`));
    const expected = Array.from({ length: slots }, (_, k) => expectedSourceFrame(v.pts, c.mediaStart + (k * c.rate * fps.den) / fps.num));
    expect(seen).toEqual(expected);
  });
});

describe('the page holds a bounded number of frames', () => {
  it('a 10 s clip keeps at most the lookahead and the frame being drawn open, and decodes each frame once', async () => {
    const video = await decodedCase({ src: 'sparse', mediaStart: 0, duration: 10, rate: 1, fps: 30 }, 0);
    const page = await openPage([video]);
    try {
      await showAndRead(
        page,
        0,
        Array.from({ length: 300 }, (_, k) => mediaTargetAt(video, k / 30)),
      );
      const stats = await page.evaluate(() => window.__framesmithDecode!.stats());
      expect(stats.maxOpen).toBeLessThanOrEqual(DECODE_LOOKAHEAD + 2);
      expect(stats.decoded).toBe(300);
      expect(stats.open).toBeLessThanOrEqual(DECODE_LOOKAHEAD);
    } finally {
      await page.close();
    }
  });
});
