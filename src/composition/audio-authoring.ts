/**
 * The audio attributes HyperFrames authors write on media and on `<hf-audio-group>` elements, read
 * into the timeline model (the mix applies them: src/encode/audio-fx.ts):
 *
 * - `data-fx-chain`: `{"version":1,"nodes":[{"type":"lowpass","params":{"frequency":800}},…]}`, an
 *   ordered chain of effects (audio-fx-params.ts). Nodes with `"enabled":false` are skipped. A type
 *   HyperFrames does not know is an error (HyperFrames refuses it too); one it knows and framesmith
 *   does not reproduce (`reverb`) is skipped and reported in `unsupported` (a render warning).
 * - `data-automation`: `{"version":1,"lanes":[{"target":"volume","points":[{"t":0,"v":0},{"t":2,"v":1}]}]}`.
 *   The `volume` lane is the clip's gain over clip-local seconds (a group's: composition seconds),
 *   linear 0–3.98 (+12 dB); it replaces `data-volume`. Before the first point and after the last the
 *   value holds. A point's `curve` (-1..1) bends the segment leaving it to progress^(2^(2·curve));
 *   a `viaX`/`viaY` pair bends it through that point (as a power curve; HyperFrames draws a conic
 *   through the same point). Lanes on effect parameters, presets or speed are reported in `unsupported`.
 * - `data-audio-group="bus"` on an `<audio id>`: the clip is summed (no normalisation) into the bus,
 *   whose `<hf-audio-group id="bus">` element (same sub-composition) may carry `data-volume`,
 *   `data-fx-chain`, `data-automation` and `data-hidden` (members dropped from the mix). Group ids
 *   are scoped per sub-composition instance. On a `<video>` the attribute is inert, as there.
 */
import type { HTMLElement } from 'node-html-parser';
import { AUDIO_FX_PARAMS, normalizeFxParams, UNSUPPORTED_FX, type FxValues } from './audio-fx-params.js';
import { enclosingComposition, labelOf } from './dom.js';
import { CompositionError } from './errors.js';

/** One effect to apply: an id of AUDIO_FX_PARAMS (never an unsupported one) and its normalized values. */
export interface FxNode {
  type: string;
  params: FxValues;
}

/** A piecewise-linear gain envelope: sorted by `t` (seconds), `v` linear gain; holds outside the points. */
export type Envelope = ReadonlyArray<{ t: number; v: number }>;

/** What a media element's audio attributes ask for. */
export interface AudioAuthoring {
  fx?: FxNode[];
  /** The volume lane, clip-local seconds; replaces `data-volume`. */
  envelope?: Envelope;
  /** Key of the bus it is summed into (an `AudioGroup.key`). */
  group?: string;
  /** What the attributes asked for and the mix does not do (one sentence each, naming the element). */
  unsupported?: string[];
}

/** A bus of grouped clips. */
export interface AudioGroup {
  /** Unique per sub-composition instance. */
  key: string;
  /** The authored `data-audio-group` id. */
  id: string;
  volume: number;
  hidden: boolean;
  fx?: FxNode[];
  /** Composition seconds. */
  envelope?: Envelope;
  unsupported?: string[];
}

/** The +12 dB ceiling HyperFrames gives volume and its lane. */
export const MAX_AUDIO_GAIN = 10 ** (12 / 20);
/** Points per lane read, as HyperFrames caps them. */
const MAX_POINTS = 512;
/** Samples per second drawn along a curved segment. */
const CURVE_STEPS_PER_SECOND = 100;

/**
 * Reads the audio attributes of `media` (each with its element and file) and the groups they name.
 * Sets `authoring` on the media entries that have any; returns the groups with at least one member.
 */
