"""A real browser for the stepper's tests: Debian's Chromium, driven through its chromedriver.

One browser serves the whole test session (starting Chromium costs seconds). It runs headless with
a fresh profile, never updates or syncs anything, and has the network cut off: host names resolve
to nothing and the page's tab is switched to offline, so a page that needed the network would fail
visibly. Every request the tab makes is logged, so tests can check that a page asked for nothing
but itself.

Set ADJOINT_SCREENSHOTS=DIR to keep a PNG of the pages the tests look at (for reviewing by eye).
`arithmetic_lines` and `right_at_the_digits_shown` check the arithmetic a page (or a picture)
writes out against the numbers as shown.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",  # the test machine runs as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--window-size=1500,1000",
    "--hide-scrollbars",
)

MISSING = (
    "the stepper's browser tests need Debian's `chromium` and `chromium-driver`; "
    "`make test` installs them as root (scripts/system-deps.sh), or run "
    "`sudo apt-get install chromium chromium-driver`"
)


def find_chromium() -> tuple[str, str] | None:
    """The paths of chromium and chromedriver on the PATH, or None when either is missing."""
    browser, driver = shutil.which("chromium"), shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


@dataclass
class Browser:
    """A started Chromium, and the few things the tests do with it."""

    driver: Any
    profile: str

    @classmethod
    def start(cls) -> Browser:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        found = find_chromium()
        if found is None:
            raise RuntimeError(MISSING)
        browser, chromedriver = found
        profile = tempfile.mkdtemp(prefix="adjoint-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = browser
        for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
        # An explicit driver path: Selenium then never looks for (or downloads) a driver itself.
        driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd(
            "Network.emulateNetworkConditions",
            {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )
        return cls(driver, profile)

    def quit(self) -> None:
        self.driver.quit()
        shutil.rmtree(self.profile, ignore_errors=True)

    def open(self, path: Path, fragment: str = "") -> None:
        """Load `path` afresh (a new document even when only the #fragment differs)."""
        self.driver.get("about:blank")
        self.driver.get(path.resolve().as_uri() + fragment)
        self.wait_for("return typeof window.adjoint === 'object'")

    def js(self, script: str, *args: Any) -> Any:
        return self.driver.execute_script(script, *args)

    def wait_for(self, condition: str, timeout: float = 10.0) -> None:
        end = time.monotonic() + timeout
        while not self.js(condition):
            if time.monotonic() > end:
                raise TimeoutError(f"the page never satisfied: {condition}")
            time.sleep(0.02)

    def press(self, *keys: str) -> None:
        from selenium.webdriver.common.action_chains import ActionChains

        body = self.driver.find_element("tag name", "body")
        for key in keys:
            ActionChains(self.driver).send_keys_to_element(body, key).perform()

    def step(self) -> int:
        return int(self.js("return document.body.dataset.step"))

    def console(self) -> list[dict[str, Any]]:
        """Console messages and page errors since the last call."""
        return self.driver.get_log("browser")

    def requests(self) -> list[str]:
        """The URLs the browser requested since the last call."""
        urls = []
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                urls.append(message["params"]["request"]["url"])
        return urls

    def screenshot(self, name: str) -> Path | None:
        """Save a PNG of the window as `name`.png in $ADJOINT_SCREENSHOTS, if set."""
        folder = os.environ.get("ADJOINT_SCREENSHOTS")
        if not folder:
            return None
        path = Path(folder) / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(path))
        return path


# --- arithmetic a page shows ----------------------------------------------------------------------

_NUMBER = r"\(?−?\d+(?:\.\d+)?(?:e−?\d+)?\)?"
_ARITHMETIC = re.compile(
    rf"(?<![\w.∂/]){_NUMBER}(?:\s[×+−]\s{_NUMBER})+\s=\s−?\d+(?:\.\d+)?(?:e−?\d+)?(?![\w.])"
)


def arithmetic_lines(text: str) -> list[str]:
    """Every `a × b = c`, `a + b − c = d`, `a × b + c × d = e` written in `text`."""
    return _ARITHMETIC.findall(text)


def _decimal(token: str) -> Decimal:
    return Decimal(token.strip("()").replace("−", "-"))


def right_at_the_digits_shown(line: str) -> bool:
    """Whether the result of `line` is its arithmetic, done exactly on the numbers as shown,
    rounded to the result's last shown digit (half a unit of that digit either way)."""
    left, result = line.rsplit(" = ", 1)
    tokens = left.split(" ")
    total = Decimal(0)
    term = _decimal(tokens[0])
    sign = Decimal(1)
    for op, token in zip(tokens[1::2], tokens[2::2], strict=True):
        if op == "×":
            term *= _decimal(token)
            continue
        total += sign * term
        sign = Decimal(1) if op == "+" else Decimal(-1)
        term = _decimal(token)
    total += sign * term
    shown = _decimal(result)
    unit = Decimal(1).scaleb(shown.as_tuple().exponent)
    slack = abs(total) * Decimal("1e-15")  # the page computes in doubles
    return abs(total - shown) <= unit / 2 + slack
