/**
 * The media stages every render runs: video frames into the pages, then the audio mix and mux.
 * src/render.ts plugs them in; see src/stages/stage.ts for when each part runs.
 */
import { audioStage } from './audio.js';
import type { RenderStage } from './stage.js';
import { videoFramesStage, type VideoFramesOptions } from './video-frames.js';

/** Options of the media stages: those of the video-frames stage (the audio stage has none). */
export type MediaStagesOptions = VideoFramesOptions;

/** Fresh instances of the media stages, in the order the render runs them: video frames, then audio. */
export function mediaStages(options: MediaStagesOptions = {}): RenderStage[] {
  return [videoFramesStage(options), audioStage()];
}
