/**
 * The media stages every render runs: video frames into the pages, then the audio mix and mux.
 * src/render.ts plugs them in; see src/stages/stage.ts for when each part runs.
 */
import { audioStage } from './audio.js';
import type { RenderStage } from './stage.js';
import { videoFramesStage, type VideoFramesOptions } from './video-frames.js';

export type MediaStagesOptions = VideoFramesOptions;

export function mediaStages(options: MediaStagesOptions = {}): RenderStage[] {
  return [videoFramesStage(options), audioStage()];
}
