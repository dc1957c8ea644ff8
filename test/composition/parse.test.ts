import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseComposition } from '../../src/load/index.js';
import { CompositionError } from '../../src/composition/errors.js';

let dir: string;
let n = 0;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fs-parse-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes `body` into a fresh project's index.html and returns the project directory. */
async function project(body: string, extra: Record<string, string> = {}): Promise<string> {
  const p = path.join(dir, `p${n++}`);
  await mkdir(p, { recursive: true });
  await writeFile(path.join(p, 'index.html'), `<!doctype html><html><head><style>.x{}</style></head><body>${body}</body></html>`);
  for (const [name, text] of Object.entries(extra)) {
    await mkdir(path.dirname(path.join(p, name)), { recursive: true });
    await writeFile(path.join(p, name), text);
  }
  return p;
}

async function failure(promise: Promise<unknown>): Promise<CompositionError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CompositionError);
  return error as CompositionError;
}

describe('parseComposition', () => {
  it('reads the root, sizes, fps and timed elements in document order', async () => {
    const p = await project(`
      <div id="root" data-composition-id="main" data-width="640" data-height="360" data-duration="4" data-fps="25">
        <div id="a" class="clip" data-start="0" data-duration="1.5" data-track-index="1"></div>
        <section><p data-start="2" data-duration="1">nested</p></section>
        <div class="card" data-start="1">open-ended: shown from 1 s on (every data-start element is windowed, as in HyperFrames)</div>
      </div>`);
    const c = await parseComposition(p);
    expect(c).toMatchObject({ id: 'main', width: 640, height: 360, duration: 4, fps: { num: 25, den: 1 }, frameCount: 100 });
    expect(c.entryFile).toBe(path.join(p, 'index.html'));
    expect(c.rootDir).toBe(p);
    expect(c.timed.map((t) => [t.index, t.label, t.start, t.duration, t.isClip])).toEqual([
      [0, 'div#a', 0, 1.5, true],
      [1, 'p:nth-of-type(1)', 2, 1, true],
      [2, 'div.card:nth-of-type(2)', 1, undefined, true],
    ]);
    expect(c.timed[0]!.trackIndex).toBe(1);
  });

  it('accepts an .html file as input and leaves the size to the browser when not declared', async () => {
    const p = await project('<main data-composition-id="m" data-duration="1"></main>');
    const c = await parseComposition(path.join(p, 'index.html'));
    expect(c.width).toBeUndefined();
    expect(c.height).toBeUndefined();
    expect(c.frameCount).toBe(30);
  });

  it('resolves references with + and - offsets, and data-end', async () => {
    const p = await project(`
      <div data-composition-id="m">
        <div id="outro" data-start="intro + 0.5" data-duration="1"></div>
        <div id="intro" data-start="1" data-duration="2"></div>
        <div id="overlap" data-start="intro - 0.5" data-end="outro"></div>
        <div id="late" data-start="3.25" data-end="outro + 1"></div>
      </div>`);
    const c = await parseComposition(p);
    const byId = Object.fromEntries(c.timed.map((t) => [t.id, [t.start, t.duration]]));
    expect(byId).toEqual({ outro: [3.5, 1], intro: [1, 2], overlap: [2.5, 2], late: [3.25, 2.25] });
    // Duration from children: the latest end, 5.5 s (late ends at 4.5 + 1).
    expect(c.duration).toBe(5.5);
    expect(c.frameCount).toBe(165);
  });

  it('names the element of an unknown reference', async () => {
    const p = await project('<div data-composition-id="m"><b id="x" data-start="nowhere + 1" data-duration="1"></b></div>');
    const e = await failure(parseComposition(p));
    expect(e.code).toBe('unknown_reference');
    expect(e.fields.element).toBe('b#x');
    expect(e.message).toMatch(/b#x.*"nowhere"/);
  });

  it('refuses a reference to an untimed element', async () => {
    const p = await project('<div data-composition-id="m"><i id="plain"></i><b id="x" data-start="plain" data-duration="1"></b></div>');
    const e = await failure(parseComposition(p));
    expect(e.code).toBe('unknown_reference');
    expect(e.message).toMatch(/#plain, which is not a timed element/);
  });

  it('reports a cycle with every element in it', async () => {
    const p = await project(`<div data-composition-id="m">
      <div id="a" data-start="c" data-duration="1"></div>
      <div id="b" data-start="a" data-duration="1"></div>
      <div id="c" data-start="b + 1" data-duration="1"></div></div>`);
    const e = await failure(parseComposition(p));
    expect(e.code).toBe('cyclic_reference');
    expect(e.message).toContain('div#a → div#c → div#b → div#a');
  });

  it.each([
    ['data-duration="-1"', 'data-start="0"'],
    ['data-duration="NaN"', 'data-start="0"'],
    ['data-duration="abc"', 'data-start="0"'],
    ['data-duration="1"', 'data-start="-2"'],
    ['data-duration="1"', 'data-start="1..2"'],
    ['data-end="0.5"', 'data-start="1"'],
  ])('rejects %s %s naming the element', async (d, s) => {
    const p = await project(`<div data-composition-id="m" data-duration="3"><span id="bad" ${s} ${d}></span></div>`);
    const e = await failure(parseComposition(p));
    expect(e.code).toBe('invalid_timing');
    expect(e.fields.element).toBe('span#bad');
    expect(e.message).toContain('span#bad');
    expect(e.fields.file).toBe(path.join(p, 'index.html'));
  });

  it('rejects a reference that lands before 0', async () => {
    const p = await project(
      '<div data-composition-id="m"><a id="a" data-start="0" data-duration="1"></a><a id="b" data-start="a - 2" data-duration="1"></a></div>',
    );
    const e = await failure(parseComposition(p));
    expect(e).toMatchObject({ code: 'invalid_timing', fields: { element: 'a#b' } });
  });

  it('fails without index.html, and without a root', async () => {
    const empty = path.join(dir, 'empty');
    await mkdir(empty, { recursive: true });
    expect((await failure(parseComposition(empty))).code).toBe('no_index_html');
    expect((await failure(parseComposition(path.join(dir, 'missing.html')))).code).toBe('no_index_html');
    const p = await project('<div data-width="10"><p data-start="0" data-duration="1"></p></div>');
    const e = await failure(parseComposition(p));
    expect(e.code).toBe('no_root');
    expect(e.message).toContain('data-composition-id');
  });

  it('leaves the length to the page when nothing in the HTML gives one', async () => {
    const p = await project('<div id="r" data-composition-id="m"><p data-start="1">forever</p></div>');
    // Only a timeline the page registers can tell (src/composition/duration.ts); the render refuses 0.
    expect(await parseComposition(p)).toMatchObject({ duration: 0, frameCount: 0, durationRule: { floor: 0, latestEnd: 0 } });
  });

  it('reads fps: default 30, rationals, decimals, option override, invalid values', async () => {
    const p = await project('<div id="r" data-composition-id="m" data-duration="10" data-fps="30000/1001"></div>');
    const c = await parseComposition(p);
    expect(c.fps).toEqual({ num: 30000, den: 1001 });
    expect(c.frameCount).toBe(300); // 299.7 rounds to 300
    expect((await parseComposition(p, { fps: 24 })).fps).toEqual({ num: 24, den: 1 });
    expect((await parseComposition(p, { fps: '29.97' })).fps).toEqual({ num: 2997, den: 100 });
    const e = await failure(parseComposition(p, { fps: '0' }));
    expect(e.code).toBe('invalid_fps');
    expect(e.message).toContain('the fps option');
    const bad = await project('<div id="r" data-composition-id="m" data-duration="1" data-fps="fast"></div>');
    expect(await failure(parseComposition(bad))).toMatchObject({ code: 'invalid_fps', fields: { element: 'div#r' } });
    const def = await project('<div data-composition-id="m" data-duration="0.5"></div>');
    expect((await parseComposition(def)).fps).toEqual({ num: 30, den: 1 });
  });

  it('rounds frameCount to nearest, halves up, despite float noise', async () => {
    const p1 = await project('<div data-composition-id="m" data-duration="10.1"></div>');
    expect((await parseComposition(p1)).frameCount).toBe(303);
    const p2 = await project('<div data-composition-id="m" data-duration="0.05"></div>');
    expect((await parseComposition(p2)).frameCount).toBe(2); // 1.5 frames → 2
  });

  it('reads media attributes, <source> children and resolves paths', async () => {
    const p = await project(`
      <div data-composition-id="m" data-duration="5">
        <video id="v" src="media/a%20b.mp4?x=1" data-start="1" data-duration="2" data-media-start="0.5" data-playback-rate="2" muted loop data-volume="0.25" data-has-audio="true" data-track-index="0"></video>
        <audio id="au"><source src="/sounds/s.mp3" type="audio/mpeg"><source src="other.wav"></audio>
        <video id="remote" src="https://example.com/v.mp4" data-start="0" data-playback-start="1.25" data-has-audio="false"></video>
      </div>`);
    const c = await parseComposition(p);
    expect(c.media.map((m) => m.id)).toEqual(['v', 'au', 'remote']);
    expect(c.timed).toHaveLength(3);
    expect(c.media[0]).toMatchObject({
      kind: 'video',
      src: path.join(p, 'media', 'a b.mp4'),
      start: 1,
      duration: 2,
      mediaStart: 0.5,
      playbackRate: 2,
      loop: true,
      muted: true,
      volume: 0.25,
      hasAudioAttr: true,
      isClip: true,
      trackIndex: 0,
    });
    expect(c.media[1]).toMatchObject({
      kind: 'audio',
      src: path.join(p, 'sounds', 's.mp3'),
      start: 0,
      mediaStart: 0,
      playbackRate: 1,
      loop: false,
      muted: false,
      volume: 1,
      isClip: false,
    });
    expect(c.media[1]!.duration).toBeUndefined();
    expect(c.media[1]!.hasAudioAttr).toBeUndefined();
    expect(c.media[2]).toMatchObject({ src: 'https://example.com/v.mp4', mediaStart: 1.25, hasAudioAttr: false });
    expect(c.timed[0]).toBe(c.media[0]);
  });

  it('rejects media without a source and bad media numbers', async () => {
    const p = await project('<div data-composition-id="m" data-duration="1"><video id="v"></video></div>');
    expect(await failure(parseComposition(p))).toMatchObject({ fields: { element: 'video#v' } });
    const q = await project(
      '<div data-composition-id="m" data-duration="1"><audio id="a" src="a.mp3" data-playback-rate="0"></audio></div>',
    );
    expect((await failure(parseComposition(q))).message).toContain('data-playback-rate');
  });

  it('asks for media lengths only when the duration needs them', async () => {
    const asked: string[] = [];
    const mediaDuration = async (src: string) => {
      asked.push(src);
      return 4;
    };
    const body =
      '<div data-composition-id="m"><video id="v" src="v.mp4" data-start="1" data-media-start="1" data-playback-rate="0.5"></video><p data-start="0" data-duration="2"></p></div>';
    const p = await project(body);
    const c = await parseComposition(p, { mediaDuration });
    // (4 - 1) / 0.5 = 6 s of composition time, from 1 s.
    expect(c.duration).toBe(7);
    expect(c.media[0]!.duration).toBe(6);
    expect(asked).toEqual([path.join(p, 'v.mp4')]);

    asked.length = 0;
    const declared = await project(body.replace('data-composition-id="m"', 'data-composition-id="m" data-duration="3"'));
    const d = await parseComposition(declared, { mediaDuration });
    expect(asked).toEqual([]);
    expect(d.media[0]!.duration).toBeUndefined();

    const e = await failure(parseComposition(p));
    expect(e).toMatchObject({ code: 'no_duration', fields: { element: 'video#v' } });
  });

  it('resolves a reference to an open-ended video through its media length', async () => {
    const p = await project(
      '<div data-composition-id="m"><video id="v" src="v.mp4" data-start="0.5"></video><p id="after" data-start="v + 1" data-duration="1"></p></div>',
    );
    const c = await parseComposition(p, { mediaDuration: async () => 2 });
    expect(c.timed[1]!.start).toBe(3.5);
    expect(c.duration).toBe(4.5);
  });

  it('times nested compositions relative to their host and lists them', async () => {
    const p = await project(`
      <div data-composition-id="main" data-duration="10">
        <div id="host" data-composition-id="scene" data-start="2" data-duration="5" class="clip">
          <h1 id="title" class="clip" data-start="1" data-duration="1"></h1>
        </div>
        <template><p data-start="9"></p></template>
        <p id="after" data-start="title" data-duration="1"></p>
      </div>`);
    const c = await parseComposition(p);
    expect(c.timed.map((t) => [t.id, t.start, t.duration])).toEqual([
      ['host', 2, 5],
      ['title', 3, 1],
      ['after', 4, 1],
    ]);
    expect(c.nested).toEqual([{ id: 'scene', label: 'div#host', start: 2, duration: 5, index: 0, direct: true }]);
  });
});