export function readAudioAuthoring(
  document: HTMLElement,
  media: ReadonlyArray<{ el: HTMLElement; label: string; file: string; kind: 'audio' | 'video'; set: (a: AudioAuthoring) => void }>,
): AudioGroup[] {
  const groupEls = document.querySelectorAll('hf-audio-group');
  const groups = new Map<string, AudioGroup>();
  const scopes = new Map<HTMLElement | null, number>();
  for (const m of media) {
    const notes: string[] = [];
    const authoring: AudioAuthoring = {};
    const chain = m.el.getAttribute('data-fx-chain');
    if (chain !== undefined && chain.trim() !== '') authoring.fx = parseFxChain(chain, m.label, m.file, notes);
    const automation = m.el.getAttribute('data-automation');
    if (automation !== undefined && automation.trim() !== '') {
      const envelope = parseAutomation(automation, m.label, m.file, notes);
      if (envelope) authoring.envelope = envelope;
    }
    const groupId = m.el.getAttribute('data-audio-group')?.trim();
    if (groupId && m.kind === 'audio' && m.el.getAttribute('id')) {
      const scope = enclosingComposition(m.el);
      if (!scopes.has(scope)) scopes.set(scope, scopes.size);
      const key = `${scopes.get(scope)}:${groupId}`;
      const el = groupEls.find((g) => g.getAttribute('id') === groupId && enclosingComposition(g) === scope);
      if (!groups.has(key)) groups.set(key, readGroup(key, groupId, el, m.file));
      authoring.group = key;
    }
    if (notes.length > 0) authoring.unsupported = notes;
    if (Object.keys(authoring).length > 0) m.set(authoring);
  }
  return [...groups.values()];
}

/** A bus from its `<hf-audio-group>` element (the one with its id in the members' composition), else defaults. */
function readGroup(key: string, id: string, el: HTMLElement | undefined, file: string): AudioGroup {
  const group: AudioGroup = { key, id, volume: 1, hidden: false };
  if (!el) return group;
  const label = labelOf(el);
  const volume = Number.parseFloat(el.getAttribute('data-volume') ?? '');
  if (Number.isFinite(volume)) group.volume = Math.min(MAX_AUDIO_GAIN, Math.max(0, volume));
  group.hidden = el.hasAttribute('data-hidden');
  const notes: string[] = [];
  const chain = el.getAttribute('data-fx-chain');
  if (chain !== undefined && chain.trim() !== '') group.fx = parseFxChain(chain, label, file, notes);
  const automation = el.getAttribute('data-automation');
  if (automation !== undefined && automation.trim() !== '') {
    const envelope = parseAutomation(automation, label, file, notes);
    if (envelope) group.envelope = envelope;
  }
  if (notes.length > 0) group.unsupported = notes;
  return group;
}

function invalid(label: string, file: string, message: string): CompositionError {
  return new CompositionError('invalid_audio', `${label} in ${file}: ${message}`, { file, element: label });
}

function parseJson(text: string, attr: string, label: string, file: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw invalid(
      label,
      file,
      `${attr} is not valid JSON (${(error as Error).message}): write it as HyperFrames does, e.g. ${attr}='{"version":1,…}'`,
    );
  }
  if (typeof value !== 'object' || value === null || (value as { version?: unknown }).version !== 1) {
    throw invalid(label, file, `${attr} must be a JSON object with "version": 1`);
  }
  return value as Record<string, unknown>;
}

/** The enabled nodes of a `data-fx-chain`, unsupported ones left out and noted. */
export function parseFxChain(text: string, label: string, file: string, notes: string[]): FxNode[] {
  const chain = parseJson(text, 'data-fx-chain', label, file);
  if (!Array.isArray(chain.nodes)) throw invalid(label, file, 'data-fx-chain has no "nodes" array');
  const nodes: FxNode[] = [];
  chain.nodes.forEach((raw: unknown, i: number) => {
    const node = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const type = node.type;
    if (typeof type !== 'string' || !(type in AUDIO_FX_PARAMS)) {
      throw invalid(
        label,
        file,
        `data-fx-chain node ${i} has unknown effect type ${JSON.stringify(type)}: use one of ${Object.keys(AUDIO_FX_PARAMS).join(', ')}`,
      );
    }
    if (node.enabled === false) return;
    if (UNSUPPORTED_FX.has(type)) {
      notes.push(`${label}: the "${type}" effect of its data-fx-chain is not supported by framesmith; the track is mixed without it`);
      return;
    }
    if (typeof node.presetAmount === 'number' && node.presetAmount < 1) {
      notes.push(`${label}: data-fx-chain node ${i} has presetAmount ${node.presetAmount}; framesmith applies presets fully`);
    }
    nodes.push({ type, params: normalizeFxParams(type, node.params) });
  });
  return nodes;
}

