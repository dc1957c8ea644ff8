/**
 * HyperFrames' audio effects and volume envelopes as ffmpeg filters (the attributes are read by
 * src/composition/audio-authoring.ts). The parameter set of each effect was designed after an ffmpeg
 * filter, so most map one to one (dB → linear where the filter wants a ratio):
 *
 *   gain → volume; peaking → equalizer; lowshelf/highshelf → lowshelf/highshelf (slope 1, the Web
 *   Audio shelf); highpass/lowpass → highpass/lowpass (two poles: Q read as Web Audio reads it, in
 *   dB, so Q 0.707 is a linear Q of 1.085; one pole: the plain first-order filter); compressor →
 *   acompressor; limiter → alimiter (auto-level off); gate → agate; saturate → asoftclip; bitcrush →
 *   acrusher; pitchshift → rubberband pitch, blended with the dry signal by `mix`; delay → aecho
 *   with one tap per feedback echo (delay d, 2d, 3d… at mix·feedback^(k-1)) down to -60 dB; chorus →
 *   chorus; phaser → aphaser.
 *
 * Effects that ring on (delay, chorus, pitch shift) get a tail: the clip is padded with silence before
 * the chain and kept that much longer after it, at most 5 s, as HyperFrames lets it through.
 */
import type { Envelope, FxNode } from '../composition/audio-authoring.js';

/** Linear ratio of a level in dB. */
const lin = (db: number): number => 10 ** (db / 20);
/** A number for a filter argument: fixed precision, no exponent. */
const f = (value: number): string => Number(value.toFixed(6)).toString();
const n = (node: FxNode, key: string): number => Number(node.params[key]);
/** Echo taps are kept down to this fraction of the first one (-60 dB). */
const TAIL_FLOOR = 0.001;
const MAX_TAIL_SECONDS = 5;

/** The delay's echo count: feedback^(k-1) stays above TAIL_FLOOR, and the last echo within 5 s. */
function echoCount(node: FxNode): number {
  const gap = n(node, 'time') / 1000;
  const byLevel = Math.ceil(Math.log(TAIL_FLOOR) / Math.log(n(node, 'feedback')));
  return Math.max(1, Math.min(byLevel, Math.floor(MAX_TAIL_SECONDS / gap)));
}

/** Seconds an effect chain keeps sounding after its input ends (at most 5). */
export function fxTailSeconds(nodes: readonly FxNode[]): number {
  let tail = 0;
  for (const node of nodes) {
    if (node.type === 'delay' && n(node, 'mix') > 0) tail += echoCount(node) * (n(node, 'time') / 1000);
    else if (node.type === 'chorus' && n(node, 'mix') > 0) tail += n(node, 'delay') / 1000;
    else if (node.type === 'pitchshift' && n(node, 'mix') > 0 && n(node, 'semitones') !== 0) tail += 0.2;
  }
  return Math.min(MAX_TAIL_SECONDS, tail);
}

/** The filters of one effect in a plain chain, or null for the effects that branch (pitchshift). */
function linearFilter(node: FxNode): string | null {
  const p = node.params;
  switch (node.type) {
    case 'gain':
      return `volume=${f(lin(n(node, 'gain')))}:precision=float`;
    case 'peaking':
      return `equalizer=f=${f(n(node, 'frequency'))}:t=q:w=${f(n(node, 'q'))}:g=${f(n(node, 'gain'))}`;
    case 'lowshelf':
    case 'highshelf':
      return `${node.type}=f=${f(n(node, 'frequency'))}:t=s:w=1:g=${f(n(node, 'gain'))}`;
    case 'highpass':
    case 'lowpass':
      return p.poles === '1'
        ? `${node.type}=f=${f(n(node, 'frequency'))}:p=1`
        : `${node.type}=f=${f(n(node, 'frequency'))}:p=2:t=q:w=${f(lin(n(node, 'q')))}`;
    case 'compressor':
      return `acompressor=threshold=${f(lin(n(node, 'threshold')))}:ratio=${f(n(node, 'ratio'))}:attack=${f(n(node, 'attack'))}:release=${f(n(node, 'release'))}:knee=${f(n(node, 'knee'))}:makeup=${f(lin(n(node, 'makeup')))}:mix=${f(n(node, 'mix'))}`;
    case 'limiter':
      return `alimiter=limit=${f(lin(n(node, 'limit')))}:attack=${f(n(node, 'attack'))}:release=${f(n(node, 'release'))}:level_out=${f(lin(n(node, 'level_out')))}:level=0`;
    case 'gate':
      return `agate=threshold=${f(lin(n(node, 'threshold')))}:range=${f(lin(n(node, 'range')))}:ratio=${f(n(node, 'ratio'))}:attack=${f(n(node, 'attack'))}:release=${f(n(node, 'release'))}:knee=${f(n(node, 'knee'))}`;
    case 'saturate':
      return `asoftclip=type=${String(p.type)}:threshold=${f(lin(n(node, 'threshold')))}:output=${f(lin(n(node, 'output')))}:oversample=${Math.round(n(node, 'oversample'))}`;
    case 'bitcrush':
      return `acrusher=bits=${f(n(node, 'bits'))}:samples=${Math.round(n(node, 'samples'))}:mix=${f(n(node, 'mix'))}`;
    case 'delay': {
      const mix = n(node, 'mix');
      if (mix === 0) return 'anull';
      const count = echoCount(node);
      const delays = Array.from({ length: count }, (_, k) => f(n(node, 'time') * (k + 1))).join('|');
      const decays = Array.from({ length: count }, (_, k) => f(Math.max(1e-6, mix * n(node, 'feedback') ** k))).join('|');
      return `aecho=in_gain=${f(1 - mix)}:out_gain=1:delays=${delays}:decays=${decays}`;
    }
    case 'chorus': {
      const mix = n(node, 'mix');
      if (mix === 0) return 'anull';
      return `chorus=in_gain=${f(1 - mix)}:out_gain=1:delays=${f(n(node, 'delay'))}:decays=${f(mix)}:speeds=${f(n(node, 'speed'))}:depths=${f(Math.max(0.01, n(node, 'depth')))}`;
    }
    case 'phaser':
      return `aphaser=in_gain=${f(n(node, 'in_gain'))}:out_gain=${f(n(node, 'out_gain'))}:delay=${f(n(node, 'delay'))}:decay=${f(n(node, 'decay'))}:speed=${f(n(node, 'speed'))}:type=${p.type === '1' ? 's' : 't'}`;
    case 'pitchshift':
      return n(node, 'semitones') === 0 || n(node, 'mix') === 0 ? 'anull' : null;
    default:
      throw new Error(`no ffmpeg filter for the audio effect "${node.type}"`);
  }
}

