#!/usr/bin/env bash
# Sets up everything framesmith needs on this machine: system packages (ffmpeg >= 5.1, the libraries
# the bundled headless Chromium links against, fonts), npm dependencies, and the compiled CLI.
# Safe to run again. On a machine without apt-get it says what to install and exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."

# ffmpeg: decoding and encoding. libnss3 & co.: the Chromium headless shell from @sparticuz/chromium.
# fonts-*: deterministic text rendering. chromium: the screenshot-capture fallback browser.
# redis-server: the queue of distributed renders (`render --redis`, `framesmith worker`); the tests start
# their own on a loopback port. faketime (libfaketime): tests only — workers whose clocks are hours off.
PACKAGES=(ffmpeg libnss3 libatk-bridge2.0-0 libgbm1 libxkbcommon0 libasound2 fonts-dejavu-core fonts-liberation chromium redis-server faketime)

have_ffmpeg() {
  command -v ffmpeg >/dev/null 2>&1 || return 1
  local v; v=$(ffmpeg -hide_banner -version | head -n1 | sed -nE 's/.*version n?([0-9]+)\.([0-9]+).*/\1 \2/p')
  [ -z "$v" ] && return 0   # snapshot builds print no release number
  set -- $v; [ "$1" -gt 5 ] || { [ "$1" -eq 5 ] && [ "$2" -ge 1 ]; }
}

missing=()
for p in "${PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done 2>/dev/null || missing=("${PACKAGES[@]}")

if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    echo "setup: installing ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  elif ! have_ffmpeg; then
    echo "setup: this machine has no apt-get. Install these yourself, then run this script again:" >&2
    echo "  ffmpeg >= 5.1 (with libx264, libvpx, libopus), the NSS library (libnss3), and a font package" >&2
    exit 1
  fi
fi
have_ffmpeg || { echo "setup: ffmpeg >= 5.1 is required; found: $(ffmpeg -version 2>/dev/null | head -n1)" >&2; exit 1; }

if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
npm run --silent build
echo "setup: ready — try: npx framesmith doctor"
