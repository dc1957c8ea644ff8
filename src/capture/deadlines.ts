/**
 * Every wait on a page has a deadline, and a page that dies is an error at once.
 *
 * A page script that never returns (`while (true) {}` while loading, in a timer, in a seek) blocks the
 * renderer's main thread: the page's promises never settle and `HeadlessExperimental.beginFrame`
 * never answers, so any unbounded wait hangs the render. `PageGuard.within` bounds one step of the
 * work on a page by the deadline of its phase. When a deadline passes — or puppeteer's own limit for
 * one protocol call does — the browser is stuck: it is killed at once (SIGKILL, no graceful close
 * that would hang as well), which also makes every other pending call on it fail, and the step fails
 * with a `timeout` error naming the phase, the frame and the option that raises the deadline.
 *
 * A renderer that crashed (puppeteer's page `error` event, "Page crashed!", e.g. out of memory) or a
 * browser that exited fails the step in progress, or the next one, with `browser_crashed`.
 *
 * Once a guard failed, its browser is spent: every later `within` fails with the same error.
 */
import type { Browser, Page } from 'puppeteer-core';
import { ProtocolError, TimeoutError } from '../browser/puppeteer.js';
import { CaptureError, type CapturePhase, type DeadlineOption } from './errors.js';

/** Re-exported from errors.ts, where `CaptureError` names them. */
export type { CapturePhase, DeadlineOption } from './errors.js';

/** The three deadlines, resolved (src/render/deadlines.ts), in ms. */
export interface Deadlines {
  /** A page's navigation up to its load event (and puppeteer's launch `timeout`, which a pipe barely uses). */
  browserTimeoutMs: number;
  /** Each protocol call (puppeteer's `protocolTimeout`), and each step of a frame: seek, paint, capture. */
  protocolTimeoutMs: number;
  /** The page's `ready()` (fonts, adapters' ready hooks, timelines registered) and the stages' page setup. */
  playerReadyTimeoutMs: number;
}

/**
 * HyperFrames' defaults (hyperframes 0.8.170 `render --help`): 60 s to load, 5 min per protocol call,
 * 45 s for the player to be ready.
 */
export const DEFAULT_DEADLINES: Readonly<Deadlines> = {
  browserTimeoutMs: 60_000,
  protocolTimeoutMs: 300_000,
  playerReadyTimeoutMs: 45_000,
};

/** How long a page whose deadline passed is given to say what it waits for (ms). */
const PENDING_PROBE_MS = 1000;

/** A step in progress under `PageGuard.within`. */
interface PendingEntry {
  step: GuardStep;
  reject: (error: CaptureError) => void;
}

/** What each phase waits for, and which deadline bounds it. */
const PHASES: Record<CapturePhase, { option: DeadlineOption; waitingFor: string }> = {
  load: { option: 'browserTimeout', waitingFor: 'finish loading (its load event)' },
  ready: { option: 'playerReadyTimeout', waitingFor: "become ready (fonts, adapters' ready hooks, timelines)" },
  setup: { option: 'playerReadyTimeout', waitingFor: 'be set up for capture (its video frames)' },
  seek: { option: 'protocolTimeout', waitingFor: 'seek (timelines, adapters, animation frame callbacks)' },
  paint: { option: 'protocolTimeout', waitingFor: 'paint its video frames' },
  capture: { option: 'protocolTimeout', waitingFor: 'draw' },
};

/** One step of work on a page: its phase, and for frame steps the frame number and its time (s). */
export interface GuardStep {
  phase: CapturePhase;
  frame?: number;
  time?: number;
}

const MS_KEY: Record<DeadlineOption, keyof Deadlines> = {
  browserTimeout: 'browserTimeoutMs',
  protocolTimeout: 'protocolTimeoutMs',
  playerReadyTimeout: 'playerReadyTimeoutMs',
};

/**
 * Bounds the work on one page of one browser by its phase's deadline and turns a stuck, crashed or exited
 * browser into a `timeout` / `browser_crashed` CaptureError (see the module comment). Listens to the page and
 * the browser from construction until `dispose()`.
 */
export class PageGuard {
  private spentWith: CaptureError | null = null;
  private readonly pending = new Set<PendingEntry>();
  private current: GuardStep | null = null;

  constructor(
    private readonly browser: Browser,
    private readonly page: Page,
    private readonly url: string,
    readonly deadlines: Deadlines,
  ) {
    page.on('error', this.onCrash);
    browser.on('disconnected', this.onDisconnect);
  }

  /** The error that spent this guard's browser, if one did. */
  get failure(): CaptureError | null {
    return this.spentWith;
  }

