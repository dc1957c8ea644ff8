/**
 * Colour transforms of the extraction pass: from a source's colour (as probed) to the render's colour
 * target, as one ffmpeg filter chain that runs inside the pass, plus an id that goes into the plan key.
 *
 * Conventions (all chains use zscale/zimg, which converts in 32-bit float):
 * - Luminance: zscale's `npl` says how many cd/m² linear 1.0 stands for. Every chain uses npl=203, the
 *   HDR reference white of ITU-R BT.2408: SDR white (100% signal) is placed at 203 cd/m² in PQ/HLG
 *   (PQ code 0.581, HLG 0.75 — the BT.2408 figures), and HDR reference white comes back as SDR white.
 * - SDR is display-referred: zimg decodes BT.709 (and untagged) SDR with the BT.1886 EOTF (gamma 2.4),
 *   so SDR mid grey (128/255) lands at 0.19 × 203 ≈ 39 cd/m². HLG uses the BT.2100 OOTF of a 1000 cd/m²
 *   display.
 * - Every chain ends in full-range RGB (gbrp, or gbrap with alpha). The frame encoders then do the
 *   only YUV step themselves: PNG stays RGB, and swscale's RGB → yuvj420p for JPEG uses the BT.601
 *   full-range matrix that JPEG (JFIF) readers assume. Ending in a YUV matrix such as BT.2020 would
 *   reach the JPEG unconverted and be decoded with the wrong matrix.
 * - Alpha is carried: zscale and tonemap process the alpha plane unchanged (gbrapf32le / gbrap).
 * - No dithering (zscale's default), so a chain's output bytes are a pure function of its input.
 */
import type { ColorTarget } from './types.js';

/**
 * Bumped whenever a chain's parameters change, so that ids (and with them plan and cache keys) change:
 * frames made by an older chain are then never served for a newer one.
 */
export const COLOUR_CHAIN_VERSION = 2;

/** HDR reference white, cd/m² (ITU-R BT.2408): where SDR white sits in an HDR signal. */
export const REFERENCE_WHITE_NITS = 203;

/**
 * Brightest source luminance the HDR → SDR tone curve keeps distinct, cd/m². 1000 is the nominal peak of
 * the BT.2100 HLG reference display and the most common HDR10 mastering peak; brighter PQ highlights
 * clip to SDR white. (Not read from the source's mastering metadata: the probe does not report it.)
 */
export const TONE_MAP_PEAK_NITS = 1000;

/**
 * Mobius tone curve knee, in linear units of reference white: below it the curve is the identity (so
 * shadows and mid tones of a BT.2408-graded source keep their SDR values exactly), above it highlights
 * up to TONE_MAP_PEAK_NITS roll off smoothly into the rest of the SDR range. Measured: reference white
 * comes out at 229/255, mid grey at 128/255 (unchanged); hable (and npl=100) gave 173–193/255 white and
 * darkened mid tones.
 */
export const TONE_MAP_KNEE = 0.5;

/** What a transform does; the plan key carries it (with COLOUR_CHAIN_VERSION) as `colour`. */
export type ColourTransformKind =
  /** SDR source, SDR render: frames are decoded as they are. */
  | 'none'
  /** SDR (BT.709 or as tagged) → BT.2020 with the target transfer, SDR white at reference white. */
  | 'sdr-to-pq'
  | 'sdr-to-hlg'
  /** HDR → BT.709 SDR through a mobius tone curve. */
  | 'pq-to-sdr'
  | 'hlg-to-sdr'
  /** HDR → the other HDR transfer, same absolute luminance (reference white stays at 203 cd/m²). */
  | 'pq-to-hlg'
  | 'hlg-to-pq'
  /** HDR source already in the target transfer: signal untouched, only decoded to RGB (see file comment). */
  | 'pq-keep'
  | 'hlg-keep';

/** How a source is converted to the colour target (`colourTransform()`); `filter` is null when no conversion is needed. */
export interface ColourTransform {
  kind: ColourTransformKind;
  /** `${kind}/v${COLOUR_CHAIN_VERSION}`: the plan key field. */
  id: string;
  /** Comma-separated filters to append to the pass's -vf chain; null when nothing is converted. */
  filter: string | null;
}

/** The probe facts a colour decision needs (a subset of `MediaInfo`). */
export interface ColourSource {
  hdr: 'pq' | 'hlg' | null;
  colorTransfer: string | null;
  colorPrimaries: string | null;
  /** ffprobe's color_space (the YUV matrix), e.g. "bt709", "bt2020nc"; null when untagged. */
  colorSpace: string | null;
  /** Decoded pixel format; RGB formats have no YUV matrix. */
  pixelFormat: string;
}

// ffprobe's names that zscale accepts under the same spelling. Anything else (unknown, unspecified,
// names zimg lacks such as bt1361e) falls back to the BT.709 default or, for HDR, the BT.2020 default.
const ZSCALE_TRANSFERS = new Set([
  'bt709',
  'bt470m',
  'bt470bg',
  'smpte170m',
  'linear',
  'log100',
  'log316',
  'bt2020-10',
  'bt2020-12',
  'smpte2084',
  'iec61966-2-4',
  'iec61966-2-1',
  'arib-std-b67',
]);
const ZSCALE_PRIMARIES = new Set([
  'bt709',
  'bt470m',
  'bt470bg',
  'smpte170m',
  'smpte240m',
  'film',
  'bt2020',
  'smpte428',
  'smpte431',
  'smpte432',
  'jedec-p22',
]);
const ZSCALE_MATRICES = new Set(['bt709', 'fcc', 'bt470bg', 'smpte170m', 'ycgco', 'bt2020nc', 'bt2020c']);

