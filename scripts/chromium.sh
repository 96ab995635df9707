#!/usr/bin/env bash
# Makes sure Debian's Chromium is there for the browser tests and the web benchmark
# (playwright-core drives it; nothing downloads a browser). Installs it with apt-get when missing
# and running as root; otherwise says how. PARLEY_CHROMIUM points at another Chromium binary.
set -euo pipefail

say() { printf '[chromium] %s\n' "$*" >&2; }

binary="${PARLEY_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$binary" ]; then
  exit 0
fi
if [ -n "${PARLEY_CHROMIUM:-}" ]; then
  say "PARLEY_CHROMIUM=$binary is not an executable file."
  exit 1
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  say "installing Debian's chromium package for the browser tests"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
  exit 0
fi
say "the browser tests need Chromium: run 'sudo apt-get install chromium' (or set PARLEY_CHROMIUM)."
exit 1
