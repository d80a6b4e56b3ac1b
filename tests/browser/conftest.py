"""The browser tier: the real `pixelview demo` driven through Debian's Chromium by Playwright.

Chromium is Debian's `chromium` package (`scripts/system-deps.sh` installs it), launched by
path: Playwright's own browser download is never used. Without it the tests skip, except
under `REQUIRE_BROWSER=1` (`make test-browser`, so CI), where they fail.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests import required

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM = Path(os.environ.get("PIXELVIEW_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
"""Where the tests leave a screenshot of every page (ignored by git; CI keeps it)."""


def unavailable(reason: str) -> None:
    """Skip, except where the tier is required (`REQUIRE_BROWSER=1`, `make test-browser`)."""
    required.unavailable(reason, required_by="REQUIRE_BROWSER")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Chromium (Debian's), one for the session."""
    if not os.access(CHROMIUM, os.X_OK):
        unavailable(f"no Chromium at {CHROMIUM}: make system-deps (Debian's chromium package)")
    if importlib.util.find_spec("playwright") is None:
        unavailable("playwright is not installed: make env")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """The screenshots folder, emptied of an earlier run's pictures."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink()
    return SCREENSHOTS
