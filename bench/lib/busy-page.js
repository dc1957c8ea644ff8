/**
 * A busy 1080p page for the capture bench: a full-frame noisy picture (lavfi mandelbrot + temporal
 * noise, JPEG) at 55 % opacity over a gradient, 28 lines of shadowed text and 24 rotated gradient cards
 * with shadows. `setFrame(page, i)` moves everything to state i (every state differs from every other).
 */
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { BENCH_DIR } from './media.js';
import { run } from './measure.js';

const PICTURE = path.join(BENCH_DIR, 'media', 'busy-1080p.jpg');

async function picture() {
  if (existsSync(PICTURE)) return PICTURE;
  mkdirSync(path.dirname(PICTURE), { recursive: true });
  const temp = `${PICTURE}.partial-${process.pid}.jpg`;
  const r = await run('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'mandelbrot=s=1920x1080:end_pts=1,noise=alls=12:allf=t',
    '-frames:v',
    '1',
    '-q:v',
    '3',
    temp,
  ]);
  if (r.code !== 0) throw new Error(`ffmpeg could not make the busy picture: ${r.stderr}`);
  renameSync(temp, PICTURE);
  return PICTURE;
}

/** The page's HTML (the picture inlined as a data URL). */
export async function busyPageHtml() {
  const photo = readFileSync(await picture()).toString('base64');
  const lines = Array.from(
    { length: 28 },
    (_, i) => `<p>Line ${i}: The quick brown fox jumps over the lazy dog — 0123456789 ÄÖÜ «quotes» ${'lorem ipsum '.repeat(3)}</p>`,
  ).join('');
  const cards = Array.from(
    { length: 24 },
    (_, i) =>
      `<div class="b" id="b${i}" style="left:${(i % 8) * 230 + 20}px;top:${Math.floor(i / 8) * 300 + 60}px;background:linear-gradient(${i * 15}deg,hsl(${i * 15},80%,50%),hsl(${i * 15 + 120},70%,40%))">${i}</div>`,
  ).join('');
  return `<!doctype html><html><head><style>
html,body{margin:0;width:1920px;height:1080px;overflow:hidden;background:linear-gradient(135deg,#123,#a53 60%,#fd6)}
#img{position:absolute;left:0;top:0;width:1920px;height:1080px;opacity:.55}
#txt{position:absolute;left:40px;top:20px;font:22px/34px sans-serif;color:#fff;text-shadow:0 2px 3px #000}
.b{position:absolute;width:200px;height:240px;border-radius:24px;box-shadow:0 10px 30px rgba(0,0,0,.6);font:bold 80px sans-serif;color:#fff;display:flex;align-items:center;justify-content:center}
</style></head><body><img id="img" src="data:image/jpeg;base64,${photo}"><div id="txt">${lines}</div>${cards}</body></html>`;
}

/** Moves the page's cards, picture and text to state `i`. */
export function setFrame(page, i) {
  return page.evaluate((i) => {
    for (let k = 0; k < 24; k++)
      document.getElementById(`b${k}`).style.transform =
        `translate(${Math.sin(i / 7 + k) * 40}px,${Math.cos(i / 5 + k) * 30}px) rotate(${i * 2 + k}deg)`;
    document.getElementById('img').style.transform = `translate(${-i * 3}px,${-i}px) scale(1.1)`;
    document.getElementById('txt').style.transform = `translateX(${i * 2}px)`;
    document.querySelector('#txt p').textContent = `Frame ${i} changes this line`;
  }, i);
}
