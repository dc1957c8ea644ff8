/**
 * `--resolution <preset>` (HyperFrames' output presets): the composition keeps its CSS size and the
 * browser draws it at a higher device scale factor, so every captured frame lands at the preset's
 * size — text, borders and vector shapes are drawn sharp at that size, not upscaled after capture.
 *
 * The preset must have the composition's aspect and be a whole multiple of its size (1920x1080 from a
 * 320x180 composition: factor 6). The aspect-agnostic aliases `1080p`, `hd`, `4k` and `uhd` turn to the
 * orientation of the composition (a portrait composition with `4k` renders at portrait-4k).
 */
import { RenderError } from './errors.js';

/** The output sizes a `resolution` may name. */
export const RESOLUTION_PRESETS = {
  landscape: { width: 1920, height: 1080 },
  portrait: { width: 1080, height: 1920 },
  'landscape-4k': { width: 3840, height: 2160 },
  'portrait-4k': { width: 2160, height: 3840 },
  square: { width: 1080, height: 1080 },
  'square-4k': { width: 2160, height: 2160 },
} as const;

/** The name of an output size in RESOLUTION_PRESETS (aliases such as `4k` not included). */
export type ResolutionPreset = keyof typeof RESOLUTION_PRESETS;

const ALIASES: Record<string, ResolutionPreset> = {
  '1080p': 'landscape',
  hd: 'landscape',
  '1080p-portrait': 'portrait',
  'portrait-1080p': 'portrait',
  '4k': 'landscape-4k',
  uhd: 'landscape-4k',
  '4k-portrait': 'portrait-4k',
  '1080p-square': 'square',
  'square-1080p': 'square',
  '4k-square': 'square-4k',
};

/** Aliases that name a tier (1080 or 4K lines) rather than an orientation. */
const ASPECT_AGNOSTIC = new Set(['1080p', 'hd', '4k', 'uhd']);

/** Every accepted name, for messages and the CLI help. */
export const RESOLUTION_NAMES = [...Object.keys(RESOLUTION_PRESETS), ...Object.keys(ALIASES)];

/** The preset a name (any case) stands for, or null when it names none. */
export function presetOf(name: string): ResolutionPreset | null {
  const lowered = name.toLowerCase();
  if (Object.hasOwn(RESOLUTION_PRESETS, lowered)) return lowered as ResolutionPreset;
  return ALIASES[lowered] ?? null;
}

/** Throws `invalid_option` unless `name` is a preset or an alias. */
export function checkResolutionName(name: string): ResolutionPreset {
  const preset = presetOf(name);
  if (!preset) {
    throw new RenderError(
      'invalid_option',
      `\`resolution\` "${name}" is not a preset: use one of ${Object.keys(RESOLUTION_PRESETS).join(', ')} (or the aliases ${Object.keys(ALIASES).join(', ')})`,
      { option: 'resolution' },
    );
  }
  return preset;
}

function sameAspect(size: { width: number; height: number }, width: number, height: number): boolean {
  return size.width * height === size.height * width;
}

/** The preset with the composition's aspect, in the tier (4K or not) of `preset`; null when none has it. */
function matchingPreset(width: number, height: number, preset: ResolutionPreset): ResolutionPreset | null {
  const matches = (Object.keys(RESOLUTION_PRESETS) as ResolutionPreset[]).filter((p) => sameAspect(RESOLUTION_PRESETS[p], width, height));
  const is4k = preset.endsWith('-4k');
  return matches.find((p) => p.endsWith('-4k') === is4k) ?? matches[0] ?? null;
}

/**
 * The device scale factor that draws a `width`×`height` composition at the size `name` stands for:
 * a whole number >= 1. Throws `invalid_option` naming the composition's size (and `file`) and the
 * preset when the aspect differs, the preset is smaller, or the factor is not a whole number.
 */
export function deviceScaleFactorFor(name: string, width: number, height: number, file: string): number {
  let preset = checkResolutionName(name);
  if (ASPECT_AGNOSTIC.has(name.toLowerCase())) preset = matchingPreset(width, height, preset) ?? preset;
  const target = RESOLUTION_PRESETS[preset];
  const what = `\`resolution\` ${name} (${preset}, ${target.width}x${target.height})`;
  const composition = `the composition ${file} is ${width}x${height}`;
  if (!sameAspect(target, width, height)) {
    const suggestion = matchingPreset(width, height, preset);
    const fix = suggestion
      ? `use \`resolution\` ${suggestion}`
      : 'no preset has its aspect: change data-width/data-height, or render without `resolution`';
    throw new RenderError('invalid_option', `${what} does not have the aspect of ${composition}: ${fix}`, { file });
  }
  const scale = target.width / width;
  if (scale < 1)
    throw new RenderError('invalid_option', `${what} is smaller than ${composition}; \`resolution\` only scales up: render without it`, {
      file,
      option: 'resolution',
    });
  if (!Number.isInteger(scale)) {
    throw new RenderError(
      'invalid_option',
      `${what} needs a device scale factor of ${Number(scale.toFixed(4))}, and only whole multiples keep pixels sharp; ${composition}: pick a preset that is a whole multiple of it, or set data-width/data-height to a size that divides it`,
      { file },
    );
  }
  return scale;
}

/** `PageSettings.deviceScaleFactor` for a render's `resolution` option (undefined without one). */
export function scaleOption(
  resolution: string | undefined,
  file: string,
): ((size: { width: number; height: number }) => number) | undefined {
  return resolution === undefined ? undefined : (size) => deviceScaleFactorFor(resolution, size.width, size.height, file);
}
