/**
 * The two rules sub-composition files are inlined by, checked on their own: CSS scoping (css-scope.ts)
 * and the relative-URL rule (urls.ts), both as HyperFrames applies them.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scopeCss } from '../../src/load/css-scope.js';
import { subCompositionUrls } from '../../src/load/urls.js';

const scope = {
  scope: '[data-composition-id="intro"]',
  box: '[data-composition-id="intro"] > [data-framesmith-inner-root]',
  id: 'intro',
  rebaseUrl: (u: string) => (u === 'img/a.png' ? 'parts/img/a.png' : null),
};
const one = (css: string) => scopeCss(css, scope).replace(/\s+/g, ' ').trim();

describe('CSS scoping', () => {
  it.each([
    ['.box{}', '[data-composition-id="intro"] .box{}'],
    ['#title{}', '[data-composition-id="intro"] #title{}'],
    ['.wrap .box.big > span{}', '[data-composition-id="intro"] .wrap .box.big > span{}'],
    ['.a, .b{}', '[data-composition-id="intro"] .a,[data-composition-id="intro"] .b{}'],
    ['html{}', '[data-composition-id="intro"] > [data-framesmith-inner-root]{}'],
    [':root{}', '[data-composition-id="intro"] > [data-framesmith-inner-root]{}'],
    ['[data-composition-id="intro"]{}', '[data-composition-id="intro"] > [data-framesmith-inner-root]{}'],
    ['[data-composition-id="intro"] .x{}', '[data-composition-id="intro"] .x{}'],
    ['*{}', '*{}'],
    ['@media (min-width: 10px) { .m{} }', '@media (min-width: 10px) { [data-composition-id="intro"] .m{} }'],
    ['@keyframes k { from { x: 0 } to { x: 1 } }', '@keyframes k { from { x: 0 } to { x: 1 } }'],
    ['.p{background:url(img/a.png)}', '[data-composition-id="intro"] .p{background:url(parts/img/a.png)}'],
    ['.p{background:url("other.png")}', '[data-composition-id="intro"] .p{background:url("other.png")}'],
    ['@import url("img/a.png"); @import "img/a.png";', '@import url("parts/img/a.png"); @import "img/a.png";'],
  ])('%s', (css, scoped) => {
    expect(one(css)).toBe(scoped);
  });
});

describe('relative URLs of a sub-composition file', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'fs-urls-'));
    await mkdir(path.join(root, 'parts', 'img'), { recursive: true });
    await writeFile(path.join(root, 'parts', 'img', 'here.png'), 'x');
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('rewrites ../ paths always, and other relative paths only when the file exists next to the sub-composition', () => {
    const rebase = subCompositionUrls(path.join(root, 'parts', 'card.html'), root);
    expect(rebase('img/here.png')).toBe('parts/img/here.png');
    expect(rebase('img/here.png?v=2#x')).toBe('parts/img/here.png?v=2#x');
    expect(rebase('img/absent.png')).toBeNull();
    expect(rebase('../shared/logo.png')).toBe('shared/logo.png');
    for (const kept of ['https://cdn.example/a.js', '//cdn.example/a.js', 'data:image/png;base64,AA', '/abs/a.png', '#frag', 'blob:x'])
      expect(rebase(kept)).toBeNull();
  });

  it('keeps every URL of a file in the project root', () => {
    const rebase = subCompositionUrls(path.join(root, 'card.html'), root);
    expect(rebase('../x.png')).toBeNull();
    expect(rebase('parts/img/here.png')).toBeNull();
  });
});
