/**
 * Variables as HyperFrames has them, on the assembled document (no browser): a render value with an
 * undeclared key or the wrong type is a warning and is used as given, or refused under
 * `strictVariables`; `data-var-text` / `data-var-src` bind elements to the variables of their own
 * composition (a mounted sub-composition's values, else the document's); every binding that cannot
 * apply is a warning naming the element and the variable. The render by pixels is in
 * test/render/variable-bindings.test.ts.
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'node-html-parser';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDocument, type LoadOptions } from '../../src/load/document.js';
import { VariablesError } from '../../src/load/variables.js';
import { isSafeMediaUrl } from '../../src/load/variable-bindings.js';
import type { RenderWarning } from '../../src/warnings.js';
import { makeProject } from '../helpers/render-pixels.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const DECLARED = JSON.stringify([
  { id: 'title', label: 'Title', type: 'string', default: 'Hello' },
  { id: 'size', label: 'Size', type: 'number', default: 20 },
  { id: 'accentColor', label: 'Accent', type: 'color', default: '#ff0000' },
  {
    id: 'mode',
    label: 'Mode',
    type: 'enum',
    default: 'dark',
    options: [
      { value: 'dark', label: 'Dark' },
      { value: 'light', label: 'Light' },
    ],
  },
  { id: 'brand', label: 'Brand', type: 'font', default: 'Inter' },
  { id: 'logo', label: 'Logo', type: 'image', default: 'logo.png' },
]);

function indexHtml(body: string, declared: string | null = DECLARED): string {
  const attr = declared === null ? '' : ` data-composition-variables='${declared}'`;
  return `<!doctype html><html${attr}><head></head><body><div id="root" data-composition-id="main" data-width="160" data-height="90" data-duration="1">${body}</div></body></html>`;
}

async function load(files: Record<string, string>, options: LoadOptions = {}) {
  const dir = await makeProject(files, 'fs-vars-hf-');
  dirs.push(dir);
  const warnings: RenderWarning[] = [];
  const loaded = await loadDocument(dir, { ...options, warn: (w) => warnings.push(w) });
  return { loaded, warnings, dom: parse(loaded.html), dir };
}

describe('render values that do not fit the declarations', () => {
  it('an undeclared key is a warning naming it, its value and the declared ones; the value still reaches getVariables() and CSS', async () => {
    const { loaded, warnings, dom } = await load({ 'index.html': indexHtml('') }, { variables: { titel: 'Hi', size: 30 } });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ code: 'variable', file: expect.stringMatching(/index\.html$/) });
    expect(warnings[0]!.message).toMatch(
      /variable "titel" \(given "Hi" \(a string\)\) is not declared in data-composition-variables of .*index\.html \(declared: title, size, accentColor, mode, brand, logo\): rendering with the value as given/,
    );
    expect(loaded.variables).toMatchObject({ titel: 'Hi', title: 'Hello', size: 30 });
    expect(dom.querySelector('#root')!.getAttribute('style')).toMatch(/--titel:Hi/);
  });

  it('a value of the wrong type is a warning naming the key, the declared type and the value; the given value is used', async () => {
    const { loaded, warnings } = await load(
      { 'index.html': indexHtml('') },
      { variables: { size: 'big', mode: 'neon', brand: { name: 'Inter' }, logo: { src: 'x.png' }, accentColor: 7 } },
    );
    const messages = warnings.map((w) => w.message);
    expect(warnings.every((w) => w.code === 'variable')).toBe(true);
    expect(messages).toEqual([
      expect.stringMatching(/variable "size" is declared in .*index\.html as number and expects a finite number, got "big" \(a string\)/),
      expect.stringMatching(
        /variable "mode" is declared in .*index\.html as enum and must be one of "dark", "light", got "neon" \(a string\)/,
      ),
      expect.stringMatching(
        /variable "brand" is declared in .*index\.html as font and expects a family name or an object \{"name": string, "source": string\}, got \{"name":"Inter"\} \(an object\)/,
      ),
      expect.stringMatching(
        /variable "logo" is declared in .*index\.html as image and expects a URL or an object \{"url": string\}, got \{"src":"x.png"\} \(an object\)/,
      ),
      expect.stringMatching(/variable "accentColor" is declared in .*index\.html as color and expects a string, got 7 \(a number\)/),
    ]);
    expect(loaded.variables).toMatchObject({ size: 'big', mode: 'neon', accentColor: 7 });
  });

  it("values that fit HyperFrames' types pass without a word", async () => {
    const { warnings } = await load(
      { 'index.html': indexHtml('') },
      {
        variables: {
          title: 'x',
          size: 1.5,
          accentColor: '#00ff00',
          mode: 'light',
          brand: { name: 'Inter', source: 'google' },
          logo: { url: 'a.png' },
        },
      },
    );
    expect(warnings).toEqual([]);
  });

  it('an enum of numbers takes a number among its options, and names the options otherwise', async () => {
    const declared = JSON.stringify([{ id: 'columns', type: 'enum', default: 2, options: [{ value: 2 }, { value: 3 }] }]);
    const fits = await load({ 'index.html': indexHtml('', declared) }, { variables: { columns: 3 } });
    expect(fits.warnings).toEqual([]);
    expect(fits.loaded.variables).toMatchObject({ columns: 3 });
    const misfits = await load({ 'index.html': indexHtml('', declared) }, { variables: { columns: '3' } });
    expect(misfits.warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(/variable "columns" is declared in .*index\.html as enum and must be one of 2, 3, got "3" \(a string\)/),
    ]);
  });

  it('under strictVariables they are refused: one VariablesError naming every key, before anything else', async () => {
    const error = await load({ 'index.html': indexHtml('') }, { variables: { titel: 'Hi', size: 'big' }, strictVariables: true }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(VariablesError);
    expect(error).toMatchObject({ code: 'invalid_variables', fields: { variable: 'titel' } });
    expect((error as Error).message).toMatch(
      /variable "titel" \(given "Hi" \(a string\)\) is not declared .*; variable "size" is declared in .*index\.html as number and expects a finite number, got "big" \(a string\) \(`strictVariables`\): fix the values or the declarations, or drop `strictVariables`/,
    );
  });

  it('a composition that declares nothing is not checked (as in HyperFrames): one warning that the values are unchecked, even under strictVariables', async () => {
    const { loaded, warnings } = await load(
      { 'index.html': indexHtml('', null) },
      { variables: { title: 'Hi', n: 2 }, strictVariables: true },
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toMatch(
      /index\.html declares no variables \(data-composition-variables\), so the values given for "title", "n" are not checked: scripts still read them through getVariables\(\)/,
    );
    expect(loaded.variables).toEqual({ title: 'Hi', n: 2 });
  });
});

describe('malformed declarations and host values', () => {
  it('are warnings naming the element and the fix, and are ignored (as HyperFrames ignores them); the well-formed declarations still count', async () => {
    const broken = JSON.stringify([
      { id: 'title', label: 'T', type: 'string', default: 'Hi' },
      { id: 'x', type: 'vector', default: 1 },
    ]);
    const { loaded, warnings } = await load({
      'index.html': `<!doctype html><html data-composition-variables='${broken}'><head></head><body><div id="root" data-composition-id="main" data-width="160" data-height="90" data-duration="1" data-composition-variables="[oops">
<div id="h" data-composition-id="c" data-composition-src="c.html" data-start="0" data-variable-values="{nope"></div></div></body></html>`,
      'c.html': '<template><div data-composition-id="c" data-composition-variables=\'{"id":"a"}\'><p>c</p></div></template>',
    });
    expect(loaded.variables).toEqual({ title: 'Hi' });
    expect(warnings.map((w) => [w.code, w.element, w.message])).toEqual([
      [
        'variable',
        'div:nth-of-type(1)',
        expect.stringMatching(
          /^div:nth-of-type\(1\) in .*c\.html: data-composition-variables must be a JSON array of declarations such as .*; ignored meanwhile/,
        ),
      ],
      [
        'variable',
        'div#h',
        expect.stringMatching(
          /^div#h in index\.html: data-variable-values is not valid JSON \(.*\): write a JSON object such as \{"title":"Hello"\}; ignored meanwhile, as HyperFrames ignores it$/,
        ),
      ],
      [
        'variable',
        'html:nth-of-type(1)',
        expect.stringMatching(
          /^html:nth-of-type\(1\) in .*index\.html: data-composition-variables entry 1 needs a string "id" and a "type" among string, number, color, boolean, enum, font, image; ignored meanwhile/,
        ),
      ],
      ['variable', 'div#root', expect.stringMatching(/^div#root in .*index\.html: data-composition-variables is not valid JSON/)],
    ]);
  });
});

describe('CSS custom properties', () => {
  it('set as --<slug> and --<id> as written; a font object gives its name; ; { } < > are removed from values', async () => {
    const { dom } = await load(
      { 'index.html': indexHtml('') },
      { variables: { accentColor: 'red;background:url(x)', brand: { name: 'Rethink Sans', source: 'google' } } },
    );
    const style = dom.querySelector('html')!.getAttribute('style')!;
    expect(style).toContain('--accentcolor:redbackground:url(x)');
    expect(style).toContain('--accentColor:redbackground:url(x)');
    expect(style).toContain('--brand:Rethink Sans');
    expect(style).not.toMatch(/;background:/);
  });
});

describe('data-var-text', () => {
  it("replaces an element's text with the value, as text (markup stays text)", async () => {
    const { dom, warnings } = await load(
      { 'index.html': indexHtml('<h1 id="t" data-var-text="title">Hello</h1><p id="n" data-var-text="size">0</p>') },
      { variables: { title: '<b>Q4</b> & more', size: 42 } },
    );
    expect(warnings).toEqual([]);
    expect(dom.querySelector('#t')!.text).toBe('<b>Q4</b> & more');
    expect(dom.querySelector('#t')!.querySelector('b')).toBeNull();
    expect(dom.querySelector('#n')!.text).toBe('42');
  });

  it('keeps child elements: the first own text node takes the value, the others are emptied; one is added when there is none', async () => {
    const { dom } = await load({
      'index.html': indexHtml(
        '<div id="a" data-var-text="title">old <span id="s">kept</span> tail</div><div id="b" data-var-text="title"><i>only</i></div>',
      ),
    });
    const a = dom.querySelector('#a')!;
    expect(a.text).toBe('Hellokept');
    expect(a.querySelector('#s')!.text).toBe('kept');
    expect(dom.querySelector('#b')!.toString()).toBe('<div id="b" data-var-text="title">Hello<i>only</i></div>');
  });

  it('a variable nobody declared or gave, or an object value, is a warning naming the element; the authored text stays', async () => {
    const { dom, warnings } = await load(
      { 'index.html': indexHtml('<p id="u" data-var-text="nope">keep</p><p id="o" data-var-text="logo">keep too</p>') },
      { variables: { logo: { url: 'a.png' } } },
    );
    expect(dom.querySelector('#u')!.text).toBe('keep');
    expect(dom.querySelector('#o')!.text).toBe('keep too');
    expect(warnings.map((w) => [w.code, w.element, w.message])).toEqual([
      [
        'variable',
        'p#u',
        expect.stringMatching(
          /^p#u: data-var-text="nope": the variable is not declared in this composition and no value was given, so the authored text stays/,
        ),
      ],
      [
        'variable',
        'p#o',
        expect.stringMatching(
          /^p#o: data-var-text="logo": the variable is not text, a number or a boolean \(\{"url":"a.png"\}\), so the authored text stays/,
        ),
      ],
    ]);
  });
});

describe('data-var-src', () => {
  it("sets the src of img, video, audio and source from a string or an image object's url; relative values stay as written", async () => {
    const body =
      '<img id="i" src="logo.png" data-var-src="logo"><video id="v" data-var-src="title" muted></video><audio id="a" data-var-src="title"></audio><picture><source id="s" data-var-src="logo"></picture>';
    const { dom, warnings } = await load(
      { 'index.html': indexHtml(body) },
      { variables: { logo: { url: 'brand/new.png' }, title: 'media/clip.mp4' } },
    );
    expect(warnings.filter((w) => w.code === 'variable')).toEqual([]);
    expect(dom.querySelector('#i')!.getAttribute('src')).toBe('brand/new.png');
    expect(dom.querySelector('#v')!.getAttribute('src')).toBe('media/clip.mp4');
    expect(dom.querySelector('#a')!.getAttribute('src')).toBe('media/clip.mp4');
    expect(dom.querySelector('#s')!.getAttribute('src')).toBe('brand/new.png');
  });

  it('refuses other elements and unsafe URLs, keeps the authored src when the value has no URL: each a warning naming the element and the fix', async () => {
    const body =
      '<iframe id="f" data-var-src="logo"></iframe><img id="j" src="logo.png" data-var-src="title"><img id="e" src="keep.png" data-var-src="logo"><img id="n" data-var-src="nope">';
    const { dom, warnings } = await load({ 'index.html': indexHtml(body) }, { variables: { title: 'javascript:alert(1)', logo: '' } });
    expect(dom.querySelector('#f')!.getAttribute('src')).toBeUndefined();
    expect(dom.querySelector('#j')!.getAttribute('src')).toBe('logo.png');
    expect(dom.querySelector('#e')!.getAttribute('src')).toBe('keep.png');
    expect(warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(
        /^iframe#f: data-var-src="logo" is ignored: a variable can set the src of img, video, audio and source elements only/,
      ),
      expect.stringMatching(/^img#j: data-var-src="title": the value "javascript:alert\(1\)" is refused .*; the authored src stays/),
      expect.stringMatching(
        /^img#e: data-var-src="logo": the variable has no URL \(""\), so the authored src="keep.png" stays: declare "logo" with a default URL or pass one with `variables`/,
      ),
      expect.stringMatching(
        /^img#n: data-var-src="nope": the variable is not declared in this composition and no value was given, so the element has no src/,
      ),
    ]);
  });

  it('media URLs: no scheme, http(s), blob and data:image/ only', () => {
    for (const ok of ['a.png', '/x/y.mp4', 'https://e.com/a.mp4', 'http://e.com/a', 'blob:abc', 'data:image/png;base64,AA'])
      expect(isSafeMediaUrl(ok)).toBe(true);
    for (const bad of ['javascript:alert(1)', ' java\tscript:x', 'data:text/html,<script>', 'file:///etc/passwd', 'vbscript:x'])
      expect(isSafeMediaUrl(bad)).toBe(false);
  });
});

describe('bindings inside sub-compositions', () => {
  const card = `<template><div data-composition-id="card" data-width="80" data-height="90" data-composition-variables='[{"id":"title","label":"Title","type":"string","default":"card default"},{"id":"pic","label":"Pic","type":"image","default":"red.png"}]'>
<h2 class="t" data-var-text="title">x</h2><img class="p" data-var-src="pic"></div></template>`;
  const plain =
    '<template><div data-composition-id="plain" data-width="80" data-height="90"><h3 class="t" data-var-text="title">x</h3></div></template>';

  it("read their own composition's values (the file's defaults under the host's data-variable-values), not the render's", async () => {
    const { dom, warnings } = await load(
      {
        'index.html': indexHtml(`<h1 id="top" data-var-text="title">x</h1>
<div id="h1" data-composition-id="card" data-composition-src="card.html" data-start="0" data-variable-values='{"title":"first","pic":"blue.png"}'></div>
<div id="h2" data-composition-id="card" data-composition-src="card.html" data-start="0"></div>
<div id="h3" data-composition-src="plain.html" data-start="0"></div>`),
        'card.html': card,
        'plain.html': plain,
      },
      { variables: { title: 'from render' } },
    );
    expect(warnings).toEqual([]);
    expect(dom.querySelector('#top')!.text).toBe('from render');
    expect(dom.querySelector('#h1 .t')!.text).toBe('first');
    expect(dom.querySelector('#h1 .p')!.getAttribute('src')).toBe('blue.png');
    expect(dom.querySelector('#h2 .t')!.text).toBe('card default');
    expect(dom.querySelector('#h2 .p')!.getAttribute('src')).toBe('red.png');
    // A mount with no variables of its own reads the document's, as HyperFrames' runtime does.
    expect(dom.querySelector('#h3 .t')!.text).toBe('from render');
  });

  it("a host value that does not fit the file's declaration is a warning naming the mount and the value; it is used as given", async () => {
    const file = `<template><div data-composition-id="c" data-composition-variables='[{"id":"mode","label":"Mode","type":"enum","default":"dark","options":["dark","light"]},{"id":"n","label":"N","type":"number","default":1}]'>
<p class="m" data-var-text="mode">x</p></div></template>`;
    const { dom, warnings } = await load({
      'index.html': indexHtml(
        `<div id="h" data-composition-id="c" data-composition-src="c.html" data-start="0" data-variable-values='{"mode":"neon","n":2,"other":true}'></div>`,
      ),
      'c.html': file,
    });
    expect(dom.querySelector('#h .m')!.text).toBe('neon');
    expect(warnings.map((w) => [w.code, w.file, w.message])).toEqual([
      [
        'variable',
        'c.html',
        'sub-composition "c" (c.html): variable "mode" is declared as enum and must be one of "dark", "light", got "neon" (a string) from its host\'s data-variable-values: rendering with the value as given; fix the host\'s value',
      ],
    ]);
  });

  it('elements inside a <template> of the page are left alone (they are not in the page)', async () => {
    const { dom, warnings } = await load({
      'index.html': indexHtml('<template id="tp"><p data-var-text="title">stay</p><img data-var-src="nope"></template>'),
    });
    expect(warnings).toEqual([]);
    expect(dom.querySelector('#tp')!.toString()).toContain('<p data-var-text="title">stay</p>');
  });

  it('nothing in the project is changed by loading it', async () => {
    const files = { 'index.html': indexHtml('<h1 data-var-text="title">x</h1>'), 'card.html': card };
    const { dir } = await load(files, { variables: { title: 'new' } });
    expect(await readFile(path.join(dir, 'index.html'), 'utf8')).toBe(files['index.html']);
    expect(await readFile(path.join(dir, 'card.html'), 'utf8')).toBe(files['card.html']);
  });
});