  /**
   * Resolves with `work`'s result, or rejects: with `timeout` when the phase's deadline passes first
   * (or puppeteer's protocol timeout ends a call inside `work`), with `browser_crashed` when the page
   * or the browser dies meanwhile; either kills the browser. Other failures of `work` pass through.
   */
  within<T>(work: Promise<T>, step: GuardStep): Promise<T> {
    work.catch(() => {});
    if (this.spentWith) return Promise.reject(this.spentWith);
    const { option } = PHASES[step.phase];
    const ms = this.deadlines[MS_KEY[option]];
    this.current = step;
    return new Promise<T>((resolve, reject) => {
      const entry = {
        step,
        reject: (error: CaptureError) => {
          clearTimeout(timer);
          this.pending.delete(entry);
          reject(error);
        },
      };
      const timer = setTimeout(() => void this.expire(entry, step, option, ms), ms);
      this.pending.add(entry);
      work.then(
        (value) => {
          clearTimeout(timer);
          this.pending.delete(entry);
          resolve(value);
        },
        (error: unknown) => {
          const limit = puppeteerTimeout(error, option);
          if (this.spentWith) entry.reject(this.spentWith);
          else if (limit) entry.reject(this.spend(this.timeoutError(step, limit, this.deadlines[MS_KEY[limit]], error)));
          else {
            clearTimeout(timer);
            this.pending.delete(entry);
            reject(error);
          }
        },
      );
    });
  }

  /**
   * The deadline of `entry` passed: the page is asked what it is waiting for (a page waiting on a
   * promise answers; a blocked one does not, within `PENDING_PROBE_MS`), then the browser is spent.
   */
  private async expire(entry: PendingEntry, step: GuardStep, option: DeadlineOption, ms: number): Promise<void> {
    const waiting = await Promise.race([
      this.page.evaluate(() => window.__framesmith?.pending?.() ?? null).catch(() => null),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), PENDING_PROBE_MS).unref()),
    ]);
    // Settled while the page was asked: not a timeout after all.
    if (!this.pending.has(entry)) return;
    entry.reject(this.spend(this.timeoutError(step, option, ms, undefined, waiting)));
  }

  /** Stops watching (the page is being closed on purpose). */
  dispose(): void {
    this.page.off('error', this.onCrash);
    this.browser.off('disconnected', this.onDisconnect);
  }

  private readonly onCrash = () => {
    this.spend(this.crashError('its page process crashed', 'a script that exhausts memory (allocating without end) kills it'));
  };

  private readonly onDisconnect = () => {
    if (!this.spentWith) this.spend(this.crashError('the browser exited', 'it was killed from outside, or ran out of memory'));
  };

  /** Records `error`, kills the browser (a stuck browser would hang a graceful close too), fails every pending step. */
  private spend(error: CaptureError): CaptureError {
    this.spentWith ??= error;
    const child = this.browser.process();
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const entry of [...this.pending]) entry.reject(this.spentWith);
    return this.spentWith;
  }

  private subject(step: GuardStep): string {
    if (step.frame === undefined) return this.url;
    return `frame ${step.frame}${step.time !== undefined ? ` (${step.time.toFixed(3)} s)` : ''} of ${this.url}`;
  }

  private timeoutError(step: GuardStep, option: DeadlineOption, ms: number, cause?: unknown, waiting?: string | null): CaptureError {
    const what =
      option === PHASES[step.phase].option
        ? `did not ${PHASES[step.phase].waitingFor} within ${ms} ms`
        : `did not ${PHASES[step.phase].waitingFor}: a call to the browser took longer than ${ms} ms`;
    const on = waiting ? ` (it was waiting for ${waiting})` : '';
    return new CaptureError(
      'timeout',
      `${this.subject(step)} ${what}${on}, so the browser was stopped: a page script that never returns (an endless loop, while loading or in a timer) blocks the page; fix the script, or raise \`${option}\` if the page is only slow`,
      {
        url: this.url,
        phase: step.phase,
        option,
        ...(step.frame !== undefined ? { frame: step.frame } : {}),
        ...(waiting ? { waitingFor: waiting } : {}),
      },
      { cause },
    );
  }

  private crashError(what: string, why: string): CaptureError {
    const step = this.current;
    const when = step
      ? step.frame !== undefined
        ? ` at frame ${step.frame}${step.time !== undefined ? ` (${step.time.toFixed(3)} s)` : ''}`
        : ` while it was waiting to ${PHASES[step.phase].waitingFor}`
      : '';
    return new CaptureError('browser_crashed', `${this.url}: ${what}${when}: ${why}; fix the page script (a crashed page is not retried)`, {
      url: this.url,
      ...(step ? { phase: step.phase } : {}),
      ...(step?.frame !== undefined ? { frame: step.frame } : {}),
    });
  }
}

/**
 * Which deadline a puppeteer timeout inside a step stands for: a navigation's own timeout (given the
 * phase's deadline) is the phase's option; a protocol call that outlived `protocolTimeout` is that.
 */
function puppeteerTimeout(error: unknown, phaseOption: DeadlineOption): DeadlineOption | null {
  if (error instanceof TimeoutError) return phaseOption;
  if (error instanceof ProtocolError && /timed out/i.test(error.message)) return 'protocolTimeout';
  return null;
}