/** The volume lane of a `data-automation` as an envelope (null without one); other lanes noted. */
export function parseAutomation(text: string, label: string, file: string, notes: string[]): Envelope | null {
  const automation = parseJson(text, 'data-automation', label, file);
  if (!Array.isArray(automation.lanes)) throw invalid(label, file, 'data-automation has no "lanes" array');
  let envelope: Envelope | null = null;
  automation.lanes.forEach((raw: unknown, i: number) => {
    const lane = (typeof raw === 'object' && raw !== null ? raw : {}) as { target?: unknown; points?: unknown };
    if (typeof lane.target !== 'string' || !Array.isArray(lane.points)) {
      throw invalid(label, file, `data-automation lane ${i} needs a "target" string and a "points" array`);
    }
    if (lane.target === 'volume') {
      envelope = laneEnvelope(lane.points);
    } else if (lane.points.length > 0) {
      notes.push(
        `${label}: the data-automation lane "${lane.target}" is not supported by framesmith (only "volume" is); its parameter keeps its static value`,
      );
    }
  });
  return envelope;
}

function finite(value: unknown): number | null {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  return Number.isFinite(n) ? n : null;
}

interface LanePoint {
  t: number;
  v: number;
  shape?: (x: number) => number;
}

/** How a point bends the segment leaving it: progress 0..1 → value progress 0..1. */
function shapeOf(p: Record<string, unknown>): ((x: number) => number) | undefined {
  const viaX = finite(p.viaX);
  const viaY = finite(p.viaY);
  if (viaX !== null && viaY !== null) {
    const x = Math.min(0.999, Math.max(0.001, viaX));
    const y = Math.min(0.999, Math.max(0.001, viaY));
    if (Math.abs(x - y) > 1e-6) {
      const power = Math.log(y) / Math.log(x);
      return (t) => t ** power;
    }
  }
  const curve = Math.min(1, Math.max(-1, finite(p.curve) ?? 0));
  if (curve === 0) return undefined;
  const power = 2 ** (2 * curve);
  return (t) => t ** power;
}

/** A lane's points as a piecewise-linear envelope: sorted, later duplicates win, curves sampled. */
function laneEnvelope(raw: unknown[]): Envelope | null {
  const byTime = new Map<number, LanePoint>();
  for (const item of raw) {
    const p = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
    const t = finite(p.t);
    const v = finite(p.v);
    if (t === null || v === null) continue;
    const shape = shapeOf(p);
    byTime.set(Math.max(0, t), { t: Math.max(0, t), v: Math.min(MAX_AUDIO_GAIN, Math.max(0, v)), ...(shape ? { shape } : {}) });
  }
  const points = [...byTime.values()].sort((a, b) => a.t - b.t).slice(0, MAX_POINTS);
  if (points.length === 0) return null;
  const out: { t: number; v: number }[] = [];
  points.forEach((a, i) => {
    out.push({ t: a.t, v: a.v });
    const b = points[i + 1];
    if (!b || !a.shape) return;
    const steps = Math.max(2, Math.ceil((b.t - a.t) * CURVE_STEPS_PER_SECOND));
    for (let k = 1; k < steps; k++) {
      const x = k / steps;
      out.push({ t: a.t + (b.t - a.t) * x, v: a.v + (b.v - a.v) * a.shape(x) });
    }
  });
  return out;
}
