/**
 * The in-page scripts, ready to inject: each is the bundle scripts/build-page.mjs made of
 * src/browser/runtime/<name>.ts (dist/page/<name>.js), called with its configuration. The
 * configuration travels as JSON text appended to the bundle — data, never spliced into the source —
 * so no value (a media path holding `$'`, `</script>`, quotes) can change the code.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { MediaGuardConfig, RuntimeConfig } from './page-api.js';

interface PageScripts {
  runtime: RuntimeConfig;
  'media-guard': MediaGuardConfig;
  'webgl-watch': undefined;
  'video-paint': Pick<RuntimeConfig, 'rootSelector' | 'timedWithinRoot'>;
  'video-decode': Pick<RuntimeConfig, 'rootSelector' | 'timedWithinRoot'>;
}
/** An in-page script: a bundle dist/page/<name>.js built from src/browser/runtime/<name>.ts. */
export type PageScriptName = keyof PageScripts;

// Both src/browser/ (tests) and dist/browser/ (the CLI) are two levels below the package root.
const BUNDLE_DIR = new URL('../../dist/page/', import.meta.url);
const bundles = new Map<PageScriptName, string>();

function bundle(name: PageScriptName): string {
  let text = bundles.get(name);
  if (text === undefined) {
    const file = fileURLToPath(new URL(`${name}.js`, BUNDLE_DIR));
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new Error(`the in-page script ${file} is missing: run \`npm run build\` (it bundles src/browser/runtime/)`, { cause: error });
    }
    bundles.set(name, text);
  }
  return text;
}

/** The source of in-page script `name`, installing itself with `config` when evaluated. */
export function pageScript<N extends PageScriptName>(name: N, ...config: PageScripts[N] extends undefined ? [] : [PageScripts[N]]): string {
  const data = config.length ? JSON.stringify(config[0]) : '';
  return `(function () {\n${bundle(name)}\n__framesmithPageModule.install(${data});\n})();`;
}
