/**
 * The preview player, in the user's browser. It draws frames the server captured exactly as a render
 * does (src/preview/session.ts) into the stage (`[data-preview-stage]`), and never runs the
 * composition itself. Paused, the stage holds the render's frame at that time; playing, it asks for
 * the frame due at the wall-clock time and skips what it cannot keep up with, so time keeps.
 *
 * One frame request is in flight at a time: a seek while one loads replaces any seek still waiting.
 * Live reload: on a `state` event with a new version the current frame is fetched again (same time,
 * clamped to the new length); an error is shown over the stage until a state without one arrives.
 *
 * Sound: the server's mix of the composition (GET /__preview/audio, the render's mix) plays in an
 * `<audio>` element cued to the frame's time on every seek and reload, and started and stopped with
 * playback. While it plays it is the clock: the playhead is its time (the frames follow the sound, as
 * a video player's picture does); while it cannot (nothing audible, still loading, stalled) the wall
 * clock drives and the sound is moved back onto the playhead when it is more than 60 ms away. It starts muted; starting playback by hand (the button, space) turns it on, as does
 * the sound button (or `m`), which also turns it off.
 *
 * `window.framesmithPreview = { ready, seek(t), play(), pause(), time, duration }`: `ready` resolves
 * once the first frame is drawn, `seek(t)` once the frame at t is drawn (src/preview/player-api.ts).
 */
import type { PreviewInfo, PreviewState } from '../player-api.js';

const $ = <T extends HTMLElement>(selector: string) => document.querySelector(selector) as T;
const stage = $<HTMLDivElement>('[data-preview-stage]');
const img = stage.querySelector('img') as HTMLImageElement;
const errorBox = $<HTMLDivElement>('#error');
const playButton = $<HTMLButtonElement>('#play');
const scrub = $<HTMLInputElement>('#scrub');
const clock = $<HTMLSpanElement>('#clock');
const meta = $<HTMLSpanElement>('#meta');
const audio = $<HTMLAudioElement>('#audio');
const soundButton = $<HTMLButtonElement>('#sound');
const params = new URLSearchParams(location.search);
const oneToOne = params.get('scale') === '1';

let info: PreviewInfo | null = null;
let version = -1;
let frame = 0;
let playing = false;
let playStart = 0;
let drawnUrl: string | null = null;
let inFlight: Promise<void> | null = null;
/** The frame last asked for (drawn, or on its way). */
let target = 0;
let wanted: { frame: number; done: Array<() => void> } | null = null;
/** The project version whose mix `audio` holds. */
let audioVersion = -1;
/** Largest distance, seconds, between the sound and the playhead before the sound is moved back. */
const AUDIO_DRIFT = 0.06;
let resolveReady!: () => void;
const ready = new Promise<void>((resolve) => {
  resolveReady = resolve;
});

const frameAt = (t: number) => (info ? Math.min(info.frameCount - 1, Math.max(0, Math.floor(t * info.fpsValue + 1e-6))) : 0);
const timeOf = (f: number) => (info ? f / info.fpsValue : 0);

function showError(message: string | null): void {
  errorBox.textContent = message ?? '';
  errorBox.classList.toggle('shown', message !== null);
}

function layout(): void {
  if (!info) return;
  stage.style.width = `${info.width}px`;
  stage.style.height = `${info.height}px`;
  const view = stage.parentElement!;
  const scale = oneToOne ? 1 : Math.min(1, (view.clientWidth - 24) / info.width, (view.clientHeight - 24) / info.height);
  stage.style.transform = scale === 1 ? '' : `scale(${scale})`;
  scrub.max = String(info.frameCount - 1);
  meta.textContent = `${info.entry} · ${info.width}×${info.height} · ${info.fps} fps · ${info.duration.toFixed(2)} s`;
}

/** Puts the sound at `t` seconds (it keeps its play/pause state). */
function cueAudio(t: number): void {
  if (audioVersion < 0) return;
  try {
    audio.currentTime = t;
  } catch {
    // Not loaded yet: the element starts from the position set once it has metadata (see loadAudio).
  }
}

/** Points the audio element at the mix of `v` (a new mix per project version), cued to the frame shown. */
function loadAudio(v: number): void {
  if (v === audioVersion) return;
  audioVersion = v;
  audio.src = `/__preview/audio?v=${v}`;
  audio.addEventListener(
    'loadedmetadata',
    () => {
      cueAudio(playing ? playhead() : timeOf(frame));
      if (playing) void audio.play().catch(() => {});
    },
    { once: true },
  );
}

/** Seconds of the playhead while playing: the sound's time when it is playing, else the wall clock's. */
function playhead(): number {
  if (!audio.paused && !audio.seeking && audio.readyState >= HTMLMediaElement.HAVE_FUTURE_DATA) {
    playStart = performance.now() - audio.currentTime * 1000;
  }
  return (performance.now() - playStart) / 1000;
}

