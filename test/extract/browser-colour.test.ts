/**
 * Frames keep the colours a browser shows. Untagged and partly tagged streams carry no trustworthy
 * matrix, so the engine decodes them as Chromium does: each source here is played in the bundled
 * headless shell (a real `<video>`, drawn to a canvas) and its centre pixel is the reference the
 * extracted JPEG and PNG frames must match. The cases are the ones where the rule turns: the height
 * (BT.601 below 720 lines, BT.709 from 720), the sample aspect ratio, VP9, full range, and a matrix
 * tag without primaries and transfer. The page's own decoder (`videoDecode: 'page'`, WebCodecs with the
 * probe's colour space) must match the same reference.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { launchPlainShell } from '../helpers/bundled-shell.js';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProjectServer, type ProjectServer } from '../../src/browser/server.js';
import { extractVideos } from '../../src/extract/extract.js';
import { runFfmpeg } from '../../src/media/tools.js';
import { readDimensions, readRgba } from '../helpers/frame-media.js';
import type { MediaElement } from '../../src/composition/model.js';
import { pageScript } from '../../src/browser/page-scripts.js';
import { probeMedia } from '../../src/media/probe.js';
import { decodedVideo, mediaTargetAt } from '../../src/stages/page-decode.js';
import '../../src/browser/page-api.js';

/** A mid-saturation colour whose BT.601 and BT.709 decodes differ by ~8 levels in red. */
const YUV = { y: 100, u: 80, v: 180 };

interface Source {
  name: string;
  size: string;
  codec: 'libx264' | 'libvpx-vp9';
  args: string[];
  /** More filters after the flat frame (setsar). */
  filter?: string;
  /** What the engine must pick, for the record (the pixels are the test). */
  matrix: 'BT.601' | 'BT.709';
}

const SOURCES: Source[] = [
  { name: 'untagged-360p.mp4', size: '640x360', codec: 'libx264', args: [], matrix: 'BT.601' },
  { name: 'untagged-718.mp4', size: '1280x718', codec: 'libx264', args: [], matrix: 'BT.601' },
  { name: 'untagged-720p.mp4', size: '1280x720', codec: 'libx264', args: [], matrix: 'BT.709' },
  { name: 'untagged-1080p.mp4', size: '1920x1080', codec: 'libx264', args: [], matrix: 'BT.709' },
  { name: 'sar-1280x540.mp4', size: '1280x540', codec: 'libx264', args: [], filter: 'setsar=1/2', matrix: 'BT.709' },
  { name: 'matrix-only-360p.mp4', size: '640x360', codec: 'libx264', args: ['-colorspace', 'bt709'], matrix: 'BT.601' },
  { name: 'untagged-720p-vp9.webm', size: '1280x720', codec: 'libvpx-vp9', args: [], matrix: 'BT.601' },
];

let dir: string;
let server: ProjectServer;
let browser: Browser;

