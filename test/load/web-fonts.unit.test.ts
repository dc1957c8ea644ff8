/**
 * The web delivery's pieces (src/fonts/web-fonts.ts, web-stacks.ts): the `@font-face` rules of the
 * faces a render installs, and the page's font lists rewritten to name them. The pixels are
 * test/render/fonts-web.test.ts's.
 */
import { describe, expect, it } from 'vitest';
import { fontDir } from '../../src/fonts/fontconfig.js';
import { primedFaces, webFontPlan, type WebFontPlan } from '../../src/fonts/web-fonts.js';
import { webDocument, webFamilyList, webFontShorthand, webStylesheet } from '../../src/fonts/web-stacks.js';

const plan = (fonts: string[], lang?: string): WebFontPlan => webFontPlan(fonts, lang, fontDir());

describe('the web fonts of a render', () => {
  it('declares the bundled families, the generic faces and the units, served from the packages', () => {
    const p = plan(['Montserrat', 'fallback:noto-sans-symbols-2:symbols']);
    expect(p.css).toMatch(
      /@font-face\{font-family:"Montserrat";src:url\("\/__framesmith\/fonts\/fontsource\/montserrat@[^/]+\/montserrat-latin-700-normal\.woff2"\)/,
    );
    expect(p.css).toMatch(
      /font-family:"framesmith generic sans";src:url\("\/__framesmith\/fonts\/cut\/arimo-liberation@[^/]+\/arimo-liberation-400-normal\.ttf"\) format\("truetype"\);font-weight:400;font-style:normal;unicode-range:U\+20-7e,U\+a0-17f,/,
    );
    expect(p.css).toContain('font-family:"framesmith fallback noto-sans-symbols-2 symbols"');
    expect(p.mounts.map((m) => m.prefix)).toContain(p.css.match(/\/__framesmith\/fonts\/fontsource\/montserrat@[^/]+\//)![0]);
    // Inter draws what the named faces lack, under its own name only when the composition names it.
    expect(p.declared.has('framesmith default fallback')).toBe(true);
    expect(p.declared.has('inter')).toBe(false);
    expect(plan(['Inter']).declared.has('inter')).toBe(true);
  });

  it("orders the fallback as fontconfig does: faces with the text's language first, then the list's order", () => {
    expect(plan(['fallback:noto-sans-symbols-2:symbols', 'fallback:noto-sans-math:latin']).tail).toEqual([
      'framesmith default fallback',
      'Noto Color Emoji',
      'framesmith fallback noto-sans-symbols-2 symbols',
      'framesmith fallback noto-sans-math latin',
    ]);
  });
});

describe('the faces loaded before the page runs', () => {
  it("are the Latin faces at the document's weights and styles, and those covering its other characters; never the emoji files", () => {
    const p = plan(['Montserrat', 'fallback:noto-sans-symbols-2:symbols']);
    const names = (urls: string[]) => urls.map((u) => u.replace(/^.*\//, '')).sort();
    const latin = names(primedFaces(p, new Set(), new Set([400]), new Set(['normal'])));
    expect(latin).toContain('montserrat-latin-400-normal.woff2');
    expect(latin).toContain('arimo-liberation-400-normal.ttf');
    expect(latin.filter((f) => /-(700|italic)|emoji|symbols|cyrillic/.test(f))).toEqual([]);
    const more = names(primedFaces(p, new Set([0x2713, 0x1f600, 0x416]), new Set([400, 700]), new Set(['normal', 'italic'])));
    expect(more).toEqual(expect.arrayContaining(['montserrat-latin-700-italic.woff2', 'montserrat-cyrillic-700-normal.woff2']));
    expect(more.some((f) => f.startsWith('noto-sans-symbols-2-symbols'))).toBe(true);
    expect(more.some((f) => f.startsWith('noto-color-emoji'))).toBe(false);
  });
});

describe('font lists rewritten', () => {
  // The system names a font-family declaration names (usage.ts aliasedNames) take HyperFrames' stand-ins.
  const p = plan(['Montserrat', 'aliased:arial', 'aliased:segoe ui', 'aliased:apple color emoji']);

  it('generic families to their faces, names only macOS resolves taken out, system names to their stand-ins, the tail appended', () => {
    expect(webFamilyList('Montserrat, sans-serif', p)).toBe(
      'Montserrat, "framesmith generic sans", "framesmith default fallback", "Noto Color Emoji"',
    );
    expect(webFamilyList('-apple-system, BlinkMacSystemFont, "Segoe UI", system-ui', p)).toMatch(/^"Roboto", "framesmith generic ui", /);
    expect(webFamilyList('Arial', p)).toBe('"framesmith default fallback", "Montserrat", "Noto Color Emoji"');
    expect(webFamilyList('monospace', p)).toMatch(/^"framesmith generic mono", /);
    expect(webFamilyList('inherit', p)).toBe('inherit');
    expect(webFamilyList('var(--font-sans), serif', p)).toMatch(/^var\(--font-sans\), "framesmith generic serif", /);
  });

  it('system names no font-family declaration names: the face Debian draws for them, else taken out', () => {
    const unnamed = plan(['Montserrat']);
    expect(webFamilyList('Arial, Montserrat', unnamed)).toMatch(/^"framesmith generic sans", Montserrat, /);
    expect(webFamilyList('"DejaVu Sans", serif', unnamed)).toMatch(/^"framesmith generic ui", "framesmith generic serif", /);
    expect(webFamilyList('Times, Courier', unnamed)).toMatch(/^"framesmith generic serif", "framesmith generic mono", /);
    // Verdana and Apple Color Emoji answer nothing on Debian: a Mac's own faces must not draw them either.
    expect(webFamilyList('Verdana, "Apple Color Emoji", sans-serif', unnamed)).toMatch(/^"framesmith generic sans", /);
  });

  it('keeps a system name the page declares itself', () => {
    expect(webFamilyList('"SF Pro Display", sans-serif', plan(['declared:sf pro display']))).toMatch(
      /^"SF Pro Display", "framesmith generic sans"/,
    );
    expect(webFamilyList('Arial, serif', plan(['aliased:arial', 'declared:arial']))).toMatch(/^Arial, "framesmith generic serif"/);
  });

  it('rewrites the font shorthand and font-list custom properties, not @font-face or other values', () => {
    expect(webFontShorthand('italic 700 24px/1.2 "Nope", serif', p)).toMatch(/^italic 700 24px\/1\.2 "Nope", "framesmith generic serif", /);
    expect(webFontShorthand('caption', p)).toBeNull();
    const css = webStylesheet(
      ':root{--font-sans: ui-sans-serif, system-ui, sans-serif, "Apple Color Emoji"; --gap: 4px; --brand: Montserrat}\n@font-face{font-family:serif-ish;src:url(a.woff2)}',
      p,
    );
    expect(css).toContain('--font-sans: "framesmith generic ui", "framesmith generic sans", "Noto Color Emoji";');
    expect(css).toContain('--gap: 4px; --brand: Montserrat}');
    expect(css).toContain('@font-face{font-family:serif-ish;');
  });

  it('puts the faces and the base rules first in the document and rewrites its styles and SVG attributes', () => {
    const html = webDocument(
      '<!doctype html><html><head><style>p{font-family:serif}</style></head><body><b style="font: 12px monospace">x</b><svg><text font-family="sans-serif">y</text></svg><script>const s = "<style>";</script></body></html>',
      p,
    );
    expect(html).toMatch(/^<!doctype html><html><head><style data-framesmith-web-fonts>\n@font-face/);
    expect(html).toMatch(/:where\(:root\)\{font-family:"framesmith generic serif", /);
    expect(html).toMatch(/<style>p\{font-family:"framesmith generic serif", /);
    expect(html).toMatch(/style="font: 12px &quot;framesmith generic mono&quot;, /);
    expect(html).toMatch(/<text font-family="&quot;framesmith generic sans&quot;, /);
    expect(html).toContain('<script>const s = "<style>";</script>');
  });
});
