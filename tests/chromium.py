"""Debian's Chromium as every browser test and the production crawl launch it (Playwright's own
browser download does not work here)."""

import os
from typing import Final

CHROMIUM: Final = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Headless in a container: no sandbox, no network of its own, no GPU, no updates, no first run.
CHROMIUM_ARGS: Final = (
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--no-first-run",
)
