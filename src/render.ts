/**
 * `render()`: a composition to a video file (or PNG sequence), in one of two shapes that capture
 * through the same session (`openCaptureSession`, src/render/capture-session.ts):
 *
 * - streaming (the default): one process captures every frame straight into the encoder
 *   (src/render/streaming.ts);
 * - planned: plan → chunks → assemble over a storage directory (src/render/planned.ts), when
 *   `chunkFrames`, `redis` or `storage` is given. The chunks run here, or on workers anywhere (`redis`).
 *
 * Output is all-or-nothing (src/render/output.ts) and never replaces what the render did not create
 * (src/render/output-guard.ts: checked here, before any work). The options are resolved here, once
 * (`resolveRenderOptions`, src/render/options.ts); everything below reads the frozen result.
 */
import { getTools } from './media/tools.js';
import { resolveRenderOptions } from './render/options.js';
import { checkOutputTarget } from './render/output-guard.js';
import { renderStreaming } from './render/streaming.js';
import type { RenderOptions, RenderResult } from './render/types.js';

/** What a render writes: an encoder's format (mp4, webm, mov, gif, png), a PNG sequence (a directory of frames), or HLS. */
export type { OutputFormat } from './stages/stage.js';
/** A named encoder quality preset (CRF and speed per format, src/encode/video-args.ts). */
export type { Quality } from './encode/video.js';
export { defaultOutputPath } from './render/options.js';
export { GSAP_URL_PREFIX } from './render/load.js';
/** The options of `render()`, the progress it reports, its result, and the names of its stages. */
export type { RenderOptions, RenderProgress, RenderResult, RenderStageName } from './render/types.js';
export { RenderError, type RenderErrorCode } from './render/errors.js';

/** Renders the composition at `input` (a directory holding index.html, or an .html file). */
export async function render(input: string, options: RenderOptions = {}): Promise<RenderResult> {
  const resolved = resolveRenderOptions(input, options);
  // ffmpeg is looked up (its `-version` run, ~0.1 s) while the composition is parsed and the browser
  // starts, not when the encoder first needs it; a missing tool is reported by that first use.
  getTools().catch(() => {});
  await checkOutputTarget(resolved.output, resolved.format, input);
  if (!resolved.planned) return renderStreaming(resolved);
  // The planned path (plan, chunks, assembly, the queue) is loaded only when asked for: a streaming
  // render should not pay for importing it.
  const { renderPlanned } = await import('./render/planned.js');
  return renderPlanned(resolved);
}
