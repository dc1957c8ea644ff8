/**
 * The options that decide the picture's size and colour: `resolution`, `dynamicRange` and
 * `videoFrameFormat`, checked before any work (a bad value or combination is `invalid_option`, the
 * CLI's exit 2), and the HDR decision once the output format is known.
 */
import type { Composition } from '../composition/model.js';
import type { HdrTransfer } from '../encode/hdr.js';
import { probeMedia } from '../media/probe.js';
import type { OutputFormat } from '../stages/stage.js';
import type { RenderWarning } from '../warnings.js';
import { checkResolutionName } from './resolution.js';
import type { RenderOptions } from './types.js';
import { RenderError } from './errors.js';

const VIDEO_FRAME_FORMATS = ['auto', 'jpg', 'png'];

/** Throws `invalid_option` for a bad `resolution`, `dynamicRange` or `videoFrameFormat`, or one that cannot combine. */
export function checkPictureOptions(options: RenderOptions): void {
  const bad = (option: string, message: string) => new RenderError('invalid_option', message, { option });
  if (options.resolution !== undefined) checkResolutionName(options.resolution);
  if (options.videoFrameFormat !== undefined && !VIDEO_FRAME_FORMATS.includes(options.videoFrameFormat)) {
    throw bad('videoFrameFormat', `\`videoFrameFormat\` must be auto, jpg or png (got "${String(options.videoFrameFormat)}")`);
  }
  if (options.dynamicRange !== undefined && options.dynamicRange !== 'sdr' && options.dynamicRange !== 'hdr') {
    throw bad('dynamicRange', `\`dynamicRange\` must be "sdr" or "hdr" (got "${String(options.dynamicRange)}")`);
  }
  if (options.dynamicRange !== 'hdr') return;
  if (options.resolution !== undefined) {
    throw bad(
      'resolution',
      "`resolution` cannot be combined with `dynamicRange: 'hdr'`: HDR output is encoded at the composition's size; render HDR without `resolution`, or SDR at the preset",
    );
  }
  if (options.chunkFrames !== undefined || options.redis !== undefined || options.storage !== undefined) {
    throw bad(
      'dynamicRange',
      "`dynamicRange: 'hdr'` is not supported by planned renders (`chunkFrames`, `redis`, `storage`): their segments are SDR H.264; render HDR in one process",
    );
  }
}

/**
 * Whether the render encodes HDR: `dynamicRange: 'hdr'` and an mp4 output. Any other format is written
 * SDR, with the warning returned here (as HyperFrames does: its HDR output is mp4 only).
 */
export function hdrFor(options: RenderOptions, format: OutputFormat): { hdr: boolean; warning?: RenderWarning } {
  if (options.dynamicRange !== 'hdr') return { hdr: false };
  if (format === 'mp4') return { hdr: true };
  return {
    hdr: false,
    warning: {
      code: 'hdr_unsupported',
      message: `\`dynamicRange: 'hdr'\`: ${format} output is written SDR (BT.709); HDR output (H.265 10-bit, BT.2020, HLG or PQ) is mp4 only: render with \`format\` mp4 for HDR`,
    },
  };
}

/**
 * The transfer of an HDR render of `composition`: PQ when one of its videos is PQ, else HLG (as
 * HyperFrames picks: HLG when no source is HDR). With it, a warning per HDR video: the page shows its
 * frames tone-mapped to SDR, so the output holds them at most at reference white.
 */
export async function hdrTransferOf(composition: Composition): Promise<{ transfer: HdrTransfer; warnings: RenderWarning[] }> {
  const videos = composition.media.filter((m) => m.kind === 'video');
  const probed = await Promise.all(videos.map(async (v) => ({ v, hdr: (await probeMedia(v.src).catch(() => null))?.hdr ?? null })));
  const hdrVideos = probed.filter((p) => p.hdr !== null);
  const warnings = hdrVideos.map(
    ({ v, hdr }): RenderWarning => ({
      code: 'hdr_unsupported',
      element: v.label,
      file: v.src,
      message: `${v.label}: ${v.src} is HDR (${hdr === 'pq' ? 'PQ' : 'HLG'}); the page shows its frames tone-mapped to SDR, so the \`dynamicRange: 'hdr'\` output holds them up to reference white (203 cd/m²), without their highlights`,
    }),
  );
  return { transfer: hdrVideos.some((p) => p.hdr === 'pq') ? 'pq' : 'hlg', warnings };
}

/**
 * The HDR transfer a streaming render encodes with (undefined: SDR), from the decision `hdrFor` made
 * at resolution (src/render/options.ts); its warnings given to `warn`.
 */
export async function hdrOf(
  decision: { hdr: boolean; hdrWarning: RenderWarning | null },
  composition: Composition,
  warn: (w: RenderWarning) => void,
): Promise<HdrTransfer | undefined> {
  if (decision.hdrWarning) warn(decision.hdrWarning);
  if (!decision.hdr) return undefined;
  const { transfer, warnings } = await hdrTransferOf(composition);
  for (const w of warnings) warn(w);
  return transfer;
}
