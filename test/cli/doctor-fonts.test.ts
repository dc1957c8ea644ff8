/**
 * `framesmith doctor` shows the font setup: the font directory, the bundled families, the fallback
 * chain in order, the machine's fonts last, and where families framesmith does not bundle come from;
 * an unwritable font directory is a warning with its fix (doctor still passes).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/render-cli.js';

interface Check {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
  warning?: boolean;
  info?: Record<string, unknown>;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fs-doctor-fonts-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function fontsCheck(fontDir: string): Promise<{ code: number | null; check: Check }> {
  const run = await runCli(['doctor', '--json'], {
    FRAMESMITH_CACHE_DIR: path.join(dir, 'cache'),
    FRAMESMITH_FONT_DIR: fontDir,
    FRAMESMITH_GOOGLE_FONTS_URL: 'https://fonts.example.test/css2',
  });
  const report = JSON.parse(run.stdout) as { ok: boolean; checks: Check[] };
  return { code: run.code, check: report.checks.find((c) => c.name === 'fonts')! };
}

describe('framesmith doctor: fonts', () => {
  it('font dir, bundled families, the fallback chain, then the machine fonts last; the facts in info', async () => {
    const fontDir = path.join(dir, 'fonts');
    const { code, check } = await fontsCheck(fontDir);
    expect(code).toBe(0);
    expect(check.ok).toBe(true);
    expect(check.detail).toMatch(
      new RegExp(
        `^font dir ${fontDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; \\d+ bundled families .*; fallback chain: DejaVu Sans → Noto Sans → Noto Sans Arabic → .* → Noto Sans TC .*; then this machine's fonts, last \\(.*\\); families not bundled from https://fonts\\.example\\.test/css2$`,
      ),
    );
    expect(check.info).toMatchObject({ dir: fontDir, writable: true, googleFonts: 'https://fonts.example.test/css2' });
    expect(check.info!.bundled).toBeGreaterThanOrEqual(44);
    const chain = check.info!.chain as string[];
    expect(chain.slice(0, 2)).toEqual(['DejaVu Sans', 'Noto Sans']);
    expect(chain.slice(-4)).toEqual(['Noto Sans JP', 'Noto Sans KR', 'Noto Sans SC', 'Noto Sans TC']);
    expect(Array.isArray(check.info!.machine)).toBe(true);
  }, 60_000);

  it('an unwritable font directory: a warning naming FRAMESMITH_FONT_DIR, doctor still passes', async () => {
    // A regular file where the directory should be: not writable even for root.
    const file = path.join(dir, 'not-a-dir');
    await writeFile(file, 'x');
    const { code, check } = await fontsCheck(path.join(file, 'fonts'));
    expect(code).toBe(0);
    expect(check).toMatchObject({ ok: false, warning: true, fix: expect.stringMatching(/FRAMESMITH_FONT_DIR/) });
    expect(check.detail).toMatch(/not writable: a temporary directory is used/);
  }, 60_000);
});
