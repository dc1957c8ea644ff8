/**
 * The audio effects a `data-fx-chain` may name (HyperFrames 0.8.170's effect list) and each one's
 * parameters: unit as the author writes it (dB, ms, Hz, plain ratio), usable range and default.
 * A value outside the range is clamped into it, a missing or non-numeric one takes the default, an
 * enum value not in its list takes the default: the same reading HyperFrames gives an attribute, so
 * one chain sounds alike in both.
 */

/** A numeric parameter in the author's unit: values are clamped into [min, max], missing or non-numeric ones take `default`. */
export interface NumberParam {
  kind: 'number';
  min: number;
  max: number;
  default: number;
}
/** A parameter that takes one of `options`; any other value takes `default`. */
export interface EnumParam {
  kind: 'enum';
  options: readonly string[];
  default: string;
}
/** One parameter of an audio effect: numeric or enumerated. */
export type FxParam = NumberParam | EnumParam;

const num = (min: number, max: number, def: number): NumberParam => ({ kind: 'number', min, max, default: def });
const oneOf = (options: readonly string[], def: string): EnumParam => ({ kind: 'enum', options, default: def });
const POLES = oneOf(['1', '2'], '2');
/** HyperFrames' default filter Q, written as it writes it (0.707, not √½). */
const DEFAULT_Q = 707 / 1000;

/** Every effect id with its parameters, keyed by parameter name. */
export const AUDIO_FX_PARAMS: Readonly<Record<string, Readonly<Record<string, FxParam>>>> = {
  gain: { gain: num(-60, 12, 0) },
  peaking: { frequency: num(20, 20000, 1000), gain: num(-40, 40, 0), q: num(0.1, 20, 1) },
  lowshelf: { frequency: num(20, 2000, 200), gain: num(-40, 40, 0) },
  highshelf: { frequency: num(500, 20000, 4000), gain: num(-40, 40, 0) },
  highpass: { frequency: num(20, 20000, 300), q: num(0.1, 20, DEFAULT_Q), poles: POLES },
  lowpass: { frequency: num(100, 20000, 8000), q: num(0.1, 20, DEFAULT_Q), poles: POLES },
  compressor: {
    threshold: num(-60, 0, -24),
    ratio: num(1, 20, 4),
    attack: num(0.01, 2000, 20),
    release: num(0.01, 9000, 250),
    knee: num(1, 8, 2.83),
    makeup: num(0, 36, 0),
    mix: num(0, 1, 1),
  },
  limiter: { limit: num(-24, 0, -1), attack: num(0.1, 80, 5), release: num(1, 8000, 50), level_out: num(-24, 24, 0) },
  gate: {
    threshold: num(-80, 0, -35),
    range: num(-80, 0, -24),
    ratio: num(1, 20, 10),
    attack: num(0.01, 9000, 1),
    release: num(0.01, 9000, 100),
    knee: num(1, 8, 2.83),
  },
  saturate: {
    type: oneOf(['tanh', 'atan', 'cubic', 'exp', 'alg', 'quintic', 'sin', 'erf', 'hard'], 'tanh'),
    threshold: num(-40, 0, -6),
    output: num(-24, 24, 0),
    oversample: num(1, 8, 4),
  },
  bitcrush: { bits: num(1, 32, 8), samples: num(1, 250, 1), mix: num(0, 1, 1) },
  pitchshift: { semitones: num(-12, 12, 0), mix: num(0, 1, 1) },
  delay: { time: num(1, 5000, 250), feedback: num(0.01, 0.95, 0.35), mix: num(0, 1, 0.4) },
  chorus: { delay: num(1, 100, 7), depth: num(0, 10, 2), speed: num(0.01, 10, 1), mix: num(0, 1, 0.5) },
  phaser: {
    in_gain: num(0, 1, 0.4),
    out_gain: num(0, 2, 0.74),
    delay: num(0.1, 5, 3),
    decay: num(0, 0.99, 0.4),
    speed: num(0.1, 2, 0.5),
    type: oneOf(['0', '1'], '0'),
  },
  reverb: { size: num(0.05, 1, 0.7), damping: num(0, 1, 0.5), wet: num(0, 1, 0.35), dry: num(0, 1, 0.7) },
};

/** Effects HyperFrames documents that framesmith does not reproduce: the node is skipped with a warning. */
export const UNSUPPORTED_FX: ReadonlySet<string> = new Set(['reverb']);

/** An effect's parameter values by parameter name, after normalization: numbers for numeric parameters, strings for enums. */
export type FxValues = Record<string, number | string>;

/** `values` read against `type`'s parameters: clamped, defaulted, unknown keys dropped. */
export function normalizeFxParams(type: string, values: unknown): FxValues {
  const defs = AUDIO_FX_PARAMS[type] ?? {};
  const given = (typeof values === 'object' && values !== null ? values : {}) as Record<string, unknown>;
  const out: FxValues = {};
  for (const [key, def] of Object.entries(defs)) {
    const raw = given[key];
    if (def.kind === 'enum') {
      out[key] = typeof raw === 'string' && def.options.includes(raw) ? raw : def.default;
      continue;
    }
    // Only a number or a string spelling one: Number(null) and Number('') are 0, not "missing".
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
    out[key] = Number.isFinite(n) ? Math.min(def.max, Math.max(def.min, n)) : def.default;
  }
  return out;
}
