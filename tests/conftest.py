"""Fixtures shared by several test files: the one browser of the session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser_helpers import Browser


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """Headless Chromium, started once for every test that needs a browser."""
    browser = Browser.start()
    yield browser
    browser.quit()


@pytest.fixture
def browser(chromium: Browser) -> Iterator[Browser]:
    """The session's browser, checked after each test: no console error, no network request."""
    chromium.console()
    chromium.requests()
    yield chromium
    errors = [m for m in chromium.console() if m["level"] in ("SEVERE", "WARNING")]
    assert errors == [], f"the page logged errors: {errors}"
    remote = [u for u in chromium.requests() if u.split(":", 1)[0] in ("http", "https", "ws")]
    assert remote == [], f"the page asked for the network: {remote}"
