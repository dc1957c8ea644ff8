/**
 * What the render needs to know about a composition's media files before it can place them: their
 * length (for open-ended clips) and whether they carry sound. Probes are memoized per file by
 * src/media/probe.ts and src/encode/audio-probe.ts, so asking again costs nothing.
 */
import path from 'node:path';
import { probeAudioSource } from '../media/audio-probe.js';
import { AudioError } from '../media/errors.js';
import type { Composition, MediaElement } from '../composition/model.js';
import { parseComposition, type ParseCompositionOptions } from './index.js';
import { probeMedia, ProbeError } from '../media/probe.js';
import { MediaError, mediaError, type MediaFailure } from '../media/errors.js';
import { isRemoteMedia, type RemoteMedia } from './remote-media.js';

/** Why `file` cannot be used by `element`, as a MediaFailure with a message saying what to do. */
export function mediaFailure(error: unknown, element: string | undefined, file: string): MediaFailure {
  const who = element ? `${element}: ` : '';
  if (error instanceof MediaError) return { ...error.fields.failures[0]!, ...(element ? { element } : {}) };
  if (/^data:/i.test(file)) {
    return {
      code: 'media_invalid',
      element,
      file,
      message: `${who}data: URLs are not supported for media: save the file into the project and point src at its path`,
    };
  }
  if (isRemoteMedia(file)) {
    return {
      code: 'media_invalid',
      element,
      file,
      message: `${who}${file} is a remote URL and remote media is not enabled here: download it into the project and point src at its path`,
    };
  }
  if ((error instanceof ProbeError && error.code === 'missing') || (error instanceof AudioError && error.code === 'source_missing')) {
    return {
      code: 'media_missing',
      element,
      file,
      message: `${who}media file ${file} does not exist: fix the element's src, or add the file`,
    };
  }
  if (
    error instanceof ProbeError ||
    (error instanceof AudioError && (error.code === 'invalid_media' || error.code === 'no_audio_stream'))
  ) {
    // An audio error's subject is the track id, which is `element` here: its reason, under `who`.
    const detail = error.reason;
    return { code: 'media_invalid', element, file, message: `${who}${detail}` };
  }
  if (error instanceof AudioError && error.code === 'cancelled')
    return { code: 'cancelled', element, file, message: `${who}the render was cancelled` };
  const detail = error instanceof Error ? error.message : String(error);
  return { code: 'media_failed', element, file, message: `${who}${file} failed: ${detail}` };
}

/**
 * Length in seconds of a media file, from its first video frame (a video) or of its audio stream (an
 * audio-only file). For `parseComposition`'s `mediaDuration`. Throws `MediaError`.
 */
export async function mediaDuration(file: string, element?: string): Promise<number> {
  try {
    return (await probeMedia(file)).duration;
  } catch (error) {
    if (!(error instanceof ProbeError && error.code === 'no_video'))
      throw mediaError([mediaFailure(error, element, file)], { cause: error });
  }
  try {
    return (await probeAudioSource(file, element ?? file)).duration;
  } catch (error) {
    throw mediaError([mediaFailure(error, element, file)], { cause: error });
  }
}

/** Whether a media file has an audio stream (an audio-only file does). Throws `MediaError`. */
export async function mediaHasAudio(file: string, element?: string): Promise<boolean> {
  try {
    return (await probeMedia(file)).hasAudio;
  } catch (error) {
    if (error instanceof ProbeError && error.code === 'no_video') return true;
    throw mediaError([mediaFailure(error, element, file)], { cause: error });
  }
}

/**
 * Gives every open-ended, non-looping `<video>`/`<audio>` (no data-duration/data-end) the duration
 * it plays for: until its media ends, `(length - mediaStart) / playbackRate` seconds. The parser
 * fills this in only when the composition's length depends on it; without it the clip would stay
 * on screen (holding its last frame) to the end of the composition. Every failing element is
 * reported in one `MediaError`.
 */
export async function completeMediaWindows(composition: Composition): Promise<void> {
  const open = composition.media.filter((m) => m.duration === undefined && !m.loop);
  const failures: MediaFailure[] = [];
  await Promise.all(
    open.map(async (m: MediaElement) => {
      try {
        const length = await mediaDuration(m.src, m.label);
        m.duration = Math.max(0, length - m.mediaStart) / m.playbackRate;
        if (m.hostEnd !== undefined) m.duration = Math.max(0, Math.min(m.duration, m.hostEnd - m.start));
      } catch (error) {
        failures.push(
          error instanceof MediaError ? { ...error.fields.failures[0]!, element: m.label } : mediaFailure(error, m.label, m.src),
        );
      }
    }),
  );
  if (failures.length > 0) throw mediaError(failures);
}

/** Options of `parseWithMedia`: those of `parseComposition` except `mediaDuration`, which it reads from the files. */
export interface ParseWithMediaOptions extends Omit<ParseCompositionOptions, 'mediaDuration'> {
  /** Downloads http(s) media; without it a remote src is reported as not a local file. */
  remote?: RemoteMedia;
}

/**
 * `parseComposition` with media lengths from the files (`mediaDuration`), then `completeMediaWindows`.
 * With `options.remote`, every http(s) src is downloaded first and the element's `src` becomes the
 * local copy (`remoteUrl` keeps the URL). The parser asks for a length by file only; when a file
 * cannot be read, the composition is parsed once more with a stand-in length for it, only to learn
 * which elements use it, so the `MediaError` names them.
 */
