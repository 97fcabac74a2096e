#!/usr/bin/env bash
# The digest tests read the PDF back with pdftotext (Debian's poppler-utils). Install it when missing.
set -euo pipefail
if command -v pdftotext >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's poppler-utils (pdftotext) for the digest tests..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends poppler-utils >/dev/null
  exit 0
fi
cat >&2 <<MSG
The digest tests need pdftotext and it is not installed.
Install it (Debian/Ubuntu: sudo apt-get install poppler-utils).
MSG
exit 1
