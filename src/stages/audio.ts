/**
 * The audio stage: the sound of a composition's `<audio>` and `<video>` elements.
 *
 * - `prepare` collects the audible tracks (`audioTracksFromMedia`: not muted, volume > 0, and for a
 *   video only when its file has sound or `data-has-audio="true"` forces it) and probes their files,
 *   so a missing or damaged one fails the render before capture, naming the element and the file;
 * - `concurrent` mixes them (`mixAudio`) while the frames are captured, exactly as long as the video
 *   (frameCount / fps): AAC for MP4, Opus for WebM;
 * - `finalize` muxes the mix into the encoded video (`muxAudio`, streams copied). With nothing
 *   audible the video is left as it is: no audio stream.
 *
 * Our PNG sequence (`png`) has nowhere to put sound: the stage does nothing for it. A `png-sequence`
 * gets the AAC mix beside its frames as `audio.m4a`; `hls` is muxed as mp4 and packaged later.
 */
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { audioTracksFromMedia, mixAudio, type AudioTrack } from '../encode/audio.js';
import type { AudioBus } from '../encode/audio-types.js';
import { probeAudioSource } from '../media/audio-probe.js';
import { MuxError, muxAudio } from '../encode/mux.js';
import type { RenderStage, StageContext } from './stage.js';
import { mediaError, type MediaFailure } from '../media/errors.js';
import { checkMediaFiles, mediaFailure, mediaHasAudio } from '../load/media.js';

/** What the audio stage did in one render; all 0 when nothing was audible (or the format has no sound). */
export interface AudioStageStats {
  /** Audible tracks found by `prepare`. */
  tracks: number;
  /** Wall time of the mix, ms (it runs alongside capture). */
  mixMs: number;
  /** Wall time of the mux (or, for a png-sequence, of copying the mix beside the frames), ms. */
  muxMs: number;
}

/** The file a png-sequence directory holds its sound in (AAC in MP4), as HyperFrames names it. */
export const SEQUENCE_AUDIO = 'audio.m4a';

/** The audio stage, with what it did exposed for the render's result and for callers that need the mix itself. */
export type AudioStage = RenderStage & {
  readonly stats: AudioStageStats;
  /** The mix `concurrent` wrote (null: nothing audible, or not mixed yet). */
  mixed(): { file: string; codec: 'aac' | 'opus' } | null;
};

/**
 * A fresh audio stage (see the module comment); it keeps per-render state, so one render per stage. Missing or
 * broken media fail `prepare` (a media error naming each element); mix and mux failures fail their step.
 */
export function audioStage(): AudioStage {
  let tracks: AudioTrack[] = [];
  let buses: AudioBus[] = [];
  let mix: string | null = null;
  const stats: AudioStageStats = { tracks: 0, mixMs: 0, muxMs: 0 };

  const container = (ctx: StageContext) => (ctx.format === 'webm' ? 'webm' : ctx.format === 'mov' ? 'mov' : 'mp4');
  /** Our PNG sequence and a GIF carry no sound (a png-sequence has it beside the frames). */
  const silent = (ctx: StageContext) => ctx.format === 'png' || ctx.format === 'gif';

  return {
    name: 'audio',
    stats,
    mixed: () => (mix === null ? null : { file: mix, codec: path.extname(mix) === '.webm' ? 'opus' : 'aac' }),

    async prepare(ctx) {
      if (silent(ctx)) return;
      await checkMediaFiles(ctx.composition);
      const groups = ctx.composition.audioGroups ?? [];
      buses = groups
        .filter((g) => !g.hidden)
        .map(({ key, volume, fx, envelope }) => ({ key, volume, ...(fx ? { fx } : {}), ...(envelope ? { envelope } : {}) }));
      const hidden = new Set(groups.filter((g) => g.hidden).map((g) => g.key));
      // What the attributes ask for and the mix leaves out is said, never dropped silently.
      for (const note of [
        ...ctx.composition.media.flatMap((m) => m.audio?.unsupported ?? []),
        ...groups.flatMap((g) => g.unsupported ?? []),
      ]) {
        ctx.warn({ code: 'audio_unsupported', message: note, file: ctx.composition.entryFile });
      }
      const failures: MediaFailure[] = [];
      const found = await Promise.all(
        ctx.composition.media.map(async (element) => {
          try {
            const list = await audioTracksFromMedia([element], (src) => mediaHasAudio(src, element.label), hidden);
            // Probe now (memoized for the mix): a bad file should fail before capture, not after it.
            await Promise.all(list.map((t) => probeAudioSource(t.src, t.id, ctx.signal)));
            return list;
          } catch (error) {
            failures.push(mediaFailure(error, element.label, element.src));
            return [];
          }
        }),
      );
      if (failures.length > 0) throw mediaError(failures);
      tracks = found.flat();
      stats.tracks = tracks.length;
    },

    async concurrent(ctx) {
      if (silent(ctx) || tracks.length === 0) return;
      const started = performance.now();
      const codec = container(ctx) === 'webm' ? 'opus' : 'aac';
      // Exactly as long as the frames rendered, from the first one's time.
      const duration = (ctx.range.count * ctx.fps.den) / ctx.fps.num;
      const from = (ctx.range.first * ctx.fps.den) / ctx.fps.num;
      try {
        const result = await mixAudio(tracks, {
          duration,
          from,
          codec,
          buses,
          outFile: path.join(ctx.workDir, codec === 'aac' ? 'audio.m4a' : 'audio.webm'),
          signal: ctx.signal,
        });
        mix = result?.file ?? null;
      } catch (error) {
        const culprit = tracks.find((t) => (error as { trackId?: string }).trackId === t.id);
        throw mediaError([mediaFailure(error, culprit?.id, culprit?.src ?? ctx.composition.entryFile)], { cause: error });
      } finally {
        stats.mixMs = performance.now() - started;
      }
    },

    async finalize(ctx, file) {
      if (mix === null) return file;
      const started = performance.now();
      if (ctx.format === 'png-sequence') {
        // As HyperFrames writes it: the AAC mix, as long as the frames, next to them in the directory.
        await copyFile(mix, path.join(file, SEQUENCE_AUDIO));
        stats.muxMs = performance.now() - started;
        return file;
      }
      const out = ctx.tempOutput(container(ctx));
      try {
        await muxAudio(file, mix, out, { container: container(ctx), fps: ctx.fps, alpha: ctx.alpha, signal: ctx.signal });
      } catch (error) {
        if (error instanceof MuxError && error.code === 'cancelled')
          throw mediaError([{ code: 'cancelled', message: 'the render was cancelled' }], { cause: error });
        throw mediaError(
          [
            {
              code: 'media_failed',
              file: error instanceof MuxError ? error.fields.file : undefined,
              message: `adding the audio to the video failed: ${error instanceof Error ? error.message : String(error)}`,
            },
          ],
          { cause: error },
        );
      } finally {
        stats.muxMs = performance.now() - started;
      }
      return out;
    },
  };
}
