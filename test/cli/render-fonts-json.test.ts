/**
 * `framesmith render --json` lists the fonts: every family the composition names → the face drawn and
 * its source, and the faces of the fallback chain its text needs (src/fonts/report.ts).
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/render-cli.js';
import { makeProject } from '../helpers/render-pixels.js';

let project: string;
afterAll(async () => {
  if (project) await rm(project, { recursive: true, force: true });
});

describe('render --json: fonts', () => {
  it('every family → face and source, the fallback faces, and the warning of a family nothing provides', async () => {
    project = await makeProject(
      {
        'index.html': `<!doctype html><html><head><style>html,body{margin:0} #root{background:#000;color:#fff}
h1{font-family:"Bebas Neue"} p{font-family:"Nobody Sans", Georgia}</style></head><body>
<div id="root" data-composition-id="main" data-width="160" data-height="90" data-duration="0.1"><h1>Title</h1><p>Привет ★</p></div></body></html>`,
      },
      'fs-cli-fonts-',
    );
    // The Google Fonts endpoint refused at once (a private host, not allowed): offline, whatever the network.
    const run = await runCli(['render', project, '-o', path.join(project, 'out.mp4'), '-w', '1', '--json'], {
      FRAMESMITH_GOOGLE_FONTS_URL: 'https://127.0.0.1:9/css2',
    });
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { fonts: unknown[]; warnings: Array<{ code: string; message: string }> };
    expect(result.fonts).toEqual(
      expect.arrayContaining([
        { family: 'Bebas Neue', face: 'Bebas Neue', source: 'bundled' },
        { family: 'Nobody Sans', face: 'EB Garamond', source: 'fallback' },
        { family: 'Georgia', face: 'EB Garamond', source: 'bundled' },
        { family: 'DejaVu Sans', face: 'DejaVu Sans', source: 'fallback' },
      ]),
    );
    expect(result.warnings).toEqual([
      expect.objectContaining({
        code: 'font_fallback',
        message: expect.stringMatching(
          /font family "Nobody Sans" is not bundled .* drawn in EB Garamond instead \(Google Fonts: not downloaded: refusing .*127\.0\.0\.1/,
        ),
      }),
    ]);
  }, 60_000);
});
