/**
 * HDR mp4 (`--hdr`): H.265 Main 10 (libx265), BT.2020 primaries and matrix, limited range, HLG
 * (ARIB STD-B67) or PQ (SMPTE ST 2084) transfer, with HDR10 static metadata (mastering display,
 * MaxCLL/MaxFALL) in the stream and the colour tags in the container.
 *
 * The browser draws SDR (sRGB / BT.709). Its frames are placed in the HDR signal as BT.2408 advises
 * for SDR content: reference white at 203 cd/m² — measured here with zscale `npl=203`: white becomes
 * 75% HLG and 58% PQ signal, the reference-white levels of BT.2408 — so the picture looks as it did
 * in SDR on an HDR display, and HLG stays watchable on SDR displays.
 */
import { formatRational, type Rational } from '../media/rational.js';
import { fillRepeats } from './frame-stream.js';

/** The transfer of an HDR output. */
export type HdrTransfer = 'hlg' | 'pq';

/** Nominal peak luminance zscale maps SDR white to, cd/m² (BT.2408 reference white). */
const REFERENCE_WHITE_NITS = 203;

/** Display primaries (P3-D65 mastering display, as HDR10 tooling writes by default) and 1000/0.0001 cd/m². */
const MASTER_DISPLAY = 'G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,1)';
/** MaxCLL, MaxFALL: the content never exceeds SDR reference white. */
const MAX_CLL = `${REFERENCE_WHITE_NITS},${REFERENCE_WHITE_NITS}`;

/** ffmpeg's names of the transfers. */
const TRANSFER_TAG: Record<HdrTransfer, string> = { hlg: 'arib-std-b67', pq: 'smpte2084' };

/**
 * The filters that turn RGB frames (sRGB, full range) into 10-bit BT.2020 YUV with the HDR transfer:
 * one zscale step, after the frames are planar RGB (zscale finds no path from packed rgb24).
 */
export function hdrFilters(transfer: HdrTransfer): string[] {
  return [
    'format=gbrp',
    `zscale=tin=iec61966-2-1:pin=bt709:min=gbr:rin=full:t=${TRANSFER_TAG[transfer]}:p=bt2020:m=bt2020nc:r=limited:npl=${REFERENCE_WHITE_NITS}`,
    'format=yuv420p10le',
  ];
}

/**
 * ffmpeg arguments of an HDR mp4 encode from stdin (`input`: the input arguments;
 * `filters`: those the SDR path runs first, e.g. padding to an even size; `rateControl`: CRF or bitrate
 * arguments; `x265Preset`: the quality preset's, x265 has the same names as x264).
 */
export function hdrMp4Args(
  options: { hdr: HdrTransfer; fps: Rational; output: string },
  input: string[],
  filters: string[],
  x265Preset: string,
  rateControl: string[],
): string[] {
  const tag = TRANSFER_TAG[options.hdr];
  const params = [
    `colorprim=bt2020`,
    `transfer=${tag}`,
    'colormatrix=bt2020nc',
    'range=limited',
    `master-display=${MASTER_DISPLAY}`,
    `max-cll=${MAX_CLL}`,
    'hdr10=1',
    'repeat-headers=1',
    'log-level=error',
  ];
  return [
    '-y',
    ...input,
    '-vf',
    [...filters, ...hdrFilters(options.hdr), fillRepeats(options.fps)].join(','),
    '-an',
    '-c:v',
    'libx265',
    '-preset',
    x265Preset,
    ...rateControl,
    '-pix_fmt',
    'yuv420p10le',
    '-profile:v',
    'main10',
    '-x265-params',
    params.join(':'),
    // hvc1: the sample entry Apple players require for HEVC in mp4.
    '-tag:v',
    'hvc1',
    '-color_primaries',
    'bt2020',
    '-color_trc',
    tag,
    '-colorspace',
    'bt2020nc',
    '-color_range',
    'tv',
    '-r',
    formatRational(options.fps),
    '-movflags',
    '+faststart',
    '-f',
    'mp4',
    options.output,
  ];
}
