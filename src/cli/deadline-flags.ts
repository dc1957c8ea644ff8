/**
 * The deadline flags `render` and `preview` share, named and ranged as HyperFrames names them:
 * `--browser-timeout <seconds>`, `--protocol-timeout <ms>`, `--player-ready-timeout <ms>`. A bad value
 * is a usage error (exit 2). They become `RenderOptions.browserTimeout` / `protocolTimeout` /
 * `playerReadyTimeout` (all ms; see src/render/deadlines.ts for defaults and environment variables).
 */
import { InvalidArgumentError, Option } from 'commander';
import type { DeadlineSettings } from '../render/deadlines.js';

/** The three deadline flags as commander parses them (already range-checked); undefined when not given. */
export interface DeadlineFlags {
  /** Seconds. */
  browserTimeout?: number;
  /** Milliseconds, >= 1000. */
  protocolTimeout?: number;
  /** Milliseconds, >= 1000. */
  playerReadyTimeout?: number;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!(Number.isFinite(n) && n >= 0.001 && n <= 86_400)) throw new InvalidArgumentError('a number of seconds from 0.001 to 86400');
  return n;
}

function milliseconds(value: string): number {
  const n = Number(value);
  if (!(Number.isInteger(n) && n >= 1000)) throw new InvalidArgumentError('a whole number of milliseconds >= 1000');
  return n;
}

const FLAGS: Record<keyof DeadlineFlags, () => Option> = {
  browserTimeout: () =>
    new Option(
      '--browser-timeout <seconds>',
      'deadline for the page to load, up to its load event (default 60; env PRODUCER_PAGE_NAVIGATION_TIMEOUT_MS, ms)',
    ).argParser(seconds),
  protocolTimeout: () =>
    new Option(
      '--protocol-timeout <ms>',
      "deadline of each browser call and of each frame's seek and capture (default 300000; env PRODUCER_PUPPETEER_PROTOCOL_TIMEOUT_MS)",
    ).argParser(milliseconds),
  playerReadyTimeout: () =>
    new Option(
      '--player-ready-timeout <ms>',
      'deadline for the page to be ready: fonts, adapters, timelines (default 45000; env PRODUCER_PLAYER_READY_TIMEOUT_MS)',
    ).argParser(milliseconds),
};

/** A fresh commander option for one of the three flags (`command.addOption(deadlineFlag('browserTimeout'))`). */
export function deadlineFlag(name: keyof DeadlineFlags): Option {
  return FLAGS[name]();
}

/** The flags as options (ms), only those given. */
export function deadlineSettings(flags: DeadlineFlags): DeadlineSettings {
  return {
    ...(flags.browserTimeout !== undefined ? { browserTimeout: Math.round(flags.browserTimeout * 1000) } : {}),
    ...(flags.protocolTimeout !== undefined ? { protocolTimeout: flags.protocolTimeout } : {}),
    ...(flags.playerReadyTimeout !== undefined ? { playerReadyTimeout: flags.playerReadyTimeout } : {}),
  };
}