/**
 * Filter-graph lines that run `nodes` in order from label `input` to label `output`; `prefix` makes
 * the intermediate labels unique in the graph. Every line ends with `;`.
 */
export function fxGraphLines(input: string, output: string, nodes: readonly FxNode[], prefix: string): string[] {
  const lines: string[] = [];
  let chain: string[] = [];
  let from = input;
  nodes.forEach((node, i) => {
    const filter = linearFilter(node);
    if (filter !== null) {
      chain.push(filter);
      return;
    }
    // pitchshift: wet = rubberband, blended with the dry signal by `mix`.
    const mix = n(node, 'mix');
    const ratio = 2 ** (n(node, 'semitones') / 12);
    const [dry, wet, shifted, blended] = [`${prefix}d${i}`, `${prefix}w${i}`, `${prefix}s${i}`, `${prefix}b${i}`];
    lines.push(`[${from}]${[...chain, 'asplit=2'].join(',')}[${dry}][${wet}];`);
    lines.push(`[${wet}]rubberband=pitch=${f(ratio)}:channels=together[${shifted}];`);
    lines.push(`[${dry}][${shifted}]amix=inputs=2:weights='${f(1 - mix)} ${f(mix)}':normalize=0:duration=first[${blended}];`);
    chain = [];
    from = blended;
  });
  lines.push(`[${from}]${chain.length > 0 ? chain.join(',') : 'anull'}[${output}];`);
  return lines;
}

/**
 * Filters that multiply a stream by `envelope`, whose times are seconds from the stream's first
 * sample. The gain is evaluated every 64 samples (1.3 ms at 48 kHz) by an expression that is a
 * balanced binary search over the points, `if(lt(t,T),left,right)` down to the segment holding t and
 * its line `v + slope·(t − t0)`: ffmpeg evaluates only the branch taken, so the cost per evaluation
 * and the expression's nesting both grow with log2 of the point count (a flat sum of one term per
 * segment stops parsing at about 100 terms and costs every term each time).
 */
export function envelopeFilters(envelope: Envelope): string[] {
  if (envelope.length === 0) return [];
  return [
    'asetpts=N/SR/TB',
    'asetnsamples=n=64:p=0',
    `volume=volume='${searchExpr(envelope, 0, envelope.length)}':eval=frame:precision=float`,
  ];
}

/**
 * The gain for t within the pieces from point `lo` (inclusive) to `hi` (exclusive): piece i covers
 * [t_i, t_i+1), the last piece holds the last value, and t before the first point holds the first.
 */
function searchExpr(env: Envelope, lo: number, hi: number): string {
  if (hi - lo === 1) {
    const a = env[lo]!;
    const b = env[lo + 1];
    if (!b || b.t <= a.t || b.v === a.v) return f(a.v);
    const slope = (b.v - a.v) / (b.t - a.t);
    // The first piece also answers for t before its point, where the value holds.
    const x = lo === 0 ? `max(t,${f(a.t)})` : 't';
    return `(${f(a.v)}${slope < 0 ? '-' : '+'}${f(Math.abs(slope))}*(${x}-${f(a.t)}))`;
  }
  const mid = (lo + hi) >> 1;
  return `if(lt(t,${f(env[mid]!.t)}),${searchExpr(env, lo, mid)},${searchExpr(env, mid, hi)})`;
}
