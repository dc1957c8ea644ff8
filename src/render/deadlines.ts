/**
 * The one place the three deadlines of a render are resolved (src/capture/deadlines.ts says what
 * each bounds). For each: the option (`RenderOptions.browserTimeout` / `protocolTimeout` /
 * `playerReadyTimeout`, all in ms), else the environment variable HyperFrames users set
 * (`PRODUCER_PAGE_NAVIGATION_TIMEOUT_MS`, `PRODUCER_PUPPETEER_PROTOCOL_TIMEOUT_MS`,
 * `PRODUCER_PLAYER_READY_TIMEOUT_MS`, ms), else HyperFrames' default (`DEFAULT_DEADLINES`).
 *
 * Accepted ranges are HyperFrames' own: `browserTimeout` more than 0 and at most 24 h; the other two
 * whole numbers of at least 1000 ms. A bad value is `invalid_option` naming the option or variable.
 */
import { DEFAULT_DEADLINES, type Deadlines, type DeadlineOption } from '../capture/deadlines.js';
import { RenderError } from './errors.js';

/** The deadline options a render was given, in ms; an absent one falls back to the environment, then HyperFrames' default. */
export type DeadlineSettings = Partial<Record<DeadlineOption, number>>;

interface Rule {
  key: keyof Deadlines;
  env: string;
  accepts: string;
  valid(ms: number): boolean;
}

const RULES: Record<DeadlineOption, Rule> = {
  browserTimeout: {
    key: 'browserTimeoutMs',
    env: 'PRODUCER_PAGE_NAVIGATION_TIMEOUT_MS',
    accepts: 'a number of ms above 0 and at most 86400000 (24 h); the CLI flag takes seconds',
    valid: (ms) => Number.isFinite(ms) && ms > 0 && ms <= 86_400_000,
  },
  protocolTimeout: {
    key: 'protocolTimeoutMs',
    env: 'PRODUCER_PUPPETEER_PROTOCOL_TIMEOUT_MS',
    accepts: 'a whole number of ms >= 1000',
    valid: (ms) => Number.isInteger(ms) && ms >= 1000,
  },
  playerReadyTimeout: {
    key: 'playerReadyTimeoutMs',
    env: 'PRODUCER_PLAYER_READY_TIMEOUT_MS',
    accepts: 'a whole number of ms >= 1000',
    valid: (ms) => Number.isInteger(ms) && ms >= 1000,
  },
};

/** The deadlines for `options` (see the module comment); throws `invalid_option` for a bad value. */
export function resolveDeadlines(options: DeadlineSettings, env: NodeJS.ProcessEnv = process.env): Deadlines {
  const resolved: Deadlines = { ...DEFAULT_DEADLINES };
  for (const [option, rule] of Object.entries(RULES) as [DeadlineOption, Rule][]) {
    const given = options[option];
    const fromEnv = env[rule.env];
    if (given !== undefined) {
      if (!rule.valid(given)) throw new RenderError('invalid_option', `\`${option}\` must be ${rule.accepts}, got ${given}`, { option });
      resolved[rule.key] = given;
    } else if (fromEnv !== undefined && fromEnv.trim() !== '') {
      const ms = Number(fromEnv);
      if (!rule.valid(ms))
        throw new RenderError(
          'invalid_option',
          `${rule.env} must be ${rule.accepts.replace('; the CLI flag takes seconds', '')}, got "${fromEnv}": fix or unset it`,
          {},
        );
      resolved[rule.key] = ms;
    }
  }
  return resolved;
}