/** Packed or planar RGB pixel formats (rgb24, argb, bgra, gbrp10le, rgb48be, …): zimg must treat them as RGB. */
export function isRgbPixelFormat(pixelFormat: string): boolean {
  return /^(gbr|rgb|bgr|argb|abgr|0rgb|rgb0|0bgr|bgr0|x2rgb|x2bgr)/.test(pixelFormat);
}

/** zscale's input options (tin/pin/min) for a source: its tags where zscale knows them, else defaults. */
export function sourceColourArgs(source: ColourSource): string {
  const fallbackTransfer = source.hdr === 'pq' ? 'smpte2084' : source.hdr === 'hlg' ? 'arib-std-b67' : 'bt709';
  const fallbackPrimaries = source.hdr ? 'bt2020' : 'bt709';
  const fallbackMatrix = source.hdr ? 'bt2020nc' : 'bt709';
  const transfer = source.colorTransfer && ZSCALE_TRANSFERS.has(source.colorTransfer) ? source.colorTransfer : fallbackTransfer;
  const primaries = source.colorPrimaries && ZSCALE_PRIMARIES.has(source.colorPrimaries) ? source.colorPrimaries : fallbackPrimaries;
  const matrix = isRgbPixelFormat(source.pixelFormat)
    ? 'gbr'
    : source.colorSpace && ZSCALE_MATRICES.has(source.colorSpace)
      ? source.colorSpace
      : fallbackMatrix;
  return `tin=${transfer}:pin=${primaries}:min=${matrix}`;
}

const ZSCALE_TRANSFER: Record<'pq' | 'hlg', string> = { pq: 'smpte2084', hlg: 'arib-std-b67' };

/**
 * Decides the transform from a source's colour to `target` and builds its filter chain.
 *
 * - SDR → SDR: 'none', no filter.
 * - SDR → pq/hlg: one zscale from the source's transfer/primaries/matrix to BT.2020 primaries with the
 *   target transfer, SDR white at REFERENCE_WHITE_NITS, full-range RGB out.
 * - pq/hlg → SDR: one zscale to linear light (1.0 = reference white) float RGB in BT.709 primaries,
 *   tonemap mobius (knee TONE_MAP_KNEE, peak TONE_MAP_PEAK_NITS, desat=0 so saturated
 *   colours are not pulled towards grey), zscale to the BT.709 transfer (BT.1886 inverse) in full range.
 *   Out-of-gamut BT.2020 colours clip per channel.
 * - pq ↔ hlg: one zscale between the transfers at equal absolute luminance (HLG's OOTF at 1000 cd/m²;
 *   PQ above 1000 cd/m² clips in HLG).
 * - same HDR transfer: signal untouched; zscale only decodes the YUV matrix to RGB.
 *
 * `alpha`: the plan writes RGBA, so the chain keeps the alpha plane (gbrap / gbrapf32le).
 */
export function colourTransform(source: ColourSource, target: ColorTarget, alpha: boolean): ColourTransform {
  const kind = transformKind(source.hdr, target);
  const id = `${kind}/v${COLOUR_CHAIN_VERSION}`;
  if (kind === 'none') return { kind, id, filter: null };
  const input = sourceColourArgs(source);
  const rgb = alpha ? 'gbrap' : 'gbrp';
  const npl = `npl=${REFERENCE_WHITE_NITS}`;
  if (target === 'sdr') {
    const float = alpha ? 'gbrapf32le' : 'gbrpf32le';
    const peak = TONE_MAP_PEAK_NITS / REFERENCE_WHITE_NITS;
    return {
      kind,
      id,
      filter: [
        // tonemap needs linear float RGB. zimg converts primaries in linear light anyway, so the gamut
        // step (BT.2020 → BT.709, before the tone curve so it acts on BT.709 channels) shares this zscale.
        `zscale=${input}:t=linear:p=bt709:${npl}`,
        `format=${float}`,
        `tonemap=tonemap=mobius:param=${TONE_MAP_KNEE}:desat=0:peak=${peak.toFixed(6)}`,
        `zscale=t=bt709:p=bt709:r=pc`,
        `format=${rgb}`,
      ].join(','),
    };
  }
  // HDR target: from SDR, from the other HDR transfer, or the same transfer (matrix decode only).
  return { kind, id, filter: `zscale=${input}:t=${ZSCALE_TRANSFER[target]}:p=bt2020:${npl}:r=pc,format=${rgb}` };
}

function transformKind(hdr: 'pq' | 'hlg' | null, target: ColorTarget): ColourTransformKind {
  if (hdr === null) return target === 'sdr' ? 'none' : target === 'pq' ? 'sdr-to-pq' : 'sdr-to-hlg';
  if (target === 'sdr') return hdr === 'pq' ? 'pq-to-sdr' : 'hlg-to-sdr';
  if (hdr === target) return hdr === 'pq' ? 'pq-keep' : 'hlg-keep';
  return hdr === 'pq' ? 'pq-to-hlg' : 'hlg-to-pq';
}