function setSound(on: boolean): void {
  audio.muted = !on;
  soundButton.textContent = on ? '🔊' : '🔇';
}

function updateClock(): void {
  clock.textContent = `${timeOf(frame).toFixed(3)} s · frame ${frame}${info ? ` / ${info.frameCount - 1}` : ''}`;
  scrub.value = String(frame);
  playButton.textContent = playing ? '❚❚' : '▶';
}

/** Fetches and draws frame `f`; resolves once it is on the stage (or failed, shown over it). */
async function draw(f: number): Promise<void> {
  const res = await fetch(`/__preview/frame?t=${encodeURIComponent(String(timeOf(f) + 1e-9))}`, { cache: 'no-store' });
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: { message: string } } | null;
    showError(body?.error?.message ?? `the preview server answered ${res.status}`);
    return;
  }
  const url = URL.createObjectURL(await res.blob());
  img.src = url;
  await img.decode().catch(() => {});
  if (drawnUrl) URL.revokeObjectURL(drawnUrl);
  drawnUrl = url;
  frame = Number(res.headers.get('x-frame') ?? f);
  version = Number(res.headers.get('x-version') ?? version);
  showError(null);
  updateClock();
  resolveReady();
}

/** Asks for frame `f`: drawn after the request in flight; a later request replaces this one. */
function request(f: number): Promise<void> {
  target = f;
  if (!playing) cueAudio(timeOf(f));
  return new Promise((resolve) => {
    if (wanted) wanted = { frame: f, done: [...wanted.done, resolve] };
    else wanted = { frame: f, done: [resolve] };
    pump();
  });
}

function pump(): void {
  if (inFlight || !wanted) return;
  const next = wanted;
  wanted = null;
  inFlight = draw(next.frame).finally(() => {
    inFlight = null;
    for (const done of next.done) done();
    pump();
  });
}

function play(): void {
  if (!info || playing) return;
  if (frame >= info.frameCount - 1) frame = 0;
  playing = true;
  playStart = performance.now() - timeOf(frame) * 1000;
  cueAudio(timeOf(frame));
  void audio.play().catch(() => {});
  updateClock();
  const tick = async () => {
    if (!playing || !info) return;
    const now = playhead();
    if (!audio.paused && Math.abs(audio.currentTime - now) > AUDIO_DRIFT) cueAudio(now);
    const f = frameAt(now);
    if (f >= info.frameCount - 1) {
      await request(info.frameCount - 1);
      pause();
      return;
    }
    await request(f);
    requestAnimationFrame(() => void tick());
  };
  void tick();
}

function pause(): void {
  playing = false;
  audio.pause();
  cueAudio(timeOf(target));
  updateClock();
}

/** Playback started by the user's own hand: a gesture, so the sound may start. */
function togglePlayByHand(): void {
  if (playing) {
    pause();
    return;
  }
  setSound(true);
  play();
}

function apply(state: PreviewState): void {
  if ('error' in state) {
    if (state.error.code !== 'loading') showError(state.error.message);
    return;
  }
  const first = info === null;
  info = state.info;
  layout();
  if (first) target = frameAt(Number(params.get('t') ?? 0));
  // The same time as before the change (the frame asked for last), within the new length.
  if (state.version !== version) void request(Math.min(target, info.frameCount - 1));
  loadAudio(state.version);
}

playButton.addEventListener('click', togglePlayByHand);
soundButton.addEventListener('click', () => setSound(audio.muted));
$<HTMLButtonElement>('#prev').addEventListener('click', () => {
  pause();
  void request(Math.max(0, frame - 1));
});
$<HTMLButtonElement>('#next').addEventListener('click', () => {
  pause();
  void request(Math.min((info?.frameCount ?? 1) - 1, frame + 1));
});
scrub.addEventListener('input', () => {
  pause();
  void request(Number(scrub.value));
});
addEventListener('keydown', (event) => {
  if (event.key === 'ArrowRight' || event.key === 'ArrowLeft') {
    event.preventDefault();
    pause();
    void request(Math.min((info?.frameCount ?? 1) - 1, Math.max(0, frame + (event.key === 'ArrowRight' ? 1 : -1))));
  } else if (event.key === ' ') {
    event.preventDefault();
    togglePlayByHand();
  } else if (event.key === 'm') {
    setSound(audio.muted);
  }
});
addEventListener('resize', layout);

const events = new EventSource('/__preview/events');
events.addEventListener('state', (event) => apply(JSON.parse((event as MessageEvent<string>).data) as PreviewState));

window.framesmithPreview = {
  ready,
  seek: (t: number) => {
    pause();
    return request(frameAt(t));
  },
  play,
  pause,
  get time() {
    return timeOf(frame);
  },
  get clock() {
    return playing ? playhead() : timeOf(target);
  },
  get duration() {
    return info?.duration ?? 0;
  },
  get version() {
    return version;
  },
};
