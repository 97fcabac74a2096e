#!/usr/bin/env bash
# Browser tests drive Debian's Chromium through Playwright (no browser download). Install it when missing.
set -euo pipefail
BIN=${CX_CHROMIUM:-/usr/bin/chromium}
if [ -x "$BIN" ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
  exit 0
fi
cat >&2 <<MSG
The browser tests need Chromium at $BIN and it is not installed.
Install it (Debian/Ubuntu: sudo apt-get install chromium), or set CX_CHROMIUM to its path.
MSG
exit 1
