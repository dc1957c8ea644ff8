/**
 * How fast a decoded video frame gets into a capture page, per way of sending it (issue 5 measurement;
 * `node bench/video-transfer.js` after `npm run build`). For PiP (480x270) and 1080p JPEG frames, the
 * variants run interleaved frame by frame in one beginframe page, as the video-frames stage drives it
 * (`pumpWhile(…, 20)`):
 *
 * - http-*: the frame file served by the loopback project server (`server.mount`), URL given to the page;
 * - data-*: the file read in Node and sent as a data: URL inside the `page.evaluate` call;
 * - blob-*: sent as base64 in the `page.evaluate` call, turned into a Blob and a short blob: URL in the
 *   page (the previous one revoked), so the stylesheet never parses a long data: URL;
 * - *-decode: the page waits for `new Image()` + `img.decode()`; *-onload: for the image's load event.
 *
 * Then the frame becomes the element's background and the page is captured. Prints median ms per frame
 * for the push (send + load) and for the capture that follows.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { launchBrowser } from '../dist/browser/launch.js';
import { startProjectServer } from '../dist/browser/server.js';
import { openCapturePage } from '../dist/capture/page.js';
import { runFfmpeg } from '../dist/media/tools.js';

const FRAMES = Number(process.env.FRAMES ?? 60);
const SIZES = ['480x270', '1920x1080'];
const VARIANTS = ['http-decode', 'http-onload', 'data-decode', 'data-onload', 'blob-onload'];
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const dir = await mkdtemp(path.join(os.tmpdir(), 'framesmith-transfer-'));
const launched = await launchBrowser({});
const server = await startProjectServer(dir);
try {
  for (const size of SIZES) {
    await runFfmpeg([
      '-y',
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=s=${size}:r=30`,
      '-frames:v',
      String(FRAMES),
      '-q:v',
      '3',
      '-start_number',
      '0',
      path.join(dir, `${size}-%06d.jpg`),
    ]);
  }
  const page = await openCapturePage(launched.browser, launched.captureMode, { width: 1920, height: 1080, transparent: false });
  await page.pumpWhile(page.page.goto(`${server.origin}/`).catch(() => {}));
  await page.pumpWhile(
    page.page.setContent(
      '<body style="margin:0"><video id="v" style="display:block;width:1920px;height:1080px;background-size:100% 100%;background-repeat:no-repeat"></video></body>',
    ),
  );
  await page.page.evaluate(() => {
    window.__show = async (url, how, base64) => {
      if (base64 !== undefined) {
        const bin = atob(base64);
        const bytes = new Uint8Array(bin.length);
        for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
        if (window.__blob) URL.revokeObjectURL(window.__blob);
        url = window.__blob = URL.createObjectURL(new Blob([bytes], { type: 'image/jpeg' }));
      }
      const img = new Image();
      img.src = url;
      if (how === 'decode') await img.decode();
      else
        await new Promise((resolve, reject) => {
          img.onload = resolve;
          img.onerror = reject;
        });
      window.__current = img;
      document.getElementById('v').style.backgroundImage = `url("${url}")`;
    };
  });
  console.log(
    `capture mode ${launched.captureMode}, ${FRAMES} frames per size and variant, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  let n = 0;
  for (const size of SIZES) {
    const push = Object.fromEntries(VARIANTS.map((v) => [v, []]));
    const capture = Object.fromEntries(VARIANTS.map((v) => [v, []]));
    for (let i = 0; i < FRAMES; i++) {
      const name = `${size}-${String(i).padStart(6, '0')}.jpg`;
      for (const variant of VARIANTS) {
        const [mode, how] = variant.split('-');
        let t = performance.now();
        // A fresh URL each time, so no variant is served from the page's memory cache.
        const bytes = mode === 'http' ? null : (await readFile(path.join(dir, name))).toString('base64');
        const url =
          mode === 'http' ? `${server.origin}/${name}?n=${n++}` : mode === 'data' ? `data:image/jpeg;base64,${bytes}#${n++}` : null;
        await page.pumpWhile(
          page.page.evaluate((u, h, b) => window.__show(u, h, b ?? undefined), url, how, mode === 'blob' ? bytes : null),
          20,
        );
        push[variant].push(performance.now() - t);
        t = performance.now();
        await page.capture();
        capture[variant].push(performance.now() - t);
      }
    }
    for (const variant of VARIANTS)
      console.log(
        `${size.padEnd(9)} ${variant.padEnd(11)} push ${median(push[variant]).toFixed(1)} ms  capture ${median(capture[variant]).toFixed(1)} ms`,
      );
  }
  await page.close();
} finally {
  await launched.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
}
