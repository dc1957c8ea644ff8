/**
 * The pure parts of incremental renders (src/render/incremental.ts, src/cache/segments.ts): what the
 * global part of a frame's key covers, the history of a range's frame keys, and the segment store's
 * files (real files in a temporary directory).
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SegmentStore } from '../../src/cache/segments.js';
import { QUALITY_PRESETS } from '../../src/encode/video-args.js';
import { chunkKey, RANGE_HISTORY, rangeKey, renderPrint, withRangeHistory } from '../../src/render/incremental.js';
import { PLAN_SCHEMA, type RenderPlan } from '../../src/plan/types.js';

function plan(files: Record<string, string>): RenderPlan {
  return {
    schema: PLAN_SCHEMA,
    render: { compositionId: 'main', entry: 'project/index.html', width: 160, height: 90, fps: '10/1', first: 0, count: 30, duration: 3 },
    output: { format: 'mp4', frameFormat: 'jpeg', alpha: false, transparent: false },
    page: {
      html: 'page/entry.html',
      runtime: 'page/runtime.js',
      routes: [],
      mounts: [],
      fonts: [],
      requiresWebGpu: false,
      rootOptions: {},
      seed: 1,
      strict: false,
    },
    browser: { webgl: false, failIfWebGLRefused: false, captureMode: 'beginframe', version: 'Chrome/1' },
    tools: { framesmith: '0.1.0', ffmpeg: '7.0' },
    videos: [],
    audio: { file: 'audio.m4a', codec: 'aac' },
    files: Object.entries(files).map(([p, sha256]) => ({ path: p, size: 1, sha256 })),
  };
}

describe('renderPrint: the global part of every frame key', () => {
  const base = {
    'page/entry.html': 'a',
    'page/runtime.js': 'b',
    'project/index.html': 'c',
    'project/style.css': 'd',
    'project/logo.png': 'e',
    'audio.m4a': 'f',
    'sources/1.mp4': 'g',
  };
  it('leaves out the documents (their content is the DOM), the runtime, the sound and the video sources', () => {
    const same = renderPrint(plan(base));
    for (const file of ['page/entry.html', 'page/runtime.js', 'project/index.html', 'audio.m4a', 'sources/1.mp4'])
      expect(renderPrint(plan({ ...base, [file]: 'changed' })), file).toBe(same);
  });
  it('covers every other file, the size and the encoder settings', () => {
    const same = renderPrint(plan(base));
    expect(renderPrint(plan({ ...base, 'project/style.css': 'changed' }))).not.toBe(same);
    expect(renderPrint(plan({ ...base, 'project/logo.png': 'changed' }))).not.toBe(same);
    const other = plan(base);
    other.output.crf = 20;
    expect(renderPrint(other)).not.toBe(same);
    const wider = plan(base);
    wider.render.width = 320;
    expect(renderPrint(wider)).not.toBe(same);
  });
  it("covers the quality presets' settings: a build that encodes otherwise reuses no segment", () => {
    const same = renderPrint(plan(base));
    const saved = QUALITY_PRESETS.standard.x264;
    QUALITY_PRESETS.standard.x264 = { ...saved, crf: saved.crf + 1 };
    try {
      expect(renderPrint(plan(base))).not.toBe(same);
    } finally {
      QUALITY_PRESETS.standard.x264 = saved;
    }
    expect(renderPrint(plan(base))).toBe(same);
  });
  it('chunk and range keys depend on the range', () => {
    expect(chunkKey('g', { first: 0, count: 5 }, ['a'])).not.toBe(chunkKey('g', { first: 5, count: 5 }, ['a']));
    expect(rangeKey('g', { first: 0, count: 5 })).not.toBe(rangeKey('g', { first: 0, count: 6 }));
  });
});

describe('withRangeHistory', () => {
  it('puts the new list first, drops its duplicate and keeps at most RANGE_HISTORY', () => {
    const lists = Array.from({ length: RANGE_HISTORY }, (_, i) => [`k${i}`]);
    const next = withRangeHistory(lists, ['k3']);
    expect(next[0]).toEqual(['k3']);
    expect(next.filter((l) => l[0] === 'k3')).toHaveLength(1);
    expect(next).toHaveLength(RANGE_HISTORY);
    expect(withRangeHistory(lists, ['new'])).toHaveLength(RANGE_HISTORY);
    expect(withRangeHistory(lists, ['new']).at(-1)).toEqual([`k${RANGE_HISTORY - 2}`]);
  });
});

describe('SegmentStore', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'fs-segments-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('keeps a segment by key and places it at a new name (a link: the same bytes)', async () => {
    const store = new SegmentStore(path.join(dir, 'cache'));
    const segment = path.join(dir, 'chunk.mp4');
    await writeFile(segment, 'segment bytes');
    expect(await store.has('k1', 'mp4')).toBe(false);
    expect(await store.take('k1', 'mp4', path.join(dir, 'nothing.mp4'))).toBe(false);
    await store.put('k1', 'mp4', segment);
    expect(await store.has('k1', 'mp4')).toBe(true);
    const target = path.join(dir, 'reused.mp4');
    expect(await store.take('k1', 'mp4', target)).toBe(true);
    expect(await readFile(target, 'utf8')).toBe('segment bytes');
    expect((await stat(target)).ino).toBe((await stat(store.segmentPath('k1', 'mp4'))).ino);
  });

  it('records: written whole, read back; absent or damaged reads as none', async () => {
    const store = new SegmentStore(path.join(dir, 'cache'));
    expect(await store.readRecord('ranges', 'r1')).toBeUndefined();
    await store.writeRecord('ranges', 'r1', { lists: [['a', 'b']] });
    expect(await store.readRecord('ranges', 'r1')).toEqual({ lists: [['a', 'b']] });
    await writeFile(path.join(store.dir, 'ranges', 'r2.json'), '{"lists": [');
    expect(await store.readRecord('ranges', 'r2')).toBeUndefined();
  });
});
