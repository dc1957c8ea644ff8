// Bundles the in-page code (src/browser/runtime/*.ts, type-checked by its own tsconfig) into one
// self-contained IIFE per script under dist/page/, and the preview's player (src/preview/page/). src/browser/page-scripts.ts reads them and adds
// the configuration as JSON data. Run by `npm run build`.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const entries = ['runtime', 'media-guard', 'webgl-watch', 'video-paint', 'video-decode'];

await build({
  entryPoints: Object.fromEntries(entries.map((name) => [name, path.join(root, 'src/browser/runtime', `${name}.ts`)])),
  outdir: path.join(root, 'dist/page'),
  bundle: true,
  format: 'iife',
  // Each bundle evaluates to its module's exports; page-scripts.ts calls `install(config)` on them.
  globalName: '__framesmithPageModule',
  target: 'chrome120',
  platform: 'browser',
  legalComments: 'none',
  logLevel: 'warning',
});

// The preview's player (src/preview/page/player.ts): a plain script of the player page, for the
// user's own browser.
await build({
  entryPoints: { 'preview-player': path.join(root, 'src/preview/page/player.ts') },
  outdir: path.join(root, 'dist/page'),
  bundle: true,
  format: 'iife',
  target: 'es2020',
  platform: 'browser',
  legalComments: 'none',
  logLevel: 'warning',
});
