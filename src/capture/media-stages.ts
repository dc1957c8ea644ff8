/**
 * The media stages every render runs: video frames into the pages, then the audio mix and mux.
 * src/render.ts plugs them in; see src/capture/hooks.ts for when each part runs.
 */
import { audioStage } from './audio-stage.js';
import type { RenderStage } from './hooks.js';
import { videoFramesStage, type VideoFramesOptions } from './video-frames.js';

export type MediaStagesOptions = VideoFramesOptions;

export function mediaStages(options: MediaStagesOptions = {}): RenderStage[] {
  return [videoFramesStage(options), audioStage()];
}
