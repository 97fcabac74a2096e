"""Debian's Chromium, the one browser the project drives (browser tests, screenshots, the digest's PDF): where it
is and how it is started. Never downloaded: ``scripts/ensure-chromium.sh`` installs the Debian package."""

from __future__ import annotations

import os

CHROMIUM = os.environ.get("CX_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]
