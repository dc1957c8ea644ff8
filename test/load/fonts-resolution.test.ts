/**
 * How family names are read and rewritten before the browser starts (issue 18): Inter put in front of
 * a generic first family, as HyperFrames 0.8.170 does (src/fonts/generic.ts), and families reached
 * through var() (src/fonts/css-vars.ts). The pixels are checked in test/render/fonts-hf.test.ts.
 */
import { parse } from 'node-html-parser';
import { describe, expect, it } from 'vitest';
import { substituteVars } from '../../src/fonts/css-vars.js';
import { genericPrimaryReplacement, preferDefaultForGenericPrimary } from '../../src/fonts/generic.js';
import { familiesToInstall, scanFonts, unresolvedFamilies } from '../../src/fonts/usage.js';

describe('Inter in front of a generic first family', () => {
  it('decides on the first family only, and through an undeclared var() by its fallback', () => {
    const declared = new Set(['--x']);
    expect(genericPrimaryReplacement('sans-serif', declared)).toBe('Inter, sans-serif');
    expect(genericPrimaryReplacement('-apple-system, sans-serif', declared)).toBe('Inter, -apple-system, sans-serif');
    expect(genericPrimaryReplacement('"Nope Sans", sans-serif', declared)).toBeNull();
    expect(genericPrimaryReplacement('var(--x)', declared)).toBeNull();
    expect(genericPrimaryReplacement('var(--y, serif), monospace', declared)).toBe('var(--y, Inter, serif), monospace');
    expect(genericPrimaryReplacement('var(--y)', declared)).toBeNull();
    expect(genericPrimaryReplacement('inherit', declared)).toBeNull();
  });

  it('rewrites style blocks, custom properties, style attributes and data-font-family; not @font-face nor the font shorthand', () => {
    const document = parse(`<html><head><style>
:root { --font-sans: ui-sans-serif, system-ui, sans-serif; }
body { font-family: var(--font-sans); }
h1 { font-family: serif; font: 20px monospace; }
@font-face { font-family: Mine; src: url(mine.woff2); }
</style></head><body><p style="font-family: monospace; color: red">a</p><i data-font-family="system-ui">b</i><b style="font-family: Montserrat, sans-serif">c</b></body></html>`);
    preferDefaultForGenericPrimary(document);
    const css = document.querySelector('style')!.innerHTML;
    expect(css).toContain('--font-sans: Inter, ui-sans-serif, system-ui, sans-serif;');
    expect(css).toContain('font-family: var(--font-sans);');
    expect(css).toContain('font-family: Inter, serif;');
    expect(css).toContain('font: 20px monospace;');
    expect(css).toContain('font-family: Mine;');
    expect(document.querySelector('p')!.getAttribute('style')).toBe('font-family: Inter, monospace; color: red');
    expect(document.querySelector('i')!.getAttribute('data-font-family')).toBe('Inter, system-ui');
    expect(document.querySelector('b')!.getAttribute('style')).toBe('font-family: Montserrat, sans-serif');
  });
});

describe('families named through var()', () => {
  it('substitutes custom properties, nested and with fallbacks, and gives up on an unknown one', () => {
    const props = new Map([
      ['--a', 'var(--b), serif'],
      ['--b', '"Space Grotesk"'],
    ]);
    expect(substituteVars('var(--a)', props)).toBe('"Space Grotesk", serif');
    expect(substituteVars('700 2rem var(--c, Figtree)', props)).toBe('700 2rem Figtree');
    expect(substituteVars('var(--c)', props)).toBeNull();
    const loop = new Map([['--l', 'var(--l)']]);
    expect(substituteVars('var(--l)', loop)).toBeNull();
  });

  it('installs the families reached only through variables, and names the face drawn for a missing one', () => {
    const usage = scanFonts(
      [
        ':root{--display:"Space Grotesk", sans-serif; --body: Figtree} h1{font-family:var(--display)} p{font:700 1rem var(--body)} i{font-family:"Nope Sans", sans-serif}',
      ],
      [],
    );
    expect(familiesToInstall(usage)).toEqual(expect.arrayContaining(['Space Grotesk', 'Figtree']));
    expect(unresolvedFamilies(usage)).toEqual([{ family: 'Nope Sans', used: 'Arimo (Liberation Sans)' }]);
  });
});
