/**
 * The preview's sound: the composition's audio mixed exactly as a render mixes it (the audio stage:
 * same tracks, effects, envelopes, buses and warnings), as Opus in WebM, which every Chromium build
 * plays (the headless shell has no AAC decoder). Mixed once per loaded version of the project.
 */
import type { Composition } from '../composition/model.js';
import { audioStage } from '../stages/audio.js';
import type { StageContext } from '../stages/stage.js';
import type { RenderWarning } from '../warnings.js';

/**
 * Mixes `composition`'s whole timeline (frameCount frames) into `workDir/audio.webm`. Resolves with
 * the file, or null when nothing is audible; rejects with the error a render would give (a missing
 * or unreadable source names its element).
 */
export async function mixPreviewAudio(
  composition: Composition,
  workDir: string,
  signal: AbortSignal,
  warn: (w: RenderWarning) => void,
): Promise<string | null> {
  const stage = audioStage();
  const context: StageContext = {
    composition,
    fps: composition.fps,
    width: composition.width ?? 0,
    height: composition.height ?? 0,
    format: 'webm',
    alpha: false,
    range: { first: 0, count: composition.frameCount },
    workDir,
    tempOutput: () => {
      throw new Error('the preview mix writes no video');
    },
    serveDirectory: () => {
      throw new Error('the preview mix serves nothing');
    },
    signal,
    warn,
  };
  await stage.prepare!(context);
  await stage.concurrent!(context);
  return stage.mixed()?.file ?? null;
}