/** The centre pixel of `file` as the headless shell plays it. */
async function browserPixel(file: string): Promise<number[]> {
  const page = await browser.newPage();
  try {
    await page.goto(server.urlFor(path.join(dir, 'blank.html')));
    return await page.evaluate(async (src) => {
      const video = document.createElement('video');
      video.muted = true;
      video.src = src;
      await new Promise((resolve, reject) => {
        video.onloadeddata = resolve;
        video.onerror = () => reject(new Error(`cannot play ${src}`));
      });
      video.currentTime = 0.05;
      await new Promise((resolve) => {
        video.onseeked = resolve;
      });
      const canvas = document.createElement('canvas');
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
      // The seeked frame may reach the element a moment after `seeked` (measured: a black draw once in
      // a CI run): draw again until it is there. None of the sources is black.
      for (let tries = 0; ; tries++) {
        ctx.drawImage(video, 0, 0);
        const rgb = Array.from(ctx.getImageData(canvas.width >> 1, canvas.height >> 1, 1, 1).data).slice(0, 3);
        if (rgb.some((v) => v > 0) || tries >= 40) return rgb;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }, server.urlFor(file));
  } finally {
    await page.close();
  }
}

/** The centre pixel of `file`'s first frame as the page's own decoder draws it at 160x90 (src/stages/page-decode.ts). */
async function pageDecodedPixel(file: string): Promise<number[]> {
  const info = await probeMedia(file);
  const element = { index: 0, label: 'video', src: file, mediaStart: 0, playbackRate: 1, loop: false } as MediaElement;
  const video = decodedVideo(
    { element, id: 'video', info, start: 0, end: 0.05 },
    { width: 160, height: 90, fit: 'fill' },
    { num: 30, den: 1 },
  )!;
  const page = await browser.newPage();
  try {
    await page.goto(server.urlFor(path.join(dir, 'decode.html')));
    await page.evaluate(pageScript('video-decode', {}));
    const spec = {
      index: 0,
      url: server.urlFor(file),
      colorSpace: video.colorSpace,
      width: video.width,
      height: video.height,
      lookahead: 2,
    };
    expect(await page.evaluate((s) => window.__framesmithDecode!.open([s]), spec)).toEqual([null]);
    return await page.evaluate(
      async (target) => {
        await window.__framesmithDecode!.show([{ index: 0, target }]);
        const canvas = document.querySelector('canvas[data-framesmith-decoded="0"]') as HTMLCanvasElement;
        const ctx = canvas.getContext('2d')!;
        return Array.from(ctx.getImageData(canvas.width >> 1, canvas.height >> 1, 1, 1).data).slice(0, 3);
      },
      mediaTargetAt(video, 0),
    );
  } finally {
    await page.close();
  }
}

async function centre(image: string): Promise<number[]> {
  const { width, height } = await readDimensions(image);
  const rgba = await readRgba(image, width, height);
  const at = ((height >> 1) * width + (width >> 1)) * 4;
  return [rgba[at]!, rgba[at + 1]!, rgba[at + 2]!];
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fs-browser-colour-'));
  const { writeFile } = await import('node:fs/promises');
  await writeFile(path.join(dir, 'blank.html'), '<!doctype html><title>colour</title>');
  await writeFile(
    path.join(dir, 'decode.html'),
    '<!doctype html><div data-composition-id="c"><video preload="none" style="position:absolute"></video></div>',
  );
  // A flat frame of exactly these Y'CbCr values, written with no colour tags unless the case adds some.
  await Promise.all(
    SOURCES.map((s) =>
      runFfmpeg([
        '-y',
        '-v',
        'error',
        '-f',
        'lavfi',
        '-i',
        `color=c=black:s=${s.size}:r=30:d=0.2`,
        '-vf',
        `format=yuv420p,geq=lum=${YUV.y}:cb=${YUV.u}:cr=${YUV.v}${s.filter ? `,${s.filter}` : ''}`,
        '-c:v',
        s.codec,
        '-pix_fmt',
        'yuv420p',
        ...s.args,
        path.join(dir, s.name),
      ]),
    ),
  );
  server = await startProjectServer(dir);
  browser = await launchPlainShell();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('frames of untagged and partly tagged sources have the colours a browser shows', () => {
  for (const s of SOURCES) {
    it(`${s.name} (${s.matrix})`, async () => {
      const reference = await browserPixel(path.join(dir, s.name));
      // Both formats side by side, each into its own directory.
      await Promise.all(
        (['jpg', 'png'] as const).map(async (format) => {
          const result = await extractVideos([{ id: s.name, src: path.join(dir, s.name), duration: 0.05, width: 160, height: 90 }], {
            fps: 30,
            format,
            outDir: path.join(dir, 'out', format),
            cache: false,
          });
          expect(result.errors).toEqual([]);
          const got = await centre(result.extracted[0]!.frames[0]!);
          for (let c = 0; c < 3; c++)
            expect(Math.abs(got[c]! - reference[c]!), `${format} channel ${c}: ${got} vs the browser's ${reference}`).toBeLessThanOrEqual(
              4,
            );
        }),
      );
      const decoded = await pageDecodedPixel(path.join(dir, s.name));
      for (let c = 0; c < 3; c++)
        expect(
          Math.abs(decoded[c]! - reference[c]!),
          `page decode channel ${c}: ${decoded} vs the browser's ${reference}`,
        ).toBeLessThanOrEqual(4);
    });
  }
});