export async function parseWithMedia(input: string, options: ParseWithMediaOptions = {}): Promise<Composition> {
  const { remote, ...parseOptions } = options;
  const length = async (src: string): Promise<number> => {
    if (!remote || !isRemoteMedia(src)) return mediaDuration(src);
    const local = await remote.local(src);
    try {
      return await mediaDuration(local);
    } catch (error) {
      throw error instanceof MediaError ? asUrl(error, local, src) : error;
    }
  };
  let composition: Composition;
  try {
    composition = await parseComposition(input, { ...parseOptions, mediaDuration: length });
  } catch (error) {
    if (!(error instanceof MediaError) || error.fields.element !== undefined) throw error;
    const bad = new Map(error.fields.failures.map((f) => [f.file, f]));
    const model = await parseComposition(input, { ...parseOptions, mediaDuration: async (src) => (bad.has(src) ? 1 : length(src)) }).catch(
      () => null,
    );
    const users = model?.media.filter((m) => bad.has(m.src)) ?? [];
    if (users.length === 0) throw error;
    throw mediaError(
      users.map((m) => {
        const f = bad.get(m.src)!;
        return { ...f, element: m.label, message: `${m.label}: ${f.message}` };
      }),
      { cause: error },
    );
  }
  if (remote) await localizeMedia(composition, remote);
  await completeMediaWindows(composition);
  return composition;
}

/** Points every remote element's `src` at its downloaded copy; every failing element is reported. */
async function localizeMedia(composition: Composition, remote: RemoteMedia): Promise<void> {
  const failures: MediaFailure[] = [];
  await Promise.all(
    composition.media
      .filter((m) => isRemoteMedia(m.src))
      .map(async (m) => {
        try {
          const local = await remote.local(m.src, m.label);
          m.remoteUrl = m.src;
          m.src = local;
        } catch (error) {
          failures.push(error instanceof MediaError ? error.fields.failures[0]! : mediaFailure(error, m.label, m.src));
        }
      }),
  );
  if (failures.length > 0) throw mediaError(failures);
}

/** A failure about a downloaded copy, restated about its URL (the file the author wrote). */
function asUrl(error: MediaError, local: string, url: string): MediaError {
  return mediaError(
    error.fields.failures.map((f) => ({
      ...f,
      file: url,
      message: `${f.message.split(local).join(url)} (downloaded copy: ${local})`,
    })),
    { cause: error },
  );
}

const checks = new WeakMap<Composition, Promise<void>>();

/**
 * Checks, once per composition, every media file the render will use: each `<video>`'s file must be a
 * readable video, each audible `<audio>`'s (not muted, volume > 0) must have sound. Every failing
 * element is reported in one `MediaError`, so one run names all the bad files. The media stages all
 * await this same check first.
 */
export function checkMediaFiles(composition: Composition): Promise<void> {
  let check = checks.get(composition);
  if (!check) {
    check = runCheck(composition);
    checks.set(composition, check);
  }
  return check;
}

async function runCheck(composition: Composition): Promise<void> {
  const failures: MediaFailure[] = [];
  await Promise.all(
    composition.media.map(async (m) => {
      try {
        if (m.kind === 'video') await probeMedia(m.src);
        else if (!m.muted && m.volume > 0) await probeAudioSource(m.src, m.label);
      } catch (error) {
        failures.push(mediaFailure(error, m.label, m.src));
      }
    }),
  );
  // Document order, whichever probe finished first.
  failures.sort(
    (a, b) => composition.media.findIndex((m) => m.label === a.element) - composition.media.findIndex((m) => m.label === b.element),
  );
  if (failures.length > 0) throw mediaError(failures);
}

/** What the page is told about a media file: display width and height (0 for audio), and length. */
export type PageMediaInfo = [width: number, height: number, duration: number];

/**
 * What a player would know about every `<video>`/`<audio>` file once it loaded: the display size
 * (rotation applied) of a video and the length of either, for the media guard (intrinsic sizing,
 * `duration`/`videoWidth`/`readyState` and the load events). Keyed by the decoded path of the URL the
 * page resolves the source to (`urlFor`), or by the whole URL for a downloaded remote file. Files that
 * cannot be probed are left out: `checkMediaFiles` reports them, naming the element.
 */
export async function pageMediaInfo(composition: Composition, urlFor: (file: string) => string): Promise<Record<string, PageMediaInfo>> {
  const known: Record<string, PageMediaInfo> = {};
  await Promise.all(
    composition.media
      .filter((m) => path.isAbsolute(m.src))
      .map(async (m) => {
        const info: PageMediaInfo | null =
          m.kind === 'video'
            ? await probeMedia(m.src).then(
                (v) => [v.width, v.height, v.duration] as PageMediaInfo,
                () => null,
              )
            : await mediaDuration(m.src, m.label).then(
                (d) => [0, 0, d] as PageMediaInfo,
                () => null,
              );
        if (!info) return;
        // A remote element's page src is its URL (the guard compares the browser's absolute URL).
        if (m.remoteUrl !== undefined) {
          known[new URL(m.remoteUrl).href] = info;
          return;
        }
        let url: string;
        try {
          url = urlFor(m.src);
        } catch {
          return; // Outside the served directories: the page cannot load it either.
        }
        // Keyed by the decoded path: the browser and encodeURIComponent escape different characters.
        known[decodeURIComponent(new URL(url).pathname)] = info;
      }),
  );
  return known;
}
