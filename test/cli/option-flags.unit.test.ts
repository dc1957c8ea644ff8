/**
 * The CLI's option → flag table (src/cli/option-flags.ts) directly, built from the real command
 * definitions, and through `main(argv)` in-process: a library message names `crf`, the user of the
 * CLI reads `--crf`. No browser: every case fails before one would start.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandContext } from '../../src/cli/context.js';
import { cliMessage, optionFlags, withFlags } from '../../src/cli/option-flags.js';
import { registerInit } from '../../src/cli/init-command.js';
import { registerRender } from '../../src/cli/render-command.js';
import { registerSnapshot } from '../../src/cli/snapshot-command.js';
import { RenderError } from '../../src/render/errors.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';

function program(): Command {
  const context: CommandContext = { setExitCode: () => {}, stdout: { write: () => true }, stderr: { write: () => true } };
  const root = new Command();
  registerRender(root, context);
  registerSnapshot(root, context);
  registerInit(root, context);
  return root;
}

describe('optionFlags', () => {
  it('names each API option by the flag that sets it, from the command definitions', () => {
    const flags = optionFlags(program());
    expect(
      Object.fromEntries(
        [
          'crf',
          'videoBitrate',
          'gifLoop',
          'vp9CpuUsed',
          'chunkFrames',
          'browserTimeout',
          'allowPrivateHosts',
          'allowOutsideProject',
          'strictVariables',
          'range',
          'force',
        ].map((o) => [o, flags.get(o)]),
      ),
    ).toEqual({
      crf: '--crf',
      videoBitrate: '--video-bitrate',
      gifLoop: '--gif-loop',
      vp9CpuUsed: '--vp9-cpu-used',
      chunkFrames: '--chunk-frames',
      browserTimeout: '--browser-timeout',
      allowPrivateHosts: '--allow-private-hosts',
      allowOutsideProject: '--allow-outside-project',
      strictVariables: '--strict-variables',
      range: '--range',
      force: '--force',
    });
    expect(flags.get("dynamicRange: 'hdr'")).toBe('--hdr');
    expect(flags.get('strict')).toBe('--strict');
  });

  it("shows the flag the user typed where two set the same option (HyperFrames' --no-best-effort)", () => {
    const root = program();
    root.commands.find((c) => c.name() === 'render')!.setOptionValueWithSource('bestEffort', false, 'cli');
    expect(optionFlags(root).get('strict')).toBe('--no-best-effort');
  });
});

describe('withFlags / cliMessage', () => {
  const flags = optionFlags(program());

  it('writes every backticked option as its flag, and leaves other backticked text alone', () => {
    expect(withFlags('`crf` and `videoBitrate` cannot be combined: pick a constant quality (crf) or a target bitrate', flags)).toBe(
      '--crf and --video-bitrate cannot be combined: pick a constant quality (crf) or a target bitrate',
    );
    expect(withFlags('start one with `framesmith worker --redis r` or set `notAnOption`', flags)).toBe(
      'start one with `framesmith worker --redis r` or set `notAnOption`',
    );
  });

  it("rewrites framesmith errors only: a foreign error's message is printed as thrown", () => {
    expect(cliMessage(new RenderError('invalid_option', '`frames` must be a range', { option: 'frames' }), program())).toBe(
      '--frames must be a range',
    );
    expect(cliMessage(new Error('`crf` is a word here'), program())).toBe('`crf` is a word here');
  });
});

describe('the CLI prints flags for the options a render refuses', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'fs-option-flags-'));
    await writeFile(
      path.join(dir, 'index.html'),
      '<div id="main" data-composition-id="main" data-width="16" data-height="16" data-duration="1"></div>',
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.each([
    [['--crf', '20', '--video-bitrate', '5M'], 'crf', /^framesmith: render failed: --crf and --video-bitrate cannot be combined/m],
    [['--redis', 'redis://127.0.0.1:1'], 'redis', /^framesmith: render failed: --redis needs --storage:/m],
    [['--hdr', '--resolution', 'landscape'], 'resolution', /^framesmith: render failed: --resolution cannot be combined with --hdr:/m],
  ])('%j: exit 2, code invalid_option, option %s, the message names the flags; nothing written', async (args, option, message) => {
    const output = path.join(dir, `out-${option}.mp4`);
    const run = await runCliInProcess(['render', dir, '-o', output, '--quiet', ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toContain('`');
    const json = await runCliInProcess(['render', dir, '-o', output, '--json', ...args]);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout).error).toMatchObject({ code: 'invalid_option', option, message: expect.not.stringContaining('`') });
    expect(existsSync(output)).toBe(false);
    expect(existsSync(path.join(dir, 'index.html'))).toBe(true);
  });
});

describe('--version', () => {
  it.each([['--version'], ['-V']])('%s prints the package version alone and exits 0, as HyperFrames does', async (flag) => {
    const { version } = JSON.parse(await readFile(path.join(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };
    const run = await runCliInProcess([flag]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${version}\n`);
    expect(run.stderr).toBe('');
  });
});
