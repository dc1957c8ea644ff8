/**
 * `render()`: a composition to a video file (or PNG sequence), in one of two shapes that capture
 * through the same session code (src/render/session.ts):
 *
 * - streaming (the default): one process captures every frame straight into the encoder
 *   (src/render/streaming.ts);
 * - planned: plan → chunks → assemble over a storage directory (src/render/planned.ts), when
 *   `chunkFrames`, `redis` or `storage` is given. The chunks run here, or on workers anywhere (`redis`).
 *
 * Output is all-or-nothing (src/render/output.ts) and never replaces what the render did not create
 * (src/render/output-guard.ts: checked here, before any work). WebGL is decided here, once: under `webgl: 'auto'`
 * browsers start without it, and a page that asks for a context anyway (while loading or later)
 * makes the whole render run again with WebGL — the first capture's canvas was blank.
 */
import path from 'node:path';
import { checkRenderOptions, defaultOutputPath, formatFromOutput } from './render/options.js';
import { checkOutputTarget } from './render/output-guard.js';
import { renderStreaming } from './render/streaming.js';
import { RenderError, type RenderOptions, type RenderResult } from './render/types.js';

export type { OutputFormat } from './stages/stage.js';
export type { Quality } from './encode/video.js';
export { defaultOutputPath } from './render/options.js';
export { GSAP_URL_PREFIX } from './render/load.js';
export { RenderError, type RenderErrorCode, type RenderOptions, type RenderProgress, type RenderResult, type RenderStageName } from './render/types.js';

/** Renders the composition at `input` (a directory holding index.html, or an .html file). */
export async function render(input: string, options: RenderOptions = {}): Promise<RenderResult> {
  const format = options.format ?? formatFromOutput(options.output) ?? 'mp4';
  const output = path.resolve(options.output ?? defaultOutputPath(input, format));
  checkRenderOptions(options, format);
  await checkOutputTarget(output, format, input);
  const planned = options.chunkFrames !== undefined || options.redis !== undefined || options.storage !== undefined;
  // The planned path (plan, chunks, assembly, the queue) is loaded only when asked for: a streaming
  // render should not pay for importing it.
  const run = planned ? (await import('./render/planned.js')).renderPlanned : renderStreaming;
  const once = (webgl: RenderOptions['webgl']) => run(input, { ...options, webgl }, format, output);
  try {
    return await once(options.webgl);
  } catch (error) {
    const again = error instanceof RenderError && error.code === 'webgl_unavailable' && (options.webgl ?? 'auto') === 'auto' && !options.signal?.aborted;
    if (!again) throw error;
    return once('on');
  }
}
