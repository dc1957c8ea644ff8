/**
 * Which colour transform a (source, target) pair gets, and the zscale input options derived from the
 * probe (tags where zscale knows them, BT.709 / BT.2020 defaults otherwise). Pure decisions; the chains
 * themselves are proven on real media in colour.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { COLOUR_CHAIN_VERSION, colourTransform, sourceColourArgs, type ColourSource } from '../../src/extract/colour.js';
import type { ColorTarget } from '../../src/extract/types.js';

const sdr: ColourSource = { hdr: null, colorTransfer: null, colorPrimaries: null, colorSpace: null, pixelFormat: 'yuv420p' };
const pq: ColourSource = {
  hdr: 'pq',
  colorTransfer: 'smpte2084',
  colorPrimaries: 'bt2020',
  colorSpace: 'bt2020nc',
  pixelFormat: 'yuv420p10le',
};
const hlg: ColourSource = { ...pq, hdr: 'hlg', colorTransfer: 'arib-std-b67' };

describe('colourTransform', () => {
  it.each([
    [sdr, 'sdr', 'none'],
    [sdr, 'pq', 'sdr-to-pq'],
    [sdr, 'hlg', 'sdr-to-hlg'],
    [pq, 'sdr', 'pq-to-sdr'],
    [hlg, 'sdr', 'hlg-to-sdr'],
    [pq, 'hlg', 'pq-to-hlg'],
    [hlg, 'pq', 'hlg-to-pq'],
    [pq, 'pq', 'pq-keep'],
    [hlg, 'hlg', 'hlg-keep'],
  ] as Array<[ColourSource, ColorTarget, string]>)('%#: %o → %s is %s', (source, target, kind) => {
    const t = colourTransform(source, target, false);
    expect(t.kind).toBe(kind);
    expect(t.id).toBe(`${kind}/v${COLOUR_CHAIN_VERSION}`);
    expect(t.filter === null).toBe(kind === 'none');
  });

  it('every chain ends in full-range RGB; with alpha, RGBA (gbrap) and a float format that keeps alpha', () => {
    for (const [source, target] of [
      [sdr, 'pq'],
      [pq, 'sdr'],
      [pq, 'hlg'],
      [pq, 'pq'],
    ] as Array<[ColourSource, ColorTarget]>) {
      expect(colourTransform(source, target, false).filter).toMatch(/format=gbrp$/);
      const withAlpha = colourTransform(source, target, true).filter!;
      expect(withAlpha).toMatch(/format=gbrap$/);
      expect(withAlpha).not.toMatch(/gbrpf32le/);
    }
  });

  it('SDR white is placed at the BT.2408 reference white (npl=203) and the tone map targets BT.709', () => {
    expect(colourTransform(sdr, 'pq', false).filter).toContain('t=smpte2084:p=bt2020:npl=203');
    expect(colourTransform(sdr, 'hlg', false).filter).toContain('t=arib-std-b67:p=bt2020:npl=203');
    expect(colourTransform(pq, 'sdr', false).filter).toMatch(
      /t=linear:p=bt709:npl=203.*tonemap=tonemap=mobius.*desat=0.*zscale=t=bt709:p=bt709:r=pc/,
    );
  });
});

describe('sourceColourArgs', () => {
  it('untagged SDR defaults to BT.709; untagged HDR to BT.2020 with its transfer', () => {
    expect(sourceColourArgs(sdr)).toBe('tin=bt709:pin=bt709:min=bt709');
    expect(sourceColourArgs({ ...pq, colorPrimaries: null, colorSpace: 'unknown' })).toBe('tin=smpte2084:pin=bt2020:min=bt2020nc');
  });

  it('uses the tags zscale knows, and the default for names it does not', () => {
    expect(sourceColourArgs({ ...sdr, colorTransfer: 'smpte170m', colorPrimaries: 'smpte170m', colorSpace: 'smpte170m' })).toBe(
      'tin=smpte170m:pin=smpte170m:min=smpte170m',
    );
    expect(sourceColourArgs({ ...sdr, colorTransfer: 'bt1361e', colorSpace: 'unknown' })).toBe('tin=bt709:pin=bt709:min=bt709');
  });

  it('RGB-coded sources (qtrle argb, gbrp) have no YUV matrix: min=gbr', () => {
    expect(sourceColourArgs({ ...sdr, pixelFormat: 'argb' })).toContain('min=gbr');
    expect(sourceColourArgs({ ...sdr, pixelFormat: 'gbrp10le', colorSpace: 'bt709' })).toContain('min=gbr');
  });
});
